// Bulk client with Node's net over one socket: --mode send writes one --chunk sized buffer until write()
// asks to wait, then again on 'drain', counting bytes as each write completes; --mode recv counts 'data'.
// Prints MB/s (10^6 bytes).
import * as net from 'node:net';
import { fail, num, str } from '../common/args';
import { HOST } from '../common/protocol';
import { measure } from '../common/window';

const port = num('port', 0), chunk = num('chunk', 64 * 1024), mode = str('mode', 'send');
if (mode !== 'send' && mode !== 'recv') fail(`--mode must be send or recv, got ${mode}`);
let bytes = 0;

const socket = net.connect({ host: HOST, port }, () => {
  socket.setNoDelay(true);
  if (mode === 'recv') {
    socket.on('data', (data) => { bytes += data.length; });
  } else {
    const buf = Buffer.alloc(chunk, 'c');
    const written = (): void => { bytes += chunk; };
    const pump = (): void => {
      while (socket.write(buf, written));
    };
    socket.on('drain', pump);
    pump();
  }
  measure(() => bytes, 'MB/s', 1e6, { chunk, mode }).then(() => process.exit(0), (err) => fail('failed', err));
});
socket.on('error', (err) => fail('connection failed', err));
socket.on('end', () => fail('the server closed the connection'));
