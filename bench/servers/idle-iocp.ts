// Idle-connection server with iocp-net (memory): each accepted connection keeps one read pending and is
// otherwise left alone. Prints memory before and with --conns held.
//
// How each connection waits (--style):
//   callback (default)  conn.readChunk().then(onChunk, onError): the pending read's promise and one
//                       continuation per connection, the way the `net` server holds its sockets with
//                       listeners. This is the shape to hold many idle connections in.
//   async               one async function per connection awaiting the read. Natural for busy connections,
//                       but each suspended async function keeps its own promise, generator, register file
//                       and resume closures alive (~440 bytes of heap, measured with a heap snapshot), more
//                       than the library's own share; the benchmark reports this style as its own row.
// readChunk() pins no buffer while it waits; --buf N > 0 reads into a caller-owned N-byte buffer instead.
import { listen, type Connection } from '../../lib';
import { fail, num, str } from '../common/args';
import { idleReporter } from '../common/memory';
import { HOST, isPeerGone, ready } from '../common/protocol';

const bufSize = num('buf', 0);
const style = str('style', 'callback');
if (style !== 'callback' && style !== 'async') fail(`--style must be callback or async, got ${style}`);
const reporter = idleReporter();
let held = 0;

function pendingRead(conn: Connection): Promise<number> {
  return bufSize > 0 ? conn.read(Buffer.allocUnsafe(bufSize)) : conn.readChunk().then((c) => c?.length ?? 0);
}

function done(conn: Connection, got: number): void {
  if (got > 0) fail('an idle connection received data');
  held--;
  conn.close().catch((err: unknown) => fail('close failed', err));
}

function failed(conn: Connection, err: unknown): void {
  if (!isPeerGone(err)) process.stderr.write(`idle-iocp: connection error: ${String(err)}\n`);
  done(conn, 0);
}

function holdWithCallbacks(conn: Connection): void {
  // readChunk() directly, without the length mapping of pendingRead(): one promise per connection, not two.
  const read = bufSize > 0 ? conn.read(Buffer.allocUnsafe(bufSize)) : conn.readChunk();
  read.then((got) => done(conn, typeof got === 'number' ? got : got?.length ?? 0), (err) => failed(conn, err));
  reporter.held(++held);  // the read is posted: count it before it can complete
}

async function holdInAsyncFunction(conn: Connection): Promise<void> {
  let got = 0;
  try {
    const read = pendingRead(conn);
    reporter.held(++held);
    got = await read;
  } catch (err) {
    failed(conn, err);
    return;
  }
  done(conn, got);
}

async function main(): Promise<void> {
  const server = await listen({ host: HOST, port: 0 });
  await reporter.baseline();
  ready(server.address().port);
  for await (const conn of server) {
    if (style === 'callback') holdWithCallbacks(conn);
    else void holdInAsyncFunction(conn);
  }
}

main().catch((err) => fail('failed', err));
