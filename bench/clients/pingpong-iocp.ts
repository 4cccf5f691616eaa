// Ping-pong client with iocp-net: --conns connections to --port, each in its own async loop writing one
// --size byte message and reading until all of it has come back. Prints round trips/s.
import { connect, type Connection } from '../../lib';
import { fail, num } from '../common/args';
import { HOST } from '../common/protocol';
import { measure } from '../common/window';

const port = num('port', 0), conns = num('conns', 1), size = num('size', 64);
let roundTrips = 0;

async function pingpong(conn: Connection): Promise<void> {
  const msg = Buffer.alloc(size, 'p');
  const buf = Buffer.allocUnsafe(size);
  for (;;) {
    await conn.write(msg);
    for (let got = 0; got < size;) {
      const n = await conn.read(got === 0 ? buf : buf.subarray(got));
      if (n === 0) fail('the server closed a connection');
      got += n;
    }
    roundTrips++;
  }
}

async function main(): Promise<void> {
  const all = await Promise.all(Array.from({ length: conns }, () => connect({ host: HOST, port, noDelay: true })));
  for (const conn of all) pingpong(conn).catch((err) => fail('connection failed', err));
  await measure(() => roundTrips, 'round trips/s', 1, { conns, size });
  process.exit(0);
}

main().catch((err) => fail('failed', err));
