// A TCP server: accepted connections are handed out by accept() or async iteration. The native listener
// keeps `acceptDepth` accepts posted; while that many accepted connections wait here unclaimed it pauses,
// leaving further clients in the kernel's backlog instead of accepting what nobody serves yet.
import * as dns from 'node:dns';
import * as net from 'node:net';
import { Connection, type SocketAddress } from './connection';
import { AbortError, incompatibleOptions, makeSystemError } from './errors';
import { native, type NativeTcpListener, type NativeTcpSocket } from './native';
import {
  checkBoolean, checkNumber, checkObject, checkOpOptions, checkPort, checkString, type OpOptions,
} from './validate';

export interface ListenOptions {
  /** Address or host name to bind; default "::" (dual-stack), or "0.0.0.0" where IPv6 is unavailable. */
  host?: string;
  port?: number;
  /** Kernel accept queue length; default the OS maximum (SOMAXCONN). Linux clamps it to net.core.somaxconn. */
  backlog?: number;
  /** For IPv6 hosts: accept IPv6 only (default false: IPv4 clients too). */
  ipv6Only?: boolean;
  /** Windows SO_EXCLUSIVEADDRUSE: no other socket may bind the port. Default true on Windows unless
   *  reuseAddress is set. A no-op on Linux, which never lets another socket take a listening port. */
  exclusiveAddressUse?: boolean;
  /** SO_REUSEADDR. Default false on Windows (where it would let another socket steal the port), true on
   *  Linux (where it only allows binding over connections left in TIME_WAIT, as net does). */
  reuseAddress?: boolean;
  /** Accept operations kept posted (AcceptEx on Windows); default 32. */
  acceptDepth?: number;
}

/** Accept errors that say the process is short of descriptors or memory for now, not that the listener broke. */
const TEMPORARY = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

interface Waiter { resolve(c: Connection): void; reject(e: unknown): void }

export class Server implements AsyncIterable<Connection>, AsyncDisposable {
  readonly #h: NativeTcpListener;
  readonly #depth: number;
  readonly #ready: Connection[] = [];
  readonly #waiters: Waiter[] = [];
  #paused = false;
  #closed: Promise<void> | undefined;
  #error: unknown;
  #wakeRetry: (() => void) | undefined;  // ends iteration's wait before a retry at once when close() comes
  #warnedAt = -Infinity;  // when iteration last warned of a shortage

  /** @internal use listen() */
  constructor(handle: NativeTcpListener, depth: number) {
    this.#h = handle;
    this.#depth = depth;
  }

  /** @internal called by the native listener on the JS thread */
  onAccept = (err: Error | null, sock: NativeTcpSocket | null): void => {
    if (err !== null) {
      // The native listener paused itself: the next accept() resumes it, which tries again at once.
      this.#paused = true;
      const w = this.#waiters.shift();
      if (w !== undefined) w.reject(err);
      else this.#error = err;
      return;
    }
    const conn = new Connection(sock!);
    const w = this.#waiters.shift();
    if (w !== undefined) return w.resolve(conn);
    this.#ready.push(conn);
    if (this.#ready.length >= this.#depth && !this.#paused) {
      this.#paused = true;
      this.#h.pause();
    }
  };

