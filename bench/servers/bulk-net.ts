// Bulk server with Node's net: --mode sink consumes 'data' and drops it, --mode source writes one
// --chunk sized buffer until write() asks to wait, then again on 'drain' (the usual backpressure loop).
import * as net from 'node:net';
import { fail, num, str } from '../common/args';
import { HOST, isPeerGone, ready } from '../common/protocol';

const mode = str('mode', 'sink');
const chunk = num('chunk', 64 * 1024);
if (mode !== 'sink' && mode !== 'source') fail(`--mode must be sink or source, got ${mode}`);

const server = net.createServer((socket) => {
  socket.on('error', (err) => {
    if (!isPeerGone(err)) process.stderr.write(`bulk-net: connection error: ${String(err)}\n`);
  });
  if (mode === 'sink') {
    socket.on('data', () => {});
    return;
  }
  const buf = Buffer.alloc(chunk, 'z');
  const pump = (): void => {
    while (!socket.destroyed && socket.write(buf));
  };
  socket.on('drain', pump);
  pump();
});
server.on('error', (err) => fail('server error', err));
server.listen(0, HOST, () => ready((server.address() as net.AddressInfo).port));
