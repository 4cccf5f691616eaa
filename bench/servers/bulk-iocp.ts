// Bulk server with iocp-net: --mode sink reads and discards, each read filling one buffer of
// bulkReadSize(--chunk) bytes (minBytes), --mode source writes one --chunk sized buffer over and over, one
// write at a time.
import { listen, type Connection } from '../../lib';
import { fail, num, str } from '../common/args';
import { HOST, bulkReadSize, isPeerGone, ready } from '../common/protocol';

const mode = str('mode', 'sink');
const chunk = num('chunk', 64 * 1024);
if (mode !== 'sink' && mode !== 'source') fail(`--mode must be sink or source, got ${mode}`);

async function serve(conn: Connection): Promise<void> {
  try {
    if (mode === 'sink') {
      const buf = Buffer.alloc(bulkReadSize(chunk));
      while ((await conn.read(buf, { minBytes: buf.length })) > 0);
    } else {
      const buf = Buffer.alloc(chunk, 'z');
      for (;;) await conn.write(buf);
    }
  } catch (err) {
    if (!isPeerGone(err)) process.stderr.write(`bulk-iocp: connection error: ${String(err)}\n`);
  } finally {
    await conn.close();
  }
}

async function main(): Promise<void> {
  const server = await listen({ host: HOST, port: 0 });
  ready(server.address().port);
  for await (const conn of server) void serve(conn);
}

main().catch((err) => fail('failed', err));
