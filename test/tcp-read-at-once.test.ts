// Reads that find their result already there: data, end of stream or a reset that arrived before read()
// was called. The native side then completes them without an operation or a napi promise (it hands JS the
// byte count); these tests hold that path to the same contract as every other read: a promise, the bytes in
// the caller's buffers in order, errors as rejections, and no starving of the event loop.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { connect } from '../lib';
import { assertSystemError, sleep, withPair } from './helpers';
import { isWine } from './udp-helpers';

/** Long enough for loopback data, a FIN or a reset sent before it to have arrived, also under Wine. */
const ARRIVED_MS = 200;

describe('TCP reads whose result is already there', () => {
  it('returns a promise that resolves with the count, the bytes in the buffer, the rest left for the next read', withPair(async ({ client, peer }) => {
    const data = randomBytes(100);
    await client.write(data);
    await sleep(ARRIVED_MS);
    const buf = Buffer.alloc(60);
    const reading = peer.read(buf);
    assert.ok(reading instanceof Promise, 'read() must return a promise even when the data is there');
    assert.equal(await reading, 60);
    assert.deepEqual(buf, data.subarray(0, 60));
    const rest = Buffer.alloc(60);
    assert.equal(await peer.read(rest), 40);
    assert.deepEqual(rest.subarray(0, 40), data.subarray(60));
  }));

  it('readv fills the buffers in order, passing over an empty one', withPair(async ({ client, peer }) => {
    await client.write('abcdefghij');
    await sleep(ARRIVED_MS);
    const bufs = [Buffer.alloc(3), Buffer.alloc(0), Buffer.alloc(4), Buffer.alloc(8)];
    assert.equal(await peer.readv(bufs), 10);
    assert.deepEqual(bufs.map((b) => b.toString()), ['abc', '', 'defg', 'hij\0\0\0\0\0']);
  }));

  it('end of stream already there resolves with 0, and so does every read after it', withPair(async ({ client, peer }) => {
    await client.write('last');
    await client.shutdown();
    await sleep(ARRIVED_MS);
    const buf = Buffer.alloc(16);
    assert.equal(await peer.read(buf), 4);
    assert.equal(await peer.read(buf), 0);
    assert.equal(await peer.read(buf), 0);
  }));

  // The peer resets as it accepts. The connect still resolves: the connection was made, and the reset is
  // the first read's to report (the Windows backend used to ask getpeername, which fails once the peer has
  // reset, and rejected the connect with ENOTCONN).
  it('a reset already there rejects the read\'s promise, not throwing (Wine: end of stream, then the write rejects)', async () => {
    const peer = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    const conn = await connect({ host: '127.0.0.1', port: (peer.address() as net.AddressInfo).port });
    try {
      assert.equal(conn.remotePort, (peer.address() as net.AddressInfo).port);
      await sleep(ARRIVED_MS);
      let reading: Promise<number> | undefined;
      assert.doesNotThrow(() => { reading = conn.read(Buffer.alloc(16)); });
      if (isWine()) {
        // Wine's server takes the reset from the socket when it arrives and its receives then read end of
        // stream; its sends still report it (a Wine difference, see tcp-errors.test.ts).
        assert.equal(await reading!, 0);
      } else {
        await assert.rejects(reading!, (err) => {
          assertSystemError(err, 'ECONNRESET', 'read');
          return true;
        });
      }
      await assert.rejects(conn.write('x'), { code: 'ECONNRESET' });
    } finally {
      await conn.close();
      await new Promise((r) => peer.close(r));
    }
  });

  it('with a timeout, a read of data already there resolves and the timer never fires later', withPair(async ({ client, peer }) => {
    await client.write('hello');
    await sleep(ARRIVED_MS);
    const buf = Buffer.alloc(16);
    assert.equal(await peer.read(buf, { timeout: 50 }), 5);
    await sleep(100);  // a timer left behind would cancel the next read
    const next = peer.read(buf);
    await client.write('again');
    assert.equal(await next, 5);
    assert.equal(buf.subarray(0, 5).toString(), 'again');
  }));

  it('hundreds of reads in a row that all find data keep the order, and the event loop still turns', withPair(async ({ client, peer }) => {
    // 4,000 bytes read 10 at a time: 400 reads, far beyond the 32 a socket may complete inside the call.
    const data = randomBytes(4000);
    await client.write(data);
    await sleep(ARRIVED_MS);
    let turns = 0;
    let reading = true;
    const turn = (): void => {
      turns++;
      if (reading) setImmediate(turn);
    };
    setImmediate(turn);  // runs once per turn of the event loop
    const out = Buffer.alloc(data.length);
    try {
      for (let got = 0; got < data.length;) got += await peer.read(out.subarray(got, got + 10));
    } finally {
      reading = false;
    }
    assert.deepEqual(out, data);
    // A socket completes at most 32 reads inside the call, then one through the engine: ~12 turns here (11
    // measured). Reads that never yielded would allow one at most; half the expected count leaves slack.
    assert.ok(turns >= 6, `the event loop turned ${turns} times during 400 reads: they starved it`);
  }));
});
