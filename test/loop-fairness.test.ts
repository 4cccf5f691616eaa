// The event loop keeps turning under operations that complete at once. A read that finds data, a write the
// kernel takes whole and a receive that finds a datagram settle inside the call, and their continuations
// run as microtasks, which Node drains before it returns to the loop: without a limit, a connection whose
// peer is faster than the reader (or whose writes are always taken) would starve timers, setImmediate and
// every other socket. Each socket completes at most 32 operations in a row that way
// (binding/common/inline_budget.h); then one waits for the engine's next dispatch.
import * as assert from 'node:assert/strict';
import { engineStats } from '../lib';
import { connectedPair, readExactly, sleep, withPair } from './helpers';
import { closeAll, udpPair } from './udp-helpers';

const BUDGET = 32;
// What may complete before setImmediate's callback: the budget, plus what the engine's dispatches that come
// before the check phase (the loop's poll phase) complete themselves.
const LIMIT = 2 * BUDGET + 8;

/** Runs `step` until it returns false; returns how many steps ran before a setImmediate queued at the start fired. */
async function stepsBeforeImmediate(step: () => Promise<boolean>): Promise<{ before: number; total: number }> {
  let total = 0;
  let before = -1;
  setImmediate(() => { before = total; });
  while (await step()) total++;
  if (before < 0) before = total;  // fired only after the last step
  return { before, total };
}

/** Busy for `ms`: a continuation slow enough that the operation it just started completes meanwhile. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** `size` bytes sent before the reader starts, read 1 KiB at a time, each read's continuation busy for
 *  `spinMs` after starting it: what the socket buffers hold (on loopback, far more than the budget's 32
 *  KiB) could all complete at once. */
function readerLetsLoopTurn(size: number, spinMs: number): () => Promise<void> {
  return withPair(async ({ client, peer }) => {
    const writing = client.write(Buffer.alloc(size, 'r'));
    await sleep(100);
    const buf = Buffer.alloc(1024);
    let got = 0;
    const { before, total } = await stepsBeforeImmediate(async () => {
      if (got === size) return false;
      const reading = peer.read(buf);
      if (spinMs > 0) spin(spinMs);
      got += await reading;
      return true;
    });
    await writing;
    assert.equal(got, size);
    assert.ok(total >= 2 * LIMIT, `only ${total} reads: the test needs more than the budget to mean anything`);
    assert.ok(before <= LIMIT, `${before} of ${total} reads completed before setImmediate ran`);
  });
}

/** 200 datagrams queued before the receiver starts (inside the default receive buffer: none may be
 *  dropped), each receive's continuation busy for `spinMs` after starting it. */
async function receiverLetsLoopTurn(spinMs: number): Promise<void> {
  const [a, b] = await udpPair();
  try {
    const count = 200;
    for (let i = 0; i < count; i++) await b.send(`d${i}`, a.address().port, '127.0.0.1');
    await sleep(50);
    const buf = Buffer.alloc(16);
    let i = 0;
    const { before, total } = await stepsBeforeImmediate(async () => {
      if (i === count) return false;
      const receiving = a.recv(buf, { timeout: 20000 });
      if (spinMs > 0) spin(spinMs);
      const r = await receiving;
      assert.equal(buf.toString('utf8', 0, r.bytes), `d${i}`);
      i++;
      return true;
    });
    assert.equal(total, count);
    assert.ok(before <= LIMIT, `${before} of ${total} receives completed before setImmediate ran`);
  } finally {
    await closeAll(a, b);
  }
}

describe('event-loop fairness under operations that complete at once', () => {
  it('a reader whose data is always there still lets setImmediate run', readerLetsLoopTurn(512 * 1024, 0));

  it('a writer whose writes are always taken still lets setImmediate run', async () => {
    const { server, client, peer } = await connectedPair();
    try {
      const count = 1000;
      const msg = Buffer.alloc(16, 'w');
      let n = 0;
      const { before, total } = await stepsBeforeImmediate(async () => {
        if (n === count) return false;
        await client.write(msg);
        n++;
        return true;
      });
      assert.equal(total, count);
      assert.ok(before <= LIMIT, `${before} of ${total} writes completed before setImmediate ran`);
      const all = await readExactly(peer, count * msg.length);
      assert.ok(all.equals(Buffer.alloc(count * msg.length, 'w')), 'every byte arrives, in order');
    } finally {
      await Promise.all([client.close(), peer.close()]);
      await server.close();
    }
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a UDP sender whose datagrams are always taken still lets setImmediate run', async () => {
    const [a, b] = await udpPair();
    try {
      const count = 200;
      let n = 0;
      const { before, total } = await stepsBeforeImmediate(async () => {
        if (n === count) return false;
        await b.send(`s${n}`, a.address().port, '127.0.0.1');
        n++;
        return true;
      });
      assert.equal(total, count);
      assert.ok(before <= LIMIT, `${before} of ${total} sends completed before setImmediate ran`);
      const buf = Buffer.alloc(16);
      for (let i = 0; i < count; i++) {
        const r = await a.recv(buf, { timeout: 20000 });
        assert.equal(buf.toString('utf8', 0, r.bytes), `s${i}`, 'every datagram arrives, in order');
      }
    } finally {
      await closeAll(a, b);
    }
  });

  // A read past the budget waits for the engine, and the engine's dispatch must come in the loop's next
  // turn. Here each read is started, then the continuation spins for 1 ms before it awaits, so the read
  // has completed (the data is there) while the dispatch that ran the continuation is still going. On
  // Windows the poller hands that completion to a threadsafe function; Node runs the calls queued while
  // one runs in the same turn, so with one function every read completed before setImmediate (all 257
  // here, under Wine, every time), until the engine took two in turns (iocp_engine.cc).
  it('a slow reader whose reads complete while its continuation runs still lets setImmediate run',
    readerLetsLoopTurn(256 * 1024, 1));

  it('a slow UDP receiver whose receives complete while its continuation runs still lets setImmediate run',
    () => receiverLetsLoopTurn(1));

  it('a UDP receiver with datagrams always queued still lets setImmediate run', () => receiverLetsLoopTurn(0));
});
