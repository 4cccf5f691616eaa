// A TCP connection: proactor-style reads and writes that resolve when the OS has done them.
import { cancellable } from './cancel';
import { invalidArgType, outOfRange } from './errors';
import { native, type AddressTriple, type NativeTcpSocket } from './native';
import { asBytes, checkBoolean, checkNumber, checkOpOptions, isBufferView, type OpOptions } from './validate';

export type WriteData = string | ArrayBufferView | readonly ArrayBufferView[];

export interface ReadOptions extends OpOptions {
  /** Complete only once at least this many bytes are in the buffer(s) (default 1: whatever arrives first),
   *  or at end of stream with fewer. From 1 to the buffers' total length. On Linux the kernel then wakes
   *  the read once for the lot (SO_RCVLOWAT) rather than once per segment. A read that fails, is aborted
   *  or times out after some bytes arrived rejects with an error whose `bytesRead` says how many are at
   *  the start of the buffer(s). */
  minBytes?: number;
}

export interface ReadChunkOptions extends OpOptions {
  /** Largest chunk to return, in bytes (default 65536). */
  maxBytes?: number;
}

const DEFAULT_CHUNK = 64 * 1024;

export interface SocketAddress { address: string; port: number; family: 'IPv4' | 'IPv6' }

/** What a write that completed at once returns: one shared, already resolved promise, no allocation. */
const WRITTEN: Promise<void> = Promise.resolve();

/** What a read returns: its promise, or the byte count of a read that found data at once (no operation,
 *  no promise on the native side; a plain Promise.resolve here costs less than a napi promise). */
const asPromise = (r: Promise<number> | number): Promise<number> => (typeof r === 'number' ? Promise.resolve(r) : r);

/** Ids of cancellable writes. They only need to differ among the writes pending on one connection, so one
 *  counter serves every connection; it stays within the native side's uint32 and skips 0, which marks the
 *  writes that cannot be cancelled. */
let lastWriteId = 0;
const nextWriteId = (): number => (lastWriteId = lastWriteId === 0xffffffff ? 1 : lastWriteId + 1);

type Ends = [local: AddressTriple, remote: AddressTriple];

const tcp = native.tcp;

// Every field costs each idle connection 8 bytes of heap, so a connection holds only its native socket,
// its closed flag and, once someone asks, its addresses. (No private methods either: they would add a
// brand field to every instance.)
export class Connection implements AsyncDisposable, AsyncIterable<Buffer> {
  readonly #h: NativeTcpSocket;
  #closed = false;
  #ends: Ends | undefined;

  /** @internal Connections come from connect(), server.accept() or iteration over a server. */
  constructor(handle: NativeTcpSocket) {
    this.#h = handle;
  }