  get listening(): boolean { return this.#closed === undefined; }

  address(): SocketAddress {
    const [address, port, family] = this.#h.address();
    return { address, port, family };
  }

  /** The next accepted connection. */
  accept(options?: OpOptions): Promise<Connection> {
    const opts = checkOpOptions(options);
    if (this.#closed !== undefined) return Promise.reject(makeSystemError('ERR_SOCKET_CLOSED', 'accept'));
    const ready = this.#ready.shift();
    if (ready !== undefined) {
      this.#maybeResume();
      return Promise.resolve(ready);
    }
    if (this.#error !== undefined) {
      const e = this.#error;
      this.#error = undefined;
      this.#maybeResume();
      return Promise.reject(e);
    }
    if (opts.signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: opts.signal.reason }));
    return new Promise<Connection>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        resolve: (c) => { cleanup(); resolve(c); },
        reject: (e) => { cleanup(); reject(e); },
      };
      // Giving up on accept() cancels only the wait: accepts stay posted for the next caller.
      const giveUp = (err: Error): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        waiter.reject(err);
      };
      const onAbort = (): void => giveUp(new AbortError(undefined, { cause: opts.signal?.reason }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeout !== undefined) {
        timer = setTimeout(() => giveUp(makeSystemError('ETIMEDOUT', 'accept')), opts.timeout);
      }
      this.#waiters.push(waiter);
      this.#maybeResume();
    });
  }

  #maybeResume(): void {
    if (this.#paused && this.#ready.length < this.#depth && this.#closed === undefined) {
      this.#paused = false;
      this.#h.resume();
    }
  }

  /** Accepted connections until close(). Running out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
   *  ENOMEM) does not end the loop: it waits 5 ms, doubling up to 1 s while the shortage lasts, and tries
   *  again (as Go's http.Server does); the clients wait in the kernel's backlog meanwhile. The first error
   *  of such a spell is reported with process.emitWarning(), at most once a minute. Any other error ends
   *  the loop. */
  async *[Symbol.asyncIterator](): AsyncIterator<Connection> {
    let delay = 0;
    while (this.#closed === undefined) {
      let conn: Connection;
      try {
        conn = await this.accept();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (this.#closed !== undefined && code === 'ERR_SOCKET_CLOSED') return;
        if (code === undefined || !TEMPORARY.has(code)) throw err;
        // One warning per minute at most: at the descriptor limit, every connection that closes lets one
        // accept through and starts a new spell.
        if (delay === 0 && Date.now() - this.#warnedAt >= 60_000) {
          this.#warnedAt = Date.now();
          process.emitWarning(`accept failed with ${code}; retrying while it lasts`, { code: 'IOCP_NET_ACCEPT_RETRY', detail: String(err) });
        }
        delay = Math.min(delay === 0 ? 5 : delay * 2, 1000);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay).unref();
          this.#wakeRetry = () => { clearTimeout(timer); resolve(); };
        });
        this.#wakeRetry = undefined;
        continue;
      }
      delay = 0;
      yield conn;
    }
  }

  /** Stops listening. Pending accept() calls reject with ERR_SOCKET_CLOSED, connections accepted but not yet
   *  handed out are closed; resolves once every posted accept has completed. Idempotent. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#wakeRetry?.();
    const closing = [this.#h.close(), ...this.#ready.splice(0).map((c) => c.close())];
    for (const w of this.#waiters.splice(0)) w.reject(makeSystemError('ERR_SOCKET_CLOSED', 'accept'));
    this.#closed = Promise.all(closing).then(() => undefined);
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> { return this.close(); }
}

async function resolveBindAddress(host: string | undefined): Promise<string[]> {
  if (host === undefined) return ['::', '0.0.0.0'];
  if (net.isIP(host)) return [host];
  const { address } = await dns.promises.lookup(host);
  return [address];
}

/** Binds and listens; resolves with the server once it accepts connections. Bad arguments throw synchronously. */
export function listen(options?: ListenOptions): Promise<Server> {
  const o = checkObject('options', options) as ListenOptions;
  // An empty host means no host, as in net's server.listen(): every address.
  const host = checkString('options.host', o.host) || undefined;
  const port = o.port === undefined ? 0 : checkPort('options.port', o.port, true);
  const backlog = o.backlog === undefined ? -1 : checkNumber('options.backlog', o.backlog, 1, 2 ** 31 - 1, true);
  const ipv6Only = checkBoolean('options.ipv6Only', o.ipv6Only) ?? false;
  const reuseGiven = checkBoolean('options.reuseAddress', o.reuseAddress);
  let exclusive = checkBoolean('options.exclusiveAddressUse', o.exclusiveAddressUse);
  if (exclusive && reuseGiven) throw incompatibleOptions('exclusiveAddressUse', 'reuseAddress');
  // Linux: SO_REUSEADDR unless refused, as libuv (and so net) always sets it. There it only lets a restarted
  // server bind over its old connections in TIME_WAIT; two listeners never share a port without SO_REUSEPORT.
  const reuseAddress = reuseGiven ?? (process.platform !== 'win32' && !exclusive);
  exclusive ??= process.platform === 'win32' && !reuseAddress;
  const depth = o.acceptDepth === undefined ? 32 : checkNumber('options.acceptDepth', o.acceptDepth, 1, 4096, true);

  return listenChecked(host, port, backlog, ipv6Only, exclusive, reuseAddress, depth);
}

async function listenChecked(host: string | undefined, port: number, backlog: number, ipv6Only: boolean,
                             exclusive: boolean, reuseAddress: boolean, depth: number): Promise<Server> {
  const candidates = await resolveBindAddress(host);
  let lastError: unknown;
  for (const address of candidates) {
    const handle = new native.TcpListener();
    const server = new Server(handle, depth);
    try {
      handle.listen(address, port, backlog, ipv6Only, exclusive, reuseAddress, depth, server.onAccept);
      return server;
    } catch (err) {
      lastError = err;
      await handle.close();
      // Only the default host falls back (to IPv4 where IPv6 is not available).
      const code = (err as { code?: string }).code;
      if (host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) break;
    }
  }
  throw lastError;
}
