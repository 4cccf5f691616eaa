import * as assert from 'node:assert/strict';
import { engineStats, type UdpSocket, type UdpType } from '../lib';
import { closeAll, udpPair } from './udp-helpers';

const COUNT = 10000;
const SIZE = 512;
// Datagrams sent but not yet received: the "modest rate". Well inside the default receive buffer, so the
// kernel has no reason to drop any and every loss would be ours.
const WINDOW = 64;

/** Fills a datagram with its sequence number and a pattern derived from it. */
function fill(buf: Buffer, seq: number): void {
  buf.writeUInt32BE(seq, 0);
  for (let i = 4; i < buf.length; i++) buf[i] = (seq + i) & 0xff;
}

function check(data: Uint8Array): number {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  assert.equal(buf.length, SIZE);
  const seq = buf.readUInt32BE(0);
  for (let i = 4; i < buf.length; i++) if (buf[i] !== ((seq + i) & 0xff)) assert.fail(`datagram ${seq} corrupt at byte ${i}`);
  return seq;
}

async function pump(type: UdpType, receive: (rx: UdpSocket, onDatagram: (data: Uint8Array) => boolean) => Promise<void>): Promise<void> {
  const [rx, tx] = await udpPair(type);
  await tx.connect(rx.address().port, rx.address().address);
  const seen = new Uint8Array(COUNT);
  let received = 0;
  let outOfOrder = 0;
  let progress = Date.now();
  // Ends the receiver instead of hanging if datagrams go missing, so the assertions below can say how many.
  const watchdog = setInterval(() => { if (Date.now() - progress > 20000) void rx.close(); }, 1000);
  const receiving = receive(rx, (data) => {
    const seq = check(data);
    if (seq !== received) outOfOrder++;
    seen[seq]++;
    received++;
    progress = Date.now();
    return received < COUNT;
  });
  const payload = Buffer.alloc(SIZE);
  for (let i = 0; i < COUNT; i++) {
    while (i - received >= WINDOW && !rx.closed) await new Promise((r) => setImmediate(r));
    if (rx.closed) break;  // the watchdog gave up
    fill(payload, i);
    await tx.send(payload);
  }
  await receiving;
  clearInterval(watchdog);
  assert.equal(received, COUNT, `received ${received} of ${COUNT}`);
  assert.ok(seen.every((n) => n === 1), 'each datagram exactly once');
  assert.equal(outOfOrder, 0, 'loopback keeps the order');
  await closeAll(rx, tx);
  assert.equal(engineStats().opsInFlight, 0);
}

describe('UDP under load', function () {
  this.timeout(300000);

  it(`udp4: ${COUNT} datagrams arrive, each once, in order (messages(buf): the caller's buffer)`, async () => {
    await pump('udp4', async (rx, onDatagram) => {
      const buf = Buffer.alloc(2048);
      for await (const r of rx.messages(buf)) {
        assert.equal(r.truncated, false);
        if (!onDatagram(buf.subarray(0, r.bytes))) break;
      }
    });
  });

  it(`udp6: ${COUNT} datagrams arrive, each once, in order (async iteration: fresh Buffers)`, async () => {
    await pump('udp6', async (rx, onDatagram) => {
      for await (const d of rx) {
        if (!onDatagram(d.data)) break;
      }
    });
  });
});