  // The native socket records both ends when it connects or is accepted and keeps them after close():
  // asking late gives the same answer as asking at once.
  get localAddress(): string { return Connection.#addresses(this)[0][0]; }
  get localPort(): number { return Connection.#addresses(this)[0][1]; }
  get remoteAddress(): string { return Connection.#addresses(this)[1][0]; }
  get remotePort(): number { return Connection.#addresses(this)[1][1]; }
  get remoteFamily(): 'IPv4' | 'IPv6' { return Connection.#addresses(this)[1][2]; }

  static #addresses(c: Connection): Ends {
    return (c.#ends ??= tcp.addresses(c.#h));
  }

  get closed(): boolean { return this.#closed; }

  /** util.inspect() shows the ends, which are getters on the prototype rather than fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return { localAddress: this.localAddress, localPort: this.localPort, remoteAddress: this.remoteAddress,
      remotePort: this.remotePort, remoteFamily: this.remoteFamily, closed: this.#closed };
  }

  /** Reads into `buffer`; resolves with the number of bytes read, 0 at end of stream. One read at a time.
   *  With `minBytes`, resolves once that many bytes are in (fewer only when the stream ended). */
  read(buffer: ArrayBufferView, options?: ReadOptions): Promise<number> {
    if (!isBufferView(buffer)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
    if (buffer.byteLength === 0) throw outOfRange('buffer.byteLength', '> 0', 0);
    return Connection.#read(this, asBytes(buffer), options);
  }

  /** Scatter read: fills the buffers in order in one operation; resolves with the total bytes read. */
  readv(buffers: readonly ArrayBufferView[], options?: ReadOptions): Promise<number> {
    if (!Array.isArray(buffers) || buffers.length === 0 || !buffers.every(isBufferView)) {
      throw invalidArgType('buffers', 'a non-empty array of Buffer, TypedArray, or DataView', buffers);
    }
    const views = buffers.map(asBytes);
    if (views.every((b) => b.byteLength === 0)) throw outOfRange('buffers total byteLength', '> 0', 0);
    return Connection.#read(this, views, options);
  }

  static #read(c: Connection, target: Uint8Array | Uint8Array[], options: ReadOptions | undefined): Promise<number> {
    const h = c.#h;
    if (options === undefined) return asPromise(tcp.read(h, target));  // the hot path: no closures, no scope
    options = checkOpOptions(options) as ReadOptions;
    let min = 1;
    if (options.minBytes !== undefined) {
      const total = Array.isArray(target) ? target.reduce((sum, b) => sum + b.byteLength, 0) : target.byteLength;
      min = checkNumber('options.minBytes', options.minBytes, 1, total, true);
    }
    return cancellable(options, () => asPromise(tcp.read(h, target, min)), () => tcp.cancelRead(h),
      { syscall: 'read', address: c.remoteAddress, port: c.remotePort });
  }

  /** Reads whatever arrives next into a new Buffer (at most `maxBytes`); resolves with null at end of stream.
   *  While it waits, no buffer is pinned: the seeds' zero-byte read, so idle connections cost no buffer memory.
   *  The Buffer is made as `Buffer.allocUnsafe()` makes one: below 4 KiB it shares Node's pool. */
  readChunk(options?: ReadChunkOptions): Promise<Buffer | null> {
    let max = DEFAULT_CHUNK;
    if (options !== undefined) {
      options = checkOpOptions(options) as ReadChunkOptions;
      if (options.maxBytes !== undefined) max = checkNumber('options.maxBytes', options.maxBytes, 1, 2 ** 31 - 1, true);
      if (options.signal !== undefined || options.timeout !== undefined) {
        const h = this.#h;
        return cancellable(options, () => tcp.readChunk(h, max), () => tcp.cancelRead(h),
          { syscall: 'read', address: this.remoteAddress, port: this.remotePort });
      }
    }
    return tcp.readChunk(this.#h, max);
  }

  /** Iterates over the incoming data as Buffers until the peer ends the stream, or until this connection is
   *  closed (from inside the loop or elsewhere), as iteration over a server or a UDP socket ends at close().
   *  Leaving the loop early leaves the connection open; close it (or use `await using`) when done. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      let chunk: Buffer | null;
      try {
        chunk = await this.readChunk();
      } catch (err) {
        if (this.#closed && (err as { code?: unknown }).code === 'ERR_SOCKET_CLOSED') return;
        throw err;
      }
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** Writes a string (UTF-8), a buffer, or several buffers gathered in one operation. Resolves when every byte
   *  has been handed to the OS. Cancelling a write that has started leaves the stream in an unknown state. */
  write(data: WriteData, options?: OpOptions): Promise<void> {
    let payload: Uint8Array | Uint8Array[];
    if (typeof data === 'string') payload = Buffer.from(data, 'utf8');
    else if (isBufferView(data)) payload = asBytes(data);
    else if (Array.isArray(data) && data.every(isBufferView)) payload = data.map(asBytes);
    else throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, DataView, or an array of them', data);
    const h = this.#h;
    if (options === undefined) return tcp.write(h, payload, 0) ?? WRITTEN;
    options = checkOpOptions(options);
    const id = nextWriteId();
    return cancellable(options, () => tcp.write(h, payload, id) ?? WRITTEN, () => tcp.cancelWrite(h, id),
      { syscall: 'write', address: this.remoteAddress, port: this.remotePort });
  }

  /** Sends FIN once every queued write is done; reads continue until the peer closes. */
  shutdown(): Promise<void> { return tcp.shutdown(this.#h); }

  /** Closes the connection. Pending operations reject with ERR_SOCKET_CLOSED; resolves once the OS has
   *  released every buffer. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return tcp.close(this.#h);
  }

  setNoDelay(noDelay = true): this {
    tcp.setNoDelay(this.#h, checkBoolean('noDelay', noDelay) ?? true);
    return this;
  }

  /** Enables TCP keep-alive; `initialDelay` is the idle time in milliseconds before the first probe. */
  setKeepAlive(enable = true, initialDelay = 0): this {
    checkNumber('initialDelay', initialDelay, 0, 2 ** 32 - 1);
    tcp.setKeepAlive(this.#h, checkBoolean('enable', enable) ?? true, initialDelay);
    return this;
  }

  setReceiveBufferSize(size: number): this {
    tcp.setBufferSize(this.#h, false, checkNumber('size', size, 1, 2 ** 31 - 1, true));
    return this;
  }

  setSendBufferSize(size: number): this {
    tcp.setBufferSize(this.#h, true, checkNumber('size', size, 1, 2 ** 31 - 1, true));
    return this;
  }

  address(): SocketAddress {
    return { address: this.localAddress, port: this.localPort, family: this.remoteFamily };
  }

  [Symbol.asyncDispose](): Promise<void> { return this.close(); }
}
