import * as assert from 'node:assert/strict';
import { connect, listen, type Connection, type Server } from '../lib';
import { assertSystemError, connectedPair, isAbortError } from './helpers';

/**
 * A connect that hangs: a listener that takes one connection and then stops accepting (acceptDepth 1,
 * nobody calls accept()) with the smallest backlog. Once the kernel's queue is full, SYNs are dropped.
 * Returns the port, and the connections that got through (to be closed).
 */
async function saturatedListener(): Promise<{ server: Server; port: number; filled: Connection[] }> {
  const server = await listen({ host: '127.0.0.1', port: 0, backlog: 1, acceptDepth: 1 });
  const port = server.address().port;
  const filled: Connection[] = [];
  for (let i = 0; i < 32; i++) {
    try {
      filled.push(await connect({ host: '127.0.0.1', port, timeout: 500 }));
    } catch (err) {
      assertSystemError(err, 'ETIMEDOUT', 'connect');
      return { server, port, filled };
    }
  }
  throw new Error('the listener never stopped taking connections');
}

describe('TCP cancellation (AbortSignal and timeout)', () => {
  it('times out a connect that gets no answer with ETIMEDOUT', async () => {
    const { server, port, filled } = await saturatedListener();
    const started = Date.now();
    await assert.rejects(connect({ host: '127.0.0.1', port, timeout: 300 }), (err: Error & { port?: number }) => {
      assertSystemError(err, 'ETIMEDOUT', 'connect');
      assert.equal(err.port, port);
      return true;
    });
    assert.ok(Date.now() - started >= 250);
    await Promise.all(filled.map((c) => c.close()));
    await server.close();
  });

  it('aborts a pending connect with an AbortError carrying signal.reason', async () => {
    const { server, port, filled } = await saturatedListener();
    const ac = new AbortController();
    const pending = connect({ host: '127.0.0.1', port, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('changed my mind')), 100);
    await assert.rejects(pending, (err: Error) => {
      assert.ok(isAbortError(err));
      assert.equal((err.cause as Error).message, 'changed my mind');
      return true;
    });
    await Promise.all(filled.map((c) => c.close()));
    await server.close();
  });

  it('a connect that first looked its host up still honours its timeout and signal', async () => {
    // The lookup's clean-up used to run after the connect had started and take its cancel away: the
    // connect then waited for the kernel's SYN retries (about two minutes) instead of 300 ms.
    const { server, port, filled } = await saturatedListener();
    const lookup = ((_h: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, '127.0.0.1', 4)) as never;
    try {
      const timedOut = connect({ host: 'named.test', port, lookup, timeout: 300 });
      const ac = new AbortController();
      const aborted = connect({ host: 'named.test', port, lookup, signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      const guard = setTimeout(() => assert.fail('a cancelled connect still pending after 10 s'), 10000);
      await Promise.all([
        assert.rejects(timedOut, (err) => { assertSystemError(err, 'ETIMEDOUT', 'connect'); return true; }),
        assert.rejects(aborted, (err: Error) => isAbortError(err)),
      ]);
      clearTimeout(guard);
    } finally {
      await Promise.all(filled.map((c) => c.close()));
      await server.close();
    }
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(connect({ host: '127.0.0.1', port: 9, signal: ac.signal }), (err) => isAbortError(err));
  });

  it('aborts and times out accept(); the server keeps accepting afterwards', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    const aborted = server.accept({ signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, (err) => isAbortError(err));
    await assert.rejects(server.accept({ timeout: 100 }), (err) => {
      assertSystemError(err, 'ETIMEDOUT', 'accept');
      return true;
    });
    const accepted = server.accept({ timeout: 20000 });
    const client = await connect({ host: '127.0.0.1', port: server.address().port });
    const peer = await accepted;
    assert.equal(peer.remotePort, client.localPort);
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('aborts and times out a pending read; the connection stays usable and no data is lost', async () => {
    const { server, client, peer } = await connectedPair();
    const ac = new AbortController();
    const buf = Buffer.alloc(16);
    const aborted = client.read(buf, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(aborted, (err) => isAbortError(err));
    await assert.rejects(client.read(buf, { timeout: 100 }), (err) => {
      assertSystemError(err, 'ETIMEDOUT', 'read');
      return true;
    });
    await peer.write('after cancel');
    const n = await client.read(buf, { timeout: 20000 });
    assert.equal(buf.subarray(0, n).toString(), 'after cancel');
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('aborting writes queued behind others takes out only those; the rest arrive in order', async () => {
    const { server, client, peer } = await connectedPair();
    // The peer does not read yet, so the first write fills the socket buffers and the others queue.
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    const first = client.write(big);
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const middle = client.write('B', { signal: ac1.signal });
    const kept = client.write('C');
    const last = client.write('D', { signal: ac2.signal });
    ac1.abort();
    ac2.abort();
    await assert.rejects(middle, (err) => isAbortError(err));
    await assert.rejects(last, (err) => isAbortError(err));
    const after = client.write('E');  // queued behind the one that is now last
    const total = big.length + 2;
    const got = Buffer.allocUnsafe(total);
    let n = 0;
    while (n < total) {
      const r = await peer.read(got.subarray(n));
      assert.notEqual(r, 0, 'end of stream too early');
      n += r;
    }
    await Promise.all([first, kept, after]);
    assert.equal(got.subarray(big.length).toString(), 'CE');
    assert.ok(got.subarray(0, big.length).equals(big));
    await Promise.all([client.close(), peer.close(), server.close()]);
  });
});
