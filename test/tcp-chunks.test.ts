// Chunk reads: readChunk() and async iteration over a connection, which wait with no buffer pinned and
// hand back a fresh Buffer of what arrived.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { engineStats } from '../lib';
import { assertSystemError, connectedPair, exitOf, isAbortError, sleep } from './helpers';

describe('TCP chunk reads (readChunk and async iteration)', () => {
  it('iterates over 8 MiB as chunks, intact and in order, and ends at end of stream', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      const data = randomBytes(8 * 1024 * 1024);
      const sending = (async () => {
        for (let off = 0; off < data.length; off += 100_000) await client.write(data.subarray(off, off + 100_000));
        await client.shutdown();
      })();
      const hash = createHash('sha256');
      let total = 0;
      let chunks = 0;
      for await (const chunk of peer) {
        assert.ok(Buffer.isBuffer(chunk) && chunk.length > 0 && chunk.length <= 64 * 1024);
        hash.update(chunk);
        total += chunk.length;
        chunks++;
      }
      await sending;
      assert.equal(total, data.length);
      assert.ok(chunks >= data.length / (64 * 1024), `${chunks} chunks`);
      assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('iteration ends quietly when the connection is closed, inside the loop or while it waits', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      await client.write('quit');
      const seen: string[] = [];
      for await (const chunk of peer) {
        seen.push(chunk.toString());
        await peer.close();  // a command that ends the session
      }
      assert.deepEqual(seen, ['quit']);
      // Closed elsewhere while the loop waits for data (an idle timeout, a shutdown of the process).
      const { server: s2, client: c2, peer: p2 } = await connectedPair();
      const looping = (async () => { for await (const chunk of c2) assert.fail(`unexpected ${chunk.toString()}`); })();
      await sleep(20);
      await c2.close();
      await looping;
      // A connection that is not closed by us still reports ERR_SOCKET_CLOSED to a plain read after close.
      await assert.rejects(c2.readChunk(), { code: 'ERR_SOCKET_CLOSED' });
      await Promise.all([p2.close(), s2.close()]);
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('readChunk honours maxBytes, returns null at end of stream and again after that', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      await client.write('abcdefghij');
      await client.shutdown();
      await sleep(50);  // both the data and the FIN are there before the first read
      const first = await peer.readChunk({ maxBytes: 4 });
      assert.equal(first?.toString(), 'abcd');
      const rest = await peer.readChunk();
      assert.equal(rest?.toString(), 'efghij');
      assert.equal(await peer.readChunk(), null);
      assert.equal(await peer.readChunk(), null);
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('a chunk under 4 KiB is a slice of Node\'s Buffer pool, a larger one has memory of its own', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      await client.write('small');
      const small = (await peer.readChunk())!;
      assert.equal(small.toString(), 'small');
      assert.equal(small.buffer.byteLength, Buffer.poolSize, 'made as Buffer.allocUnsafe(5) makes it');
      const data = randomBytes(40_000);
      const sending = client.write(data);
      const chunks: Buffer[] = [];
      for (let got = 0; got < data.length;) {
        const chunk = (await peer.readChunk())!;
        const pooled = chunk.length < Buffer.poolSize >>> 1;
        assert.equal(chunk.buffer.byteLength, pooled ? Buffer.poolSize : chunk.length, `a ${chunk.length}-byte chunk`);
        chunks.push(chunk);
        got += chunk.length;
      }
      await sending;
      assert.ok(Buffer.concat(chunks).equals(data));
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('a chunk allocator that throws or returns too little rejects the read with an Error, never an overrun', async () => {
    // Only lib/native.ts registers the allocator; this checks the native side against any other
    // (in a worker, whose engine has its own), and that it still makes chunks when none is registered.
    const w = new Worker(path.join(__dirname, 'fixtures', 'chunk-allocators.js'));
    const exited = exitOf(w);
    const [got] = (await once(w, 'message')) as [Record<string, unknown>];
    assert.deepEqual(got, {
      'none registered': { text: 'none registered', isBuffer: true, ownMemory: true },
      throws: { error: 'allocator refused', isError: true },
      'one byte short': { error: 'cannot allocate a Buffer for the data read', isError: true },
      'not a buffer': { error: 'cannot allocate a Buffer for the data read', isError: true },
      pooled: { text: 'pooled', isBuffer: true, ownMemory: false },
    });
    assert.equal(await exited, 0);
  });

  it('rejects bad readChunk options synchronously with Node codes', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      assert.throws(() => peer.readChunk({ maxBytes: 0 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => peer.readChunk({ maxBytes: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => peer.readChunk({ maxBytes: '8' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => peer.readChunk(null as unknown as undefined), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('aborts and times out a pending readChunk; data sent afterwards is still read', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      const ac = new AbortController();
      const pending = peer.readChunk({ signal: ac.signal });
      setTimeout(() => ac.abort(new Error('stop')), 20);
      await assert.rejects(pending, (err: Error) => isAbortError(err) && (err.cause as Error).message === 'stop');
      await assert.rejects(peer.readChunk({ timeout: 30 }), (err: unknown) => {
        assertSystemError(err, 'ETIMEDOUT', 'read');
        return true;
      });
      await client.write('after');
      assert.equal((await peer.readChunk())?.toString(), 'after');
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });

  it('close() rejects a pending readChunk with ERR_SOCKET_CLOSED and leaves nothing in flight', async () => {
    const { server, client, peer } = await connectedPair();
    const pending = peer.readChunk();
    const rejected = assert.rejects(pending, { code: 'ERR_SOCKET_CLOSED' });
    await peer.close();
    await rejected;
    await client.close();
    await server.close();
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a second concurrent read is refused with ERR_INVALID_STATE, the first keeps working', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      const first = peer.readChunk();
      await assert.rejects(peer.readChunk(), { code: 'ERR_INVALID_STATE' });
      await assert.rejects(peer.read(Buffer.alloc(8)), { code: 'ERR_INVALID_STATE' });
      await client.write('x');
      assert.equal((await first)?.toString(), 'x');
    } finally {
      await client.close();
      await peer.close();
      await server.close();
    }
  });
});
