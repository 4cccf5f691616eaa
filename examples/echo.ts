// An echo server and a client on the proactor API: the client sends a few messages of different sizes,
// reads the echoes back with the zero-byte-read technique underneath, and prints what happened.
import { createHash, randomBytes } from 'node:crypto';
import { backend, connect, listen, type Connection } from '../lib';

async function serve(conn: Connection): Promise<number> {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  for (;;) {
    const n = await conn.read(buf);
    if (n === 0) break;  // the client shut down its side
    await conn.write(buf.subarray(0, n));
    total += n;
  }
  await conn.shutdown();
  await conn.close();
  return total;
}

async function main(): Promise<void> {
  const server = await listen({ host: '127.0.0.1', port: 0 });
  const { address, port } = server.address();
  console.log(`[server] ${backend} engine, listening on ${address}:${port}`);

  const served = (async () => {
    const conn = await server.accept();
    console.log(`[server] accepted ${conn.remoteAddress}:${conn.remotePort}`);
    const bytes = await serve(conn);
    console.log(`[server] echoed ${bytes} bytes, connection closed`);
  })();

  const client = await connect({ host: '127.0.0.1', port, noDelay: true });
  console.log(`[client] connected from ${client.localAddress}:${client.localPort} to ${client.remoteAddress}:${client.remotePort}`);

  const messages = [Buffer.from('hello, completion port'), randomBytes(1000), randomBytes(256 * 1024)];
  const received = Buffer.allocUnsafe(64 * 1024);
  for (const msg of messages) {
    const writing = client.write(msg);
    const hash = createHash('sha256');
    let got = 0;
    while (got < msg.length) {
      const n = await client.read(received);
      if (n === 0) throw new Error('server closed early');
      hash.update(received.subarray(0, n));
      got += n;
    }
    await writing;
    const same = hash.digest('hex') === createHash('sha256').update(msg).digest('hex');
    console.log(`[client] sent ${msg.length} bytes, got ${got} back, ${same ? 'identical' : 'DIFFERENT'}`);
    if (!same) process.exitCode = 1;
  }
  // Gather write: three buffers, one operation. Scatter read: two buffers, and minBytes makes the read
  // wait until all 17 bytes are in, however the echo arrives.
  await client.write([Buffer.from('gather '), Buffer.from('write '), Buffer.from('done')]);
  const head = Buffer.alloc(8), tail = Buffer.alloc(64);
  const got = await client.readv([head, tail], { minBytes: 17 });
  console.log(`[client] scatter read: "${head.toString()}" + "${tail.subarray(0, got - 8).toString()}"`);

  await client.shutdown();
  const eof = await client.read(received);
  console.log(`[client] read after shutdown returned ${eof} (end of stream)`);
  await client.close();
  await served;
  await server.close();
  console.log('[demo] done: server and client closed, the process exits by itself');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
