// Random interleavings of opening and closing: connects (some cancelled) to listeners whose accepts are
// cancelled at random and which close while clients still arrive, connections closed at once or later, and
// UDP sockets closed in the middle of sends and receives (some cancelled, some with the buffer detached).
// Checks that every failure carries a code these events explain, that everything settles, and that nothing
// stays in flight. Seeded: the choices repeat, the timing does not. tcp-interleaving.test.ts does the same
// for the data on open connections.
import * as assert from 'node:assert/strict';
import { connect, createUdpSocket, engineStats, listen } from '../lib';
import { sleep } from './helpers';
import { SeededRun } from './seeded-run';
import { isWine } from './udp-helpers';

const EXPLAINED = new Set(['ERR_SOCKET_CLOSED', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ENOTCONN', 'ABORT_ERR',
  'ETIMEDOUT', 'ERR_BUFFER_DETACHED']);

class Run extends SeededRun {
  accepted = 0;
  datagrams = 0;

  constructor(seed: number) { super(seed, EXPLAINED); }

  /** Lets `promise` run for the rest of the round: a rejection is recorded, not left unhandled. */
  later(promise: Promise<unknown>, where: string): void { promise.catch((err) => this.failed(err, where)); }

  async tcp(connects: number): Promise<void> {
    const server = await listen({ host: '127.0.0.1', port: 0, acceptDepth: 1 + this.below(8) });
    const { port } = server.address();
    const acceptor = async (): Promise<void> => {
      for (;;) {
        let conn;
        try {
          conn = await server.accept(this.options(6, 3));
        } catch (err) {
          if (this.failed(err, 'accept') === 'ERR_SOCKET_CLOSED') return;
          continue;
        }
        this.accepted++;
        const r = this.below(4);
        if (r === 1) this.later(conn.write('hi'), 'write');
        if (r < 2) this.later(conn.close(), 'close');
        else setTimeout(() => this.later(conn.close(), 'close'), this.below(20));
      }
    };
    const connector = async (): Promise<void> => {
      for (let i = 0; i < connects; i++) {
        try {
          const conn = await connect({ host: this.below(2) ? '127.0.0.1' : 'localhost', port, ...this.options(6, 3) });
          if (this.below(3) === 0) await conn.readChunk(this.options(6, 3)).catch((err) => this.failed(err, 'read'));
          await conn.close();
        } catch (err) {
          this.failed(err, 'connect');
        }
      }
    };
    setTimeout(() => this.later(server.close(), 'server.close'), 5 + this.below(100));
    await this.settles(Promise.all([acceptor(), acceptor(), connector(), connector(), connector()]), 15000,
      'listener round: still pending 15 s after everything was closed');
    await server.close();
  }

  async udp(sends: number): Promise<void> {
    const type = this.below(2) ? 'udp4' : 'udp6';
    const host = type === 'udp4' ? '127.0.0.1' : '::1';
    const a = await createUdpSocket({ type, address: host });
    const b = await createUdpSocket({ type, address: host });
    const port = a.address().port;
    if (this.below(2)) await b.connect(port, host);
    const receiver = async (): Promise<void> => {
      for (;;) {
        try {
          if (this.below(2)) {
            const buf = new Uint8Array(1 + this.below(2000));
            if (this.below(10) === 0) setTimeout(() => structuredClone(buf.buffer, { transfer: [buf.buffer] }), this.below(2));
            await a.recv(buf, this.options(6, 3));
          } else {
            await a.recvMessage(this.options(6, 3));
          }
          this.datagrams++;
        } catch (err) {
          if (this.failed(err, 'recv') === 'ERR_SOCKET_CLOSED') return;
        }
      }
    };
    const sender = async (): Promise<void> => {
      for (let i = 0; i < sends; i++) {
        const data = Buffer.alloc(1 + this.below(1400), i);
        const sent = b.connected ? b.send(data, this.options(6, 3)) : b.send(data, port, host, this.options(6, 3));
        if (this.below(10) === 0) structuredClone(data.buffer, { transfer: [data.buffer] });
        try {
          await sent;
        } catch (err) {
          if (this.failed(err, 'send') === 'ERR_SOCKET_CLOSED') return;
        }
        if (this.below(20) === 0) await sleep(1);
      }
    };
    const closeBoth = this.below(2) === 0;
    setTimeout(() => {
      this.later(a.close(), 'close');
      if (closeBoth) this.later(b.close(), 'close');
    }, this.below(50));
    await this.settles(Promise.all([receiver(), sender()]), 15000, 'UDP round: still pending 15 s after everything was closed');
    await Promise.all([a.close(), b.close()]);
  }
}

describe('open/close interleavings', function () {
  const seconds = isWine() ? 6 : 3;
  const scale = isWine() ? 10 : 30;  // Wine's sockets are about 50 times slower
  this.timeout((seconds + 45) * 1000);

  // Under Wine too. For a while this ran natively only: once in eight full-suite runs under Wine a TCP
  // operation never completed ("listener round: still pending 15 s after everything was closed"), and once
  // more after it was re-enabled. The process left hanging then held one socket, [::1]:45295 connected to
  // [::1]:45295: a connect to 'localhost' had tried ::1, where nothing listens, the kernel had picked the
  // destination's own port as the source, and TCP's simultaneous open joined the socket to itself. connect()
  // returned it, and a read without a timeout waited forever. connect() now closes such a connection and
  // tries again (lib/connect.ts, tcp-self-connect.test.ts).
  it('random connects, accepts, cancels, detaches and closes on listeners and UDP sockets settle with explained codes', async () => {
    const run = new Run(1122);
    const end = Date.now() + seconds * 1000;
    let rounds = 0;
    while (Date.now() < end) {
      await Promise.all([run.tcp(scale), run.tcp(scale), run.udp(scale * 7)]);
      rounds++;
    }
    assert.deepEqual(run.problems, []);
    assert.ok(run.accepted > 0 && run.datagrams > 0, `${rounds} rounds, ${run.accepted} accepted, ${run.datagrams} datagrams`);
    assert.ok((run.seen.get('ERR_SOCKET_CLOSED') ?? 0) > 0, 'nothing was pending at a close');
    assert.equal(engineStats().opsInFlight, 0);
  });
});
