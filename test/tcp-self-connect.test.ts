// A connect whose source port the kernel picks can be joined to itself by TCP's simultaneous open when nothing
// listens on the destination port (lib/connect.ts says when). Such a "connection" is never what the caller
// wanted: connect() closes it and tries again, and reports ECONNREFUSED if it keeps happening. Whether the
// kernel picks the destination's port cannot be arranged from a test, so the first two tests make connect()'s
// check find one (a seam in lib/connect.ts) on real connections to a listener, on both backends;
// the third makes a real one by naming the local port, which connect() must then leave alone.
import * as assert from 'node:assert/strict';
import { connect, engineStats, listen } from '../lib';
import { selfConnect } from '../lib/connect';
import { deadTcpPort, readExactly } from './helpers';

/** Makes the next `times` checks of freshly connected sockets find them joined to themselves; the real check
 *  comes back on `restore()`. */
function reportSelfConnects(times: number): { restore(): void; reported(): number } {
  const real = selfConnect.connectedToItself;
  let reported = 0;
  selfConnect.connectedToItself = (sock) => {
    if (reported >= times) return real(sock);
    reported++;
    return true;
  };
  return { restore: () => { selfConnect.connectedToItself = real; }, reported: () => reported };
}

describe('TCP connections to themselves', () => {
  it('a connection that met itself is closed and the connect tried again: the caller gets the listener', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    try {
      const seam = reportSelfConnects(2);
      let conn;
      try {
        conn = await connect({ host: '127.0.0.1', port: server.address().port });
      } finally {
        seam.restore();
      }
      assert.equal(seam.reported(), 2, 'two self-connections were reported and retried');
      // The two tries it closed reached the listener too (the seam only made them look joined to
      // themselves): they come out of accept() first, and end at once.
      let peer;
      for (let i = 0; i < 3 && peer === undefined; i++) {
        const c = await server.accept({ timeout: 5000 });
        if (c.remotePort === conn.localPort) peer = c;
        else await c.close();
      }
      assert.ok(peer, 'the connection returned is one the listener accepted');
      await conn.write('through');
      assert.equal((await readExactly(peer, 7)).toString(), 'through');
      await Promise.all([conn.close(), peer.close()]);
    } finally {
      await server.close();
    }
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('three in a row reject with ECONNREFUSED naming the destination, and leave nothing open', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.address();
    try {
      const seam = reportSelfConnects(3);
      try {
        await assert.rejects(connect({ host: '127.0.0.1', port }),
          { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
      } finally {
        seam.restore();
      }
      assert.equal(seam.reported(), 3);
      // The three closed tries reached the listener's queue; each comes out and ends (or was reset).
      for (let i = 0; i < 3; i++) {
        const conn = await server.accept({ timeout: 5000 });
        const end = await conn.readChunk({ timeout: 5000 }).catch((err: { code?: string }) => {
          assert.equal(err.code, 'ECONNRESET');
          return null;
        });
        assert.equal(end, null, 'the closed try sent nothing');
        await conn.close();
      }
    } finally {
      await server.close();
    }
    assert.equal(engineStats().opsInFlight, 0);
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`a caller who names the local port gets the connection to itself it asked for (${host})`, async () => {
      const port = await deadTcpPort(host);
      const conn = await connect({ host, port, localAddress: host, localPort: port });
      assert.equal(conn.localPort, port);
      assert.equal(conn.remotePort, port);
      assert.equal(conn.localAddress, conn.remoteAddress, 'both ends are the same: what connect() checks for');
      await conn.write('echo of myself');
      assert.equal((await readExactly(conn, 14)).toString(), 'echo of myself');
      await conn.close();
      assert.equal(engineStats().opsInFlight, 0);
    });
  }
});
