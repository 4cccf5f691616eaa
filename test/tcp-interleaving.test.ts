// Random interleavings of everything a connection can be asked to do at once: reads of every kind (some
// cancelled by timeout or signal, some with their buffer detached), gather and plain writes of up to
// 300,000 bytes (some cancelled or detached), shutdowns, and closes of either end at any moment. Each
// direction of each pair carries a known byte stream, so the checks are exact:
//  - the bytes a reader gets are the stream from its start, with no hole and nothing twice, until a write
//    that failed or was cancelled leaves the rest unknown;
//  - a stream that was shut down cleanly, with every write done, reaches its reader whole before its end
//    (under Wine, where a reset reads as end of stream, only when the end came before the writer's close);
//  - every failure carries one of the codes these events explain;
//  - every promise settles, and nothing is left in flight.
// The run is seeded (the choices repeat; the timing does not). A run of this kind found the reset that
// used to end a stream early (tcp-errors.test.ts).
import * as assert from 'node:assert/strict';
import { connect, engineStats, listen, type Connection, type Server } from '../lib';
import { sleep } from './helpers';
import { SeededRun } from './seeded-run';
import { isWine } from './udp-helpers';

const EXPLAINED = new Set(['ERR_SOCKET_CLOSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'ECONNABORTED', 'ABORT_ERR', 'ETIMEDOUT',
  'ERR_BUFFER_DETACHED']);

/** The byte at `offset` of stream `id`. */
const streamByte = (id: number, offset: number): number => (offset * 31 + id * 7 + (offset >> 8)) & 255;

/** In a Buffer of its own: a small allocUnsafe() one would share Node's pool, which a detach would take away. */
function streamBytes(id: number, offset: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = streamByte(id, offset + i);
  return b;
}

interface Direction {
  id: number;
  stop: boolean;
  unknown: boolean;
  shut: boolean;
  // No shutdown in this direction. A pair whose two streams both shut down ends its reads at end of stream
  // and may close with nothing pending; under Wine, where most operations complete at once, whole runs did.
  // One pair in four keeps both reads open until the close, so every run closes with reads pending.
  neverShut: boolean;
  written?: number;
  ended?: number;
  /** The writer's end had begun to close: a reset from it can have arrived. */
  writerClosing: boolean;
  /** The end of stream was read after the writer's end had begun to close. */
  endedAfterWriterClose?: boolean;
}

class Run extends SeededRun {
  bytes = 0;
  wineResetsReadAsEnd = 0;

  constructor(seed: number) { super(seed, EXPLAINED); }

  detachLater(view: Uint8Array, oneIn: number): void {
    if (this.below(oneIn) === 0) setTimeout(() => structuredClone(view.buffer, { transfer: [view.buffer] }), this.below(2));
  }

  async write(conn: Connection, d: Direction): Promise<void> {
    const pending: Promise<void>[] = [];
    let offset = 0;
    while (!d.stop) {
      const n = this.pick([1, 7, 64, 1000, 16384, 65536, 300000]);
      const data = streamBytes(d.id, offset, n);
      const payload = n > 3 && this.below(3) === 0 ? [data.subarray(0, 1), data.subarray(1, n >> 1), data.subarray(n >> 1)] : data;
      offset += n;
      this.detachLater(data, 20);
      pending.push(conn.write(payload, this.options(10, 2)).then(() => { this.bytes += n; }, (err) => {
        this.failed(err, 'write');
        d.unknown = d.stop = true;  // what reached the peer is unknown from here on
      }));
      if (pending.length > 4 || this.below(3) === 0) await Promise.race([pending.shift(), sleep(50)]);
      if (this.below(200) === 0 && !d.neverShut) {
        await Promise.all(pending);
        try {
          await conn.shutdown();
          d.shut = !d.unknown;
        } catch (err) {
          this.failed(err, 'shutdown');
        }
        break;
      }
    }
    await Promise.all(pending);
    d.written = offset;
  }

