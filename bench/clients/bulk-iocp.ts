// Bulk client with iocp-net over one connection: --mode send writes one --chunk sized buffer over and
// over (one write at a time), --mode recv reads, each read filling one buffer of bulkReadSize(--chunk)
// bytes (minBytes). Prints MB/s (10^6 bytes).
import { connect } from '../../lib';
import { fail, num, str } from '../common/args';
import { HOST, bulkReadSize } from '../common/protocol';
import { measure } from '../common/window';

const port = num('port', 0), chunk = num('chunk', 64 * 1024), mode = str('mode', 'send');
if (mode !== 'send' && mode !== 'recv') fail(`--mode must be send or recv, got ${mode}`);
let bytes = 0;

async function main(): Promise<void> {
  const conn = await connect({ host: HOST, port, noDelay: true });
  const loop = async (): Promise<void> => {
    if (mode === 'send') {
      const buf = Buffer.alloc(chunk, 'c');
      for (;;) {
        await conn.write(buf);
        bytes += chunk;
      }
    }
    const buf = Buffer.alloc(bulkReadSize(chunk));
    for (let n; (n = await conn.read(buf, { minBytes: buf.length })) > 0;) bytes += n;
    fail('the server closed the connection');
  };
  loop().catch((err) => fail('connection failed', err));
  await measure(() => bytes, 'MB/s', 1e6, { chunk, mode });
  process.exit(0);
}

main().catch((err) => fail('failed', err));
