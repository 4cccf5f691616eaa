// Echo server with iocp-net (server ping-pong): one async loop per connection, one buffer per connection.
import { listen, type Connection } from '../../lib';
import { fail } from '../common/args';
import { HOST, isPeerGone, ready } from '../common/protocol';

async function echo(conn: Connection): Promise<void> {
  conn.setNoDelay(true);
  const buf = Buffer.allocUnsafe(64 * 1024);
  try {
    for (let n; (n = await conn.read(buf)) > 0;) await conn.write(buf.subarray(0, n));
  } catch (err) {
    if (!isPeerGone(err)) process.stderr.write(`echo-iocp: connection error: ${String(err)}\n`);
  } finally {
    await conn.close();
  }
}

async function main(): Promise<void> {
  const server = await listen({ host: HOST, port: 0 });
  ready(server.address().port);
  for await (const conn of server) void echo(conn);
}

main().catch((err) => fail('failed', err));
