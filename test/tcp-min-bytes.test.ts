// Reads of at least minBytes: read(buf, { minBytes }) and readv(bufs, { minBytes }) complete only once that
// many bytes are in, or at end of stream. On Linux they wait with SO_RCVLOWAT set to what they lack, so
// these tests also check that the mark never makes a later read wait for bytes it does not need.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import * as net from 'node:net';
import { connect } from '../lib';
import { assertSystemError, isAbortError, sleep, withPair } from './helpers';

type ReadError = Error & { code?: string; bytesRead?: number };

/** The error `p` rejects with; fails the test if it resolves. */
const rejection = (p: Promise<unknown>): Promise<ReadError> =>
  p.then(() => assert.fail('resolved'), (e: unknown) => e as ReadError);

/** Whether `p` has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await sleep(0);
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('TCP reads of at least minBytes', () => {
  it('waits across several writes until minBytes are in, then resolves with them', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(64);
    const reading = peer.read(buf, { minBytes: 30 });
    for (const part of ['0123456789', 'abcdefghij']) {
      await client.write(part);
      await sleep(30);
      assert.equal(await settled(reading), false, 'resolved before minBytes arrived');
    }
    await client.write('ABCDEFGHIJ');
    assert.equal(await reading, 30);
    assert.equal(buf.subarray(0, 30).toString(), '0123456789abcdefghijABCDEFGHIJ');
  }));

  it('takes what is there beyond minBytes, up to the buffer, and leaves the rest for the next read', withPair(async ({ client, peer }) => {
    const data = randomBytes(100);
    await client.write(data);
    const buf = Buffer.alloc(64);
    let n = 0;
    while (n < 64) n = await peer.read(buf, { minBytes: 10 });  // 100 bytes may arrive in parts
    assert.deepEqual(buf, data.subarray(0, 64));
    const rest = Buffer.alloc(64);
    assert.equal(await peer.read(rest, { minBytes: 36 }), 36);
    assert.deepEqual(rest.subarray(0, 36), data.subarray(64));
  }));

  it('readv with minBytes fills the buffers in order across writes', withPair(async ({ client, peer }) => {
    const bufs = [Buffer.alloc(5), new Uint8Array(7), Buffer.alloc(9)];
    const reading = peer.readv(bufs, { minBytes: 21 });
    for (const part of ['abc', 'defghij', 'klmnopqrstu']) {
      await client.write(part);
      await sleep(10);
    }
    assert.equal(await reading, 21);
    assert.equal(Buffer.concat(bufs).toString(), 'abcdefghijklmnopqrstu');
  }));

  it('at end of stream resolves with fewer than minBytes, and the next read with 0', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(100);
    const reading = peer.read(buf, { minBytes: 50 });
    await client.write('hello');
    await client.shutdown();
    assert.equal(await reading, 5);
    assert.equal(buf.subarray(0, 5).toString(), 'hello');
    assert.equal(await peer.read(buf, { minBytes: 50 }), 0);
    assert.equal(await peer.read(buf), 0);
  }));

  it('a request of exactly minBytes completes at once, whatever the reads before it asked (no mark left too high)', withPair(async ({ client, peer }) => {
    // Request/response: the peer sends exactly what is asked and then waits for the answer, so a read that
    // waited for more than it lacks would hang here (the test would time out).
    const buf = Buffer.alloc(256 * 1024);
    const sizes = [200_000, 1, 70_000, 3, 150_000, 64 * 1024, 10, 256 * 1024, 2, 100_000];
    for (let i = 0; i < 40; i++) sizes.push(randomInt(1, 256 * 1024));
    for (const size of sizes) {
      const request = randomBytes(size);
      const sending = client.write(request);
      const n = await peer.read(buf, { minBytes: size, timeout: 10_000 });
      await sending;
      assert.equal(n, size);
      assert.ok(buf.subarray(0, n).equals(request), `request of ${size} bytes corrupted`);
      await peer.write('k');
      assert.equal(await client.read(Buffer.alloc(1)), 1);
    }
  }));

  it('moves 16 MiB in reads of at least 256 KiB, intact and in order', withPair(async ({ client, peer }) => {
    const data = randomBytes(16 * 1024 * 1024);
    const sending = (async () => {
      for (let off = 0; off < data.length;) {
        const n = randomInt(1, 200_000);
        await client.write(data.subarray(off, off + n));
        off += n;
      }
      await client.shutdown();
    })();
    const hash = createHash('sha256');
    const buf = Buffer.alloc(256 * 1024);
    let total = 0;
    let short = 0;
    for (let n; (n = await peer.read(buf, { minBytes: buf.length })) > 0;) {
      if (n < buf.length) short++;
      hash.update(buf.subarray(0, n));
      total += n;
    }
    await sending;
    assert.equal(total, data.length);
    assert.ok(short <= 1, `${short} reads came back short of minBytes before the end of stream`);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
  }));

  it('a read larger than the kernel will buffer still completes: 32 MiB at once, and 1 MiB with a 64 KiB receive buffer', async () => {
    // The kernel caps the low-water mark (at half its largest receive buffer, or of a buffer the caller
    // fixed) and wakes the reader when the window runs low; the read then takes what is there and waits
    // again. A mark it could never reach would stall the transfer, and the test would time out.
    for (const [size, rcvbuf] of [[32 * 1024 * 1024, 0], [1024 * 1024, 64 * 1024]]) {
      await withPair(async ({ client, peer }) => {
        if (rcvbuf > 0) peer.setReceiveBufferSize(rcvbuf);
        const data = randomBytes(size);
        const buf = Buffer.alloc(size);
        const reading = peer.read(buf, { minBytes: size, timeout: 30_000 });
        await client.write(data);
        assert.equal(await reading, size);
        assert.ok(buf.equals(data), `${size} bytes corrupted`);
      })();
    }
  });

  it('a timeout after part of the bytes rejects with ETIMEDOUT and bytesRead; a plain read after it gets the next byte', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(1024 * 1024);
    await client.write('0123456789');
    const err = await rejection(peer.read(buf, { minBytes: buf.length, timeout: 200 }));
    assertSystemError(err, 'ETIMEDOUT', 'read');
    assert.equal(err.bytesRead, 10);
    assert.equal(buf.subarray(0, 10).toString(), '0123456789');
    // The read waited for a megabyte; the one after it needs a single byte and must not wait for more.
    await client.write('x');
    const one = Buffer.alloc(16);
    assert.equal(await peer.read(one, { timeout: 5000 }), 1);
    assert.equal(one[0], 'x'.charCodeAt(0));
    // And a chunk read, which waits with no buffer, the same.
    await client.write('y');
    assert.equal((await peer.readChunk({ timeout: 5000 }))?.toString(), 'y');
  }));

  it('an abort after part of the bytes rejects with an AbortError carrying bytesRead', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(100);
    const ac = new AbortController();
    const reading = peer.read(buf, { minBytes: 100, signal: ac.signal });
    await client.write('abc');
    await sleep(30);
    ac.abort();
    const err = await rejection(reading);
    assert.ok(isAbortError(err), String(err));
    assert.equal(err.bytesRead, 3);
    assert.equal(buf.subarray(0, 3).toString(), 'abc');
    // Nothing aborted before any byte arrived carries a count.
    const ac2 = new AbortController();
    const second = peer.read(buf, { minBytes: 10, signal: ac2.signal });
    ac2.abort();
    const err2 = await rejection(second);
    assert.ok(isAbortError(err2));
    assert.equal(err2.bytesRead, undefined);
  }));

  it('close() while it waits with part of the bytes rejects with ERR_SOCKET_CLOSED, and bytesRead for any it took', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(100);
    const reading = peer.read(buf, { minBytes: 100 });
    await client.write('abcd');
    await sleep(30);
    await peer.close();
    const err = await rejection(reading);
    assert.equal((err as { code?: string }).code, 'ERR_SOCKET_CLOSED');
    // Linux leaves bytes short of the low-water mark in the kernel, and close() discards them, as any
    // close discards unread data; Windows' zero-byte read wakes for them and they are in the buffer.
    if (process.platform === 'linux') assert.equal(err.bytesRead, undefined);
    else assert.equal(err.bytesRead, 4);
    if (err.bytesRead !== undefined) assert.equal(buf.subarray(0, 4).toString(), 'abcd');
  }));

  it('a reset after part of the bytes rejects with ECONNRESET and bytesRead', async () => {
    const peer = net.createServer((s) => {
      s.write('partial');
      setTimeout(() => s.resetAndDestroy(), 100);
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    const conn = await connect({ host: '127.0.0.1', port: (peer.address() as net.AddressInfo).port });
    try {
      const buf = Buffer.alloc(100);
      const err = await rejection(conn.read(buf, { minBytes: 100 }));
      assertSystemError(err, 'ECONNRESET', 'read');
      assert.equal(err.bytesRead, 7);
      assert.equal(buf.subarray(0, 7).toString(), 'partial');
    } finally {
      await conn.close();
      await new Promise((r) => peer.close(r));
    }
  });

  it('refuses a minBytes that is not an integer from 1 to the buffers\' length, synchronously', withPair(async ({ client, peer }) => {
    const buf = Buffer.alloc(10);
    for (const bad of [0, -1, 1.5, 11, NaN, Infinity]) {
      assert.throws(() => peer.read(buf, { minBytes: bad }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, String(bad));
    }
    assert.throws(() => peer.readv([buf, Buffer.alloc(5)], { minBytes: 16 }), { code: 'ERR_OUT_OF_RANGE' });
    for (const bad of ['5', null, {}, 5n]) {
      assert.throws(() => peer.read(buf, { minBytes: bad as unknown as number }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    // The largest allowed value is the buffers' whole length.
    const tail = Buffer.alloc(5);
    const reading = peer.readv([buf, tail], { minBytes: 15 });
    await client.write('0123456789');
    await sleep(20);
    await client.write('abcde');
    assert.equal(await reading, 15);
    assert.equal(Buffer.concat([buf, tail]).toString(), '0123456789abcde');
  }));
});
