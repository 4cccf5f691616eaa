// Ping-pong client with Node's net: --conns sockets to --port, each sending one --size byte message and
// the next one when all of it has come back ('data' handler, Nagle off). Prints round trips/s.
import * as net from 'node:net';
import { fail, num } from '../common/args';
import { HOST } from '../common/protocol';
import { measure } from '../common/window';

const port = num('port', 0), conns = num('conns', 1), size = num('size', 64);
let roundTrips = 0;

function open(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function pingpong(socket: net.Socket): void {
  const msg = Buffer.alloc(size, 'p');
  let got = 0;
  socket.setNoDelay(true);
  socket.on('error', (err) => fail('connection failed', err));
  socket.on('end', () => fail('the server closed a connection'));
  socket.on('data', (data) => {
    got += data.length;
    if (got < size) return;
    got -= size;
    roundTrips++;
    socket.write(msg);
  });
  socket.write(msg);
}

async function main(): Promise<void> {
  const all = await Promise.all(Array.from({ length: conns }, open));
  for (const socket of all) pingpong(socket);
  await measure(() => roundTrips, 'round trips/s', 1, { conns, size });
  process.exit(0);
}

main().catch((err) => fail('failed', err));
