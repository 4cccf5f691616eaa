// Accept-and-close server with iocp-net (accept rate): every accepted connection is closed at once.
import { listen } from '../../lib';
import { fail } from '../common/args';
import { HOST, ready } from '../common/protocol';

async function main(): Promise<void> {
  const server = await listen({ host: HOST, port: 0 });
  ready(server.address().port);
  for await (const conn of server) {
    conn.close().catch((err) => process.stderr.write(`accept-iocp: close failed: ${String(err)}\n`));
  }
}

main().catch((err) => fail('failed', err));
