// DNS over TCP (RFC 1035 §4.2.2, RFC 7766) with our own connect(): used when a UDP answer comes back
// truncated. One connection per query: a 2-byte length, the query, then read one length-prefixed answer.
import { connect } from '../connect';
import type { Connection } from '../connection';
import { AbortError } from '../errors';
import type { ServerAddress } from './config';

/** Sends `query` to the server over TCP and returns the raw answer (without its length prefix). Rejects with
 *  ETIMEDOUT after `timeout` ms, an AbortError when `signal` fires, or the connection's error. */
export async function tcpExchange(server: ServerAddress, query: Uint8Array,
                                  opts: { timeout: number; signal?: AbortSignal }): Promise<Buffer> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ac.abort(); }, opts.timeout);
  const onAbort = (): void => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  let conn: Connection | undefined;
  try {
    conn = await connect({ host: server.address, port: server.port, signal: ac.signal, noDelay: true });
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(query.byteLength);
    await conn.write([len, query], { signal: ac.signal });
    const head = await readExactly(conn, 2, ac.signal);
    const size = head.readUInt16BE(0);
    return size === 0 ? Buffer.alloc(0) : await readExactly(conn, size, ac.signal);
  } catch (err) {
    if (timedOut) {
      const e = new Error(`TCP query to ${server.address}:${server.port} timed out`) as Error & { code: string };
      e.code = 'ETIMEDOUT';
      throw e;
    }
    if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason });
    throw err;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await conn?.close();
  }
}

async function readExactly(conn: Connection, n: number, signal: AbortSignal): Promise<Buffer> {
  const out = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got), { signal });
    if (r === 0) {
      const e = new Error(`connection closed after ${got} of ${n} bytes of a DNS answer`) as Error & { code: string };
      e.code = 'EOF';
      throw e;
    }
    got += r;
  }
  return out;
}
