// Test helpers shared by the suites: echo servers, exact reads, platform-only tests.
import * as assert from 'node:assert/strict';
import * as util from 'node:util';
import { connect, listen, type Connection, type Server } from '../lib';
import type { Worker } from 'node:worker_threads';

/** A TCP port nothing listens on (on `host`): bound by a server that is then closed. */
export async function deadTcpPort(host = '127.0.0.1'): Promise<number> {
  const server = await listen({ host, port: 0 });
  const { port } = server.address();
  await server.close();
  return port;
}

/** An echo server on the proactor API; returns it with its port and a promise of the serving loop. */
export async function echoServer(host = '127.0.0.1'): Promise<{ server: Server; port: number; done: Promise<void> }> {
  const server = await listen({ host, port: 0 });
  const done = (async () => {
    for await (const conn of server) {
      void (async () => {
        const buf = Buffer.allocUnsafe(256 * 1024);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === 0) break;
            await conn.write(buf.subarray(0, n));
          }
          await conn.shutdown();
        } catch {
          // the client went away; nothing to echo
        } finally {
          await conn.close();
        }
      })();
    }
  })();
  return { server, port: server.address().port, done };
}

/** A listener with one accepted connection: the client side and the server's peer of it. */
export async function connectedPair(host = '127.0.0.1'): Promise<{ server: Server; client: Connection; peer: Connection }> {
  const server = await listen({ host, port: 0 });
  const accepted = server.accept();
  const client = await connect({ host, port: server.address().port });
  return { server, client, peer: await accepted };
}

export type Pair = Awaited<ReturnType<typeof connectedPair>>;

/** A test body that runs `fn` on a fresh connected pair, then closes all three. */
export const withPair = (fn: (pair: Pair) => Promise<void>) => async (): Promise<void> => {
  const pair = await connectedPair();
  try {
    await fn(pair);
  } finally {
    await Promise.all([pair.client.close(), pair.peer.close(), pair.server.close()]);
  }
};

/** Reads exactly n bytes (fails on early end of stream). */
export async function readExactly(conn: Connection, n: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === 0) throw new Error(`end of stream after ${got} of ${n} bytes`);
    got += r;
  }
  return out;
}

/** Reads until end of stream. */
export async function readAll(conn: Connection): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}

/** Asserts a Node-shaped system error: code, syscall, and an errno Node itself maps back to the code. */
export function assertSystemError(err: unknown, code: string, syscall?: string): void {
  const e = err as { code?: string; errno?: number; syscall?: string; message?: string };
  assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  if (syscall !== undefined) assert.equal(e.syscall, syscall);
  if (!code.startsWith('ERR_')) {
    assert.equal(typeof e.errno, 'number', `errno missing on ${e.message}`);
    assert.equal(util.getSystemErrorName(e.errno!), code);
  }
  assert.match(e.message!, new RegExp(code));
}

export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return err instanceof Error && e.name === 'AbortError' && e.code === 'ABORT_ERR';
}

/** A test that only makes sense on one platform: named so, and skipped visibly elsewhere. */
export function platformIt(platform: NodeJS.Platform, title: string, fn: (this: Mocha.Context) => Promise<void>): void {
  it(`[${platform} only] ${title}`, async function () {
    if (process.platform !== platform) {
      console.log(`      (skipped: needs ${platform}, running on ${process.platform})`);
      this.skip();
    }
    await fn.call(this);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The exit code of `worker`. Call it as soon as the worker is made: when a worker posts its last message and
 *  ends, Node may deliver that message and 'exit' in one go (it drains the port, then emits 'exit'), so an
 *  'exit' listener added after awaiting the message misses it. Under CPU load that hung these tests. */
export function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}
