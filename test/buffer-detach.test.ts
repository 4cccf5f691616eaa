// A buffer detached while an operation waits on it: JavaScript can move an ArrayBuffer's memory away
// (structuredClone or postMessage with a transfer list) while a read or write holds it. The operation pins
// the ArrayBuffer object, but not that memory, which now belongs to the clone and is freed with it. Every
// such operation must fail with ERR_BUFFER_DETACHED without touching the memory (under AddressSanitizer a
// touch is a use-after-free report), and a read that fails so must not lose the data it would have taken.
import * as assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { engineStats, type Connection } from '../lib';
import { connectedPair, readExactly, sleep } from './helpers';
import { closeAll, udpPair } from './udp-helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Moves the memory out of `view`'s ArrayBuffer into a clone that is dropped at once, then collects, so
 *  that the memory is really freed: a late touch is then a use-after-free, not a silent write. */
async function detachAndFree(view: Uint8Array): Promise<void> {
  structuredClone(view.buffer, { transfer: [view.buffer] });
  assert.equal(view.byteLength, 0, 'the view is detached');
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(10);
  }
}

/** Reads until end of stream, checking that every byte is `value` when one is given; returns how many
 *  bytes there were. */
async function countUntilEnd(conn: Connection, value?: number): Promise<number> {
  const buf = Buffer.allocUnsafe(256 * 1024);
  const expected = value === undefined ? undefined : Buffer.alloc(buf.length, value);
  let total = 0;
  for (let n; (n = await conn.read(buf)) > 0;) {
    if (expected) assert.ok(buf.subarray(0, n).equals(expected.subarray(0, n)), `unexpected bytes after ${total}`);
    total += n;
  }
  return total;
}

describe('buffers detached while an operation waits on them', () => {
  it('a pending read fails with ERR_BUFFER_DETACHED, and the data it would have read is still there', async () => {
    const { server, client, peer } = await connectedPair();
    const buf = new Uint8Array(1024);
    const read = peer.read(buf);
    await detachAndFree(buf);
    await client.write('after the detach');
    await assert.rejects(read, { code: 'ERR_BUFFER_DETACHED', syscall: 'read' });
    assert.equal((await readExactly(peer, 16)).toString(), 'after the detach');
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a pending scatter read with one of its buffers detached fails the same way and loses nothing', async () => {
    const { server, client, peer } = await connectedPair();
    const kept = new Uint8Array(8);
    const lost = new Uint8Array(8);
    const read = peer.readv([kept, lost]);
    await detachAndFree(lost);
    await client.write('0123456789abcdef');
    await assert.rejects(read, { code: 'ERR_BUFFER_DETACHED' });
    assert.equal((await readExactly(peer, 16)).toString(), '0123456789abcdef');
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a queued write fails with ERR_BUFFER_DETACHED, so do the writes behind it, and nothing of them is sent', async () => {
    const { server, client, peer } = await connectedPair();
    // The peer does not read yet, so the first write fills the socket buffers and keeps the others queued.
    const first = client.write(new Uint8Array(32 * 1024 * 1024).fill(1));
    const detached = new Uint8Array(1000).fill(2);
    const second = client.write(detached);
    const third = client.write('behind the hole');
    const outcomes = Promise.allSettled([first, second, third]);
    await detachAndFree(detached);
    const received = countUntilEnd(peer, 1);
    const [r1, r2, r3] = await outcomes;
    assert.equal(r1.status, 'fulfilled', 'the first write kept its buffer');
    for (const r of [r2, r3]) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_BUFFER_DETACHED');
    }
    await client.shutdown();
    assert.equal(await received, 32 * 1024 * 1024, 'exactly the first write arrived');
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a write detached while the OS is sending it fails with ERR_BUFFER_DETACHED', async () => {
    const { server, client, peer } = await connectedPair();
    const size = 32 * 1024 * 1024;
    const big = new Uint8Array(size).fill(1);
    const write = client.write(big);
    await sleep(50);  // the kernel has taken what fits; the rest is waiting
    await detachAndFree(big);
    // Linux sends from the caller's memory only when the socket has room, so nothing after the detach goes
    // out and every byte that arrives is the write's own. On Windows the kernel holds the memory while the
    // send is in flight, so what it sent after the detach is unknown: there only the outcome is checked.
    const received = countUntilEnd(peer, process.platform === 'linux' ? 1 : undefined);
    await assert.rejects(write, { code: 'ERR_BUFFER_DETACHED', syscall: 'write' });
    await client.shutdown();
    assert.ok((await received) < size, 'the write did not complete');
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('buffers that cannot be detached or stay attached are not taken for detached: SharedArrayBuffer, DataView, empty views', async () => {
    const { server, client, peer } = await connectedPair();
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    const read = peer.read(shared);  // waits: nothing sent yet
    await sleep(20);
    await client.write('into shared memory');
    assert.equal(await read, 18);
    assert.equal(Buffer.from(shared.buffer, 0, 18).toString(), 'into shared memory');
    const view = new DataView(new ArrayBuffer(32), 8, 16);
    const scatter = peer.readv([new Uint8Array(0), view]);
    await sleep(20);
    await client.write('0123456789abcdef');
    assert.equal(await scatter, 16);
    // A write queued behind one the peer is not reading yet, from shared memory and an empty view.
    const size = 32 * 1024 * 1024;
    const first = client.write(new Uint8Array(new SharedArrayBuffer(size)).fill(1));
    const second = client.write([new Uint8Array(new SharedArrayBuffer(1000)).fill(1), new Uint8Array(0)]);
    const received = countUntilEnd(peer, 1);
    await Promise.all([first, second]);
    await client.shutdown();
    assert.equal(await received, size + 1000);
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.equal(engineStats().opsInFlight, 0);
  });

  for (const type of ['udp4', 'udp6'] as const) {
    it(`${type}: a pending recv fails with ERR_BUFFER_DETACHED, and the datagram is still there for the next`, async () => {
      const [a, b] = await udpPair(type);
      const buf = new Uint8Array(64);
      const recv = a.recv(buf);
      await detachAndFree(buf);
      await b.send('still here', a.address().port, a.address().address);
      await assert.rejects(recv, { code: 'ERR_BUFFER_DETACHED', syscall: 'recv' });
      const next = await a.recvMessage();
      assert.equal(next.data.toString(), 'still here');
      await closeAll(a, b);
      assert.equal(engineStats().opsInFlight, 0);
    });
  }
});
