import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { connect, listen, type Connection } from '../lib';
import { native } from '../lib/native';
import { assertSystemError, connectedPair, deadTcpPort, platformIt, readExactly, sleep } from './helpers';
import { isWine } from './udp-helpers';

describe('TCP errors', () => {
  it('rejects with ECONNREFUSED when nothing listens', async () => {
    const port = await deadTcpPort();
    await assert.rejects(connect({ host: '127.0.0.1', port }), (err: Error & { address?: string; port?: number }) => {
      assertSystemError(err, 'ECONNREFUSED', 'connect');
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.port, port);
      assert.match(err.message, new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
      return true;
    });
  });

  it('rejects a pending read with ECONNRESET when the peer resets', async () => {
    // The peer is Node's own net, which can send an RST on purpose.
    const peer = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 100));
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    const conn = await connect({ host: '127.0.0.1', port: (peer.address() as net.AddressInfo).port });
    await assert.rejects(conn.read(Buffer.alloc(16)), (err) => {
      assertSystemError(err, 'ECONNRESET', 'read');
      return true;
    });
    await conn.close();
    await new Promise((r) => peer.close(r));
  });

  // The peer is Node's net: it sends 1,000 bytes, then resets the connection. Linux reports a reset to one
  // system call only and then reads end of stream, so a reset met by a write used to end the reads as if
  // the peer had finished: a stream cut short that looked complete.
  async function withDataThenReset(body: (conn: Connection) => Promise<void>): Promise<void> {
    const peer = net.createServer((s) => {
      s.write(Buffer.alloc(1000, 'a'));
      setTimeout(() => s.resetAndDestroy(), 50);
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    const conn = await connect({ host: '127.0.0.1', port: (peer.address() as net.AddressInfo).port });
    try {
      await sleep(300);  // the data and the reset have arrived
      await body(conn);
    } finally {
      await conn.close();
      await new Promise((r) => peer.close(r));
    }
  }

  /** Reads until an error: what arrived before the reset may come first, end of stream never. */
  async function readUntilReset(conn: Connection): Promise<number> {
    const buf = Buffer.alloc(4096);
    for (let got = 0; ;) {
      let n: number;
      try {
        n = await conn.read(buf);
      } catch (err) {
        assertSystemError(err, 'ECONNRESET', 'read');
        return got;
      }
      assert.notEqual(n, 0, `end of stream after ${got} bytes of a connection that was reset`);
      got += n;
    }
  }

  it('after a write meets the peer\'s reset, reads give what arrived and then ECONNRESET, never end of stream', async () => {
    await withDataThenReset(async (conn) => {
      await assert.rejects(conn.write('y'), (err) => {
        assertSystemError(err, 'ECONNRESET', 'write');
        return true;
      });
      assert.ok((await readUntilReset(conn)) <= 1000);  // Windows may drop unread data on a reset; Linux keeps it
      await assert.rejects(conn.read(Buffer.alloc(16)), { code: 'ECONNRESET' });  // and stays reset
      await assert.rejects(conn.write('z'), { code: 'ECONNRESET' });  // not Linux's EPIPE
      // Linux refuses shutdown() on a reset connection with ENOTCONN; Wine's shutdown() succeeds there.
      if (process.platform === 'linux') await assert.rejects(conn.shutdown(), { code: 'ECONNRESET' });
    });
  });

  it('after a read meets the peer\'s reset, later reads and writes report ECONNRESET too (Wine: writes only)', async () => {
    await withDataThenReset(async (conn) => {
      if (isWine()) {
        // Wine's server takes the reset from the socket when it arrives, and its receives then read end of
        // stream; its sends still report the reset. (Windows fails every later receive with WSAECONNRESET.)
        assert.equal(await conn.read(Buffer.alloc(4096)), 1000);
        assert.equal(await conn.read(Buffer.alloc(16)), 0);
      } else {
        assert.ok((await readUntilReset(conn)) <= 1000);
        await assert.rejects(conn.read(Buffer.alloc(16)), { code: 'ECONNRESET' });  // not end of stream
      }
      await assert.rejects(conn.write('z'), { code: 'ECONNRESET' });
    });
  });

  it('rejects a second listener on the same port with EADDRINUSE', async () => {
    const first = await listen({ host: '127.0.0.1', port: 0 });
    const { port } = first.address();
    await assert.rejects(listen({ host: '127.0.0.1', port }), (err: Error & { port?: number }) => {
      assertSystemError(err, 'EADDRINUSE', 'bind');
      assert.equal(err.port, port);
      return true;
    });
    await first.close();
    // The port is free again once the first server has closed.
    const again = await listen({ host: '127.0.0.1', port });
    assert.equal(again.address().port, port);
    await again.close();
  });

  it('rejects a second concurrent read with ERR_INVALID_STATE and keeps the first one working', async () => {
    const { server, client, peer } = await connectedPair();
    const first = client.read(Buffer.alloc(4));
    await assert.rejects(client.read(Buffer.alloc(4)), { code: 'ERR_INVALID_STATE' });
    await peer.write('ok!!');
    assert.equal(await first, 4);
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('rejects calls on a closed connection with ERR_SOCKET_CLOSED', async () => {
    const { server, client, peer } = await connectedPair();
    await client.close();
    assert.equal(client.closed, true);
    await assert.rejects(client.read(Buffer.alloc(4)), { code: 'ERR_SOCKET_CLOSED' });
    await assert.rejects(client.write('x'), { code: 'ERR_SOCKET_CLOSED' });
    await assert.rejects(client.shutdown(), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => client.setNoDelay(true), { code: 'ERR_SOCKET_CLOSED' });
    await client.close();  // idempotent
    assert.equal(await peer.read(Buffer.alloc(4)), 0);  // a close without pending operations is a FIN
    await Promise.all([peer.close(), server.close()]);
    await assert.rejects(server.accept(), { code: 'ERR_SOCKET_CLOSED' });
  });

  it('rejects writes after shutdown with EPIPE, while reads still work', async () => {
    const { server, client, peer } = await connectedPair();
    await client.shutdown();
    await assert.rejects(client.write('late'), { code: 'EPIPE' });
    await peer.write('still readable');
    assert.equal((await readExactly(client, 14)).toString(), 'still readable');
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('throws on bad read/write arguments with Node codes', async () => {
    const { server, client, peer } = await connectedPair();
    assert.throws(() => client.read('nope' as unknown as Buffer), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => client.read(Buffer.alloc(0)), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => client.readv([]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => client.write(42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => client.write([Buffer.alloc(1), 'x' as unknown as Buffer]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => client.read(Buffer.alloc(1), { signal: {} as AbortSignal }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => client.setKeepAlive(true, -5), { code: 'ERR_OUT_OF_RANGE' });
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('the native TCP functions refuse anything but a socket handle, without crashing', () => {
    // They take the socket as an External (binding/common/tcp_wrap.cc); a wrong value must be a TypeError.
    const buf = Buffer.alloc(8);
    for (const bad of [undefined, null, {}, 42, 'socket', buf]) {
      assert.throws(() => native.tcp.read(bad as never, buf), TypeError);
      assert.throws(() => native.tcp.write(bad as never, buf, 0), TypeError);
      assert.throws(() => native.tcp.close(bad as never), TypeError);
      assert.throws(() => native.tcp.addresses(bad as never), TypeError);
    }
    assert.throws(() => native.tcp.open(5 as never), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('a UDP handle is refused by the TCP functions and a TCP handle by the UDP ones', async () => {
    const tcpHandle = native.tcp.open(4);
    const udpHandle = native.udp.open(4);
    assert.throws(() => native.tcp.read(udpHandle as never, Buffer.alloc(8)), TypeError);
    assert.throws(() => native.tcp.close(udpHandle as never), TypeError);
    assert.throws(() => native.udp.recvChunk(tcpHandle as never, 100), TypeError);
    assert.throws(() => native.udp.close(tcpHandle as never), TypeError);
    await Promise.all([native.tcp.close(tcpHandle), native.udp.close(udpHandle)]);
  });

  it('sets socket options (noDelay, keepAlive with delay, buffer sizes)', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const accepted = server.accept();
    const client = await connect({ host: '127.0.0.1', port: server.address().port, noDelay: true, keepAlive: true,
      keepAliveInitialDelay: 30000 });
    const peer = await accepted;
    client.setNoDelay(false).setKeepAlive(false).setReceiveBufferSize(128 * 1024).setSendBufferSize(128 * 1024);
    peer.setKeepAlive(true, 1000);
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  platformIt('linux', 'a restarted server binds over its old connections in TIME_WAIT (SO_REUSEADDR by default, as net)', async () => {
    // The server closes first, so its end of the connection waits in TIME_WAIT on the listening port.
    const { server, client, peer } = await connectedPair();
    const { port } = server.address();
    await peer.close();
    assert.equal(await client.read(Buffer.alloc(8)), 0);
    await client.close();
    await server.close();
    await sleep(20);
    await assert.rejects(listen({ host: '127.0.0.1', port, reuseAddress: false }), (err: unknown) => {
      assertSystemError(err, 'EADDRINUSE', 'bind');
      return true;
    });
    const again = await listen({ host: '127.0.0.1', port });
    assert.equal(again.address().port, port);
    // A second live listener on the port is still refused: SO_REUSEADDR does not share listening ports on Linux.
    await assert.rejects(listen({ host: '127.0.0.1', port }), (err: unknown) => {
      assertSystemError(err, 'EADDRINUSE', 'bind');
      return true;
    });
    await again.close();
  });
});
