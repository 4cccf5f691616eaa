// Echo server with Node's net (server ping-pong): write back every chunk as it arrives, Nagle off.
import * as net from 'node:net';
import { fail } from '../common/args';
import { HOST, isPeerGone, ready } from '../common/protocol';

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', (err) => {
    if (!isPeerGone(err)) process.stderr.write(`echo-net: connection error: ${String(err)}\n`);
  });
});
server.on('error', (err) => fail('server error', err));
server.listen(0, HOST, () => ready((server.address() as net.AddressInfo).port));