  async read(conn: Connection, d: Direction): Promise<void> {
    let offset = 0;
    for (;;) {
      const options = this.options(8, 2);
      let got: Buffer | null;
      try {
        const kind = this.below(3);
        if (kind === 0) {
          const buf = new Uint8Array(this.pick([1, 100, 4096, 65536]));
          this.detachLater(buf, 30);
          const n = await conn.read(buf, options);
          got = n === 0 ? null : Buffer.from(buf.buffer, buf.byteOffset, n);
        } else if (kind === 1) {
          const bufs = [new Uint8Array(1 + this.below(10)), new Uint8Array(1 + this.below(5000)), new Uint8Array(1 + this.below(70000))];
          const n = await conn.readv(bufs, options);
          got = n === 0 ? null : Buffer.concat(bufs).subarray(0, n);
        } else {
          got = await conn.readChunk({ maxBytes: 1 + this.below(70000), ...options });
        }
      } catch (err) {
        const code = this.failed(err, 'read');
        if (code === 'ABORT_ERR' || code === 'ETIMEDOUT' || code === 'ERR_BUFFER_DETACHED') continue;  // nothing lost
        return;
      }
      if (got === null) {
        d.ended = offset;
        d.endedAfterWriterClose = d.writerClosing;
        return;
      }
      for (let i = 0; i < got.length && !d.unknown; i++) {
        if (got[i] !== streamByte(d.id, offset + i)) {
          this.problems.push(`stream ${d.id}: byte ${offset + i} is ${got[i]}, not ${streamByte(d.id, offset + i)}`);
          d.unknown = true;
        }
      }
      offset += got.length;
    }
  }

  async pair(server: Server, id: number): Promise<void> {
    const accepted = server.accept();
    const client = await connect({ host: '127.0.0.1', port: server.address().port });
    const peer = await accepted;
    const neverShut = id % 4 === 0;
    const up: Direction = { id: 2 * id, stop: false, unknown: false, shut: false, neverShut, writerClosing: false };
    const down: Direction = { id: 2 * id + 1, stop: false, unknown: false, shut: false, neverShut, writerClosing: false };
    const closeClient = () => { up.writerClosing = true; return client.close(); };
    const closePeer = () => { down.writerClosing = true; return peer.close(); };
    const tasks = Promise.all([this.write(client, up), this.read(peer, up), this.write(peer, down), this.read(client, down)]);
    await Promise.race([tasks, sleep(20 + this.below(400))]);
    up.stop = down.stop = true;
    const order = this.below(3);
    if (order === 0) await closeClient().then(() => sleep(this.below(5))).then(closePeer);
    else if (order === 1) await closePeer().then(() => sleep(this.below(5))).then(closeClient);
    else await Promise.all([closeClient(), closePeer()]);
    await this.settles(tasks, 10000, `pair ${id}: operations still pending 10 s after both ends closed`);
    for (const d of [up, down]) {
      if (d.shut && !d.unknown && d.ended !== undefined && d.ended !== d.written) {
        // The writer's close resets the connection when unread data is left at its end. Under Wine a reset
        // reads as end of stream (see tcp-errors.test.ts), so an early end read after that close is
        // counted, not judged; one read before it is a stream that lost bytes, everywhere.
        if (isWine() && d.endedAfterWriterClose) this.wineResetsReadAsEnd++;
        else this.problems.push(`stream ${d.id}: ended after ${d.ended} of the ${d.written} bytes written before shutdown`);
      }
    }
  }
}

describe('TCP interleavings', function () {
  // Wine's sockets are about 50 times slower: fewer pairs there, for a little longer.
  const pairs = isWine() ? 6 : 16;
  const seconds = isWine() ? 6 : 4;
  this.timeout((seconds + 30) * 1000);

  it(`random reads, writes, cancels, detaches, shutdowns and closes on ${pairs} connections at once keep every stream exact and settle everything (Wine: an early end after the writer's close is a reset)`, async () => {
    const run = new Run(20261122);
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const end = Date.now() + seconds * 1000;
    let next = 0, done = 0;
    await Promise.all(Array.from({ length: pairs }, async () => {
      while (Date.now() < end) {
        await run.pair(server, next++);
        done++;
      }
    }));
    await server.close();
    assert.deepEqual(run.problems, []);
    if (run.wineResetsReadAsEnd > 0) {
      console.log(`      (Wine: ${run.wineResetsReadAsEnd} shut-down stream(s) read an early end after the writer's close, a reset as Wine reports it; not judged)`);
    }
    assert.ok(done >= pairs && run.bytes > 0, `only ${done} pairs and ${run.bytes} bytes: the run did not get going`);
    assert.ok((run.seen.get('ERR_SOCKET_CLOSED') ?? 0) > 0,
      `no operation was pending at a close (${done} pairs, ${run.bytes} bytes, failures: ${JSON.stringify([...run.seen])})`);
    assert.equal(engineStats().opsInFlight, 0);
  });
});
