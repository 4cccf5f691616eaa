// A user's TypeScript (CommonJS output) against the installed package: strict, NodeNext resolution, no DOM lib. It is only
// type-checked (tsconfig.consumer.json); every line is something the README shows a user writing.
import { connect, listen, createUdpSocket, lookup, Resolver, type Connection, type HostLookup, type SystemError } from 'iocp-net';

async function echo(conn: Connection): Promise<void> {
  for await (const chunk of conn) await conn.write(chunk);
  await conn.close();
}

export async function main(): Promise<void> {
  const server = await listen({ host: '127.0.0.1', port: 0 });
  const port: number = server.address().port;
  void (async () => { for await (const conn of server) void echo(conn); })();

  const client = await connect({ host: 'localhost', port, timeout: 1000, signal: AbortSignal.timeout(2000) });
  await client.write(['a', 'b'].map((s) => Buffer.from(s)));
  const n: number = await client.read(new Uint8Array(16));
  const chunk: Buffer | null = await client.readChunk({ maxBytes: 4 });
  client.setNoDelay(true).setKeepAlive(true, 1000);
  await client.close();
  await server.close();

  const udp = await createUdpSocket({ type: 'udp6', ipv6Only: false });
  const d = await udp.recvMessage({ timeout: 10 });
  const from: string = d.address;
  await udp.close();

  // A plain custom lookup (net.connect's LookupFunction shape), for connect() and UDP alike.
  const custom: HostLookup = (_host, _options, callback) => callback(null, '127.0.0.1', 4);
  await (await connect({ host: 'my.host', port, lookup: custom })).close();
  await (await createUdpSocket({ type: 'udp4', address: 'my.host', lookup: (_h, _o, cb) => cb(null, '127.0.0.1', 4) })).close();
  await (await connect({ host: 'localhost', port, lookup })).close();

  const { address, family } = await lookup('localhost');
  const mx = await new Resolver({ timeout: 500 }).resolveMx('example.test');
  try { await connect({ port: 1 }); } catch (err) { const e = err as SystemError; console.log(e.code, e.syscall); }
  console.log(n, chunk?.length, from, address, family, mx[0]?.exchange);
}
