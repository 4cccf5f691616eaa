// Idle-connection server with iocp-net (memory): each accepted connection keeps one read pending and is
// otherwise left alone. By default that is readChunk(), which pins no buffer while it waits (the way to
// hold idle connections); --buf N > 0 reads into a caller-owned N-byte buffer per connection instead.
// Prints memory before and with --conns held.
import { listen, type Connection } from '../../lib';
import { fail, num } from '../common/args';
import { idleReporter } from '../common/memory';
import { HOST, isPeerGone, ready } from '../common/protocol';

const bufSize = num('buf', 0);
const reporter = idleReporter();
let held = 0;

async function hold(conn: Connection): Promise<void> {
  try {
    // The read is posted now; count it before waiting on it.
    const pending = bufSize > 0 ? conn.read(Buffer.allocUnsafe(bufSize)) : conn.readChunk().then((c) => c?.length ?? 0);
    reporter.held(++held);
    if ((await pending) > 0) fail('an idle connection received data');
  } catch (err) {
    if (!isPeerGone(err)) process.stderr.write(`idle-iocp: connection error: ${String(err)}\n`);
  } finally {
    held--;
    await conn.close();
  }
}

async function main(): Promise<void> {
  const server = await listen({ host: HOST, port: 0 });
  await reporter.baseline();
  ready(server.address().port);
  for await (const conn of server) void hold(conn);
}

main().catch((err) => fail('failed', err));
