// Idle-connection server with Node's net (memory): each accepted socket is flowing (libuv keeps a read
// started on it) and is otherwise left alone. Prints memory before and with --conns held.
import * as net from 'node:net';
import { fail } from '../common/args';
import { idleReporter } from '../common/memory';
import { HOST, isPeerGone, ready } from '../common/protocol';

const reporter = idleReporter();
let held = 0;

const server = net.createServer((socket) => {
  socket.on('data', () => fail('an idle connection received data'));
  socket.on('error', (err) => {
    if (!isPeerGone(err)) process.stderr.write(`idle-net: connection error: ${String(err)}\n`);
  });
  socket.on('close', () => held--);
  reporter.held(++held);
});
server.on('error', (err) => fail('server error', err));
server.listen(0, HOST, () => {
  reporter.baseline().then(() => ready((server.address() as net.AddressInfo).port), (err) => fail('failed', err));
});
