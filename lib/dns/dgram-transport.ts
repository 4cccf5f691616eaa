// INTERIM TRANSPORT. A connected UDP socket for the resolver built on Node's own `dgram` module, used until
// the addon's native UDP socket (createUdpSocket: zero-byte MSG_PEEK WSARecv on Windows) lands. The native
// socket's owner will replace `defaultSocketFactory` in transport.ts with one built on createUdpSocket;
// this file can then stay as an alternative (tests use both) or go.
//
// It gives the DatagramSocket interface the transport is written against: promise-returning send and recv
// on a socket connected to one server. Datagrams that arrive while no recv() is waiting are queued (at most
// QUEUE_MAX; beyond that the oldest are dropped, as a kernel buffer would). The socket is unref'd: an idle
// resolver never keeps the process alive.
import * as dgram from 'node:dgram';
import { AbortError } from '../errors';
import type { DatagramSocket, DatagramSocketFactory, RecvResult } from './transport';

const QUEUE_MAX = 64;

interface Waiter {
  buf: Uint8Array;
  resolve: (r: RecvResult) => void;
  reject: (err: Error) => void;
  cleanup: () => void;
}

function closedError(): Error {
  const err = new Error('recv ERR_SOCKET_CLOSED (the socket is closed)') as Error & { code: string };
  err.code = 'ERR_SOCKET_CLOSED';
  return err;
}

class DgramDatagramSocket implements DatagramSocket {
  readonly #sock: dgram.Socket;
  readonly #queue: Array<{ msg: Buffer; rinfo: dgram.RemoteInfo }> = [];
  #errors: Error[] = [];
  #waiter: Waiter | undefined;
  #closed = false;

  constructor(sock: dgram.Socket) {
    this.#sock = sock;
    sock.on('message', (msg, rinfo) => {
      const w = this.#waiter;
      if (w !== undefined) {
        this.#waiter = undefined;
        w.cleanup();
        w.resolve(deliver(w.buf, msg, rinfo));
        return;
      }
      if (this.#queue.length >= QUEUE_MAX) this.#queue.shift();
      this.#queue.push({ msg, rinfo });
    });
    // On a connected UDP socket, an ICMP port unreachable comes back as ECONNREFUSED.
    sock.on('error', (err) => {
      const w = this.#waiter;
      if (w !== undefined) {
        this.#waiter = undefined;
        w.cleanup();
        w.reject(err);
      } else if (this.#errors.length < 8) {
        this.#errors.push(err);
      }
    });
  }

  send(data: Uint8Array | Uint8Array[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#sock.send(Array.isArray(data) ? data : [data], (err) => (err ? reject(err) : resolve()));
    });
  }

  recv(buf: Uint8Array, opts?: { signal?: AbortSignal; timeout?: number }): Promise<RecvResult> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#waiter !== undefined) {
      const err = new Error('recv ERR_INVALID_STATE (a recv is already pending)') as Error & { code: string };
      err.code = 'ERR_INVALID_STATE';
      return Promise.reject(err);
    }
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(deliver(buf, queued.msg, queued.rinfo));
    const pendingError = this.#errors.shift();
    if (pendingError !== undefined) return Promise.reject(pendingError);
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise<RecvResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        if (this.#waiter !== w) return;
        this.#waiter = undefined;
        w.cleanup();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      const w: Waiter = {
        buf, resolve, reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      this.#waiter = w;
      signal?.addEventListener('abort', onAbort, { once: true });
      if (opts?.timeout !== undefined) {
        timer = setTimeout(() => {
          if (this.#waiter !== w) return;
          this.#waiter = undefined;
          w.cleanup();
          const err = new Error('recv ETIMEDOUT') as Error & { code: string; syscall: string };
          err.code = 'ETIMEDOUT';
          err.syscall = 'recv';
          reject(err);
        }, opts.timeout);
      }
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w !== undefined) {
      w.cleanup();
      w.reject(closedError());
    }
    this.#queue.length = 0;
    return new Promise((resolve) => {
      try {
        this.#sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

function deliver(buf: Uint8Array, msg: Buffer, rinfo: dgram.RemoteInfo): RecvResult {
  const bytes = Math.min(buf.byteLength, msg.length);
  buf.set(msg.subarray(0, bytes));
  return { bytes, address: rinfo.address, port: rinfo.port, family: rinfo.family, truncated: msg.length > buf.byteLength };
}

/** Opens a UDP socket on an ephemeral port (a new one for every socket) connected to the server. */
export const dgramSocketFactory: DatagramSocketFactory = (server) => new Promise((resolve, reject) => {
  const sock = dgram.createSocket({ type: server.family === 6 ? 'udp6' : 'udp4' });
  const onError = (err: Error): void => {
    sock.close();
    reject(err);
  };
  sock.once('error', onError);
  sock.connect(server.port, server.address, (err?: Error) => {
    sock.removeListener('error', onError);
    if (err) {
      sock.close();
      reject(err);
      return;
    }
    sock.unref();
    resolve(new DgramDatagramSocket(sock));
  });
});
