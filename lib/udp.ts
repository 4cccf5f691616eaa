// UDP sockets: createUdpSocket() and UdpSocket, promise-based send/recv over the native socket (zero-byte
// MSG_PEEK receives on Windows, epoll readiness on Linux). The checks, defaults and error codes follow
// dgram's where dgram has them, so code moving over finds what it expects.
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { CancelScope, cancellable } from './cancel';
import type { SocketAddress } from './connection';
import { AbortError, incompatibleOptions, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { native, type NativeUdpSocket } from './native';
import {
  asBytes, checkBoolean, checkNumber, checkObject, checkOpOptions, checkPort, checkString, isBufferView,
  type HostLookup, type OpOptions,
} from './validate';

export type UdpType = 'udp4' | 'udp6';

export interface UdpSocketOptions extends OpOptions {
  type: UdpType;
  /** Local address (or host name) to bind; default "0.0.0.0" for udp4, "::" for udp6. */
  address?: string;
  /** Local port; default 0 (any free port, see address()). */
  port?: number;
  /** SO_REUSEADDR: several sockets may bind the same port (multicast receivers). */
  reuseAddress?: boolean;
  /** udp6 only: IPv6 traffic only (default false: dual-stack, IPv4 peers appear as ::ffff:a.b.c.d). */
  ipv6Only?: boolean;
  /** Windows SO_EXCLUSIVEADDRUSE: no other socket may take the port. Default true on Windows unless
   *  reuseAddress is set; a no-op on Linux. */
  exclusiveAddressUse?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Resolver for host names given as addresses, with dns.lookup's signature (default: dns.lookup). */
  lookup?: HostLookup;
}

/** A datagram received into the caller's buffer. */
export interface UdpRecvResult {
  /** Bytes written into the buffer. */
  bytes: number;
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** The datagram was larger than the buffer; the rest of it is lost. */
  truncated: boolean;
}

/** A datagram received into a new Buffer (recvMessage(), async iteration). */
export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  truncated: boolean;
}

export interface RecvMessageOptions extends OpOptions {
  /** Largest datagram to return whole, in bytes (default and maximum 65536); longer ones come truncated. */
  maxBytes?: number;
}

export type SendData = string | ArrayBufferView | readonly (string | ArrayBufferView)[];

// Must match UdpOption in binding/common/udp_options.h.
const enum UdpOption { Broadcast = 0, Ttl = 1, MulticastTtl = 2, MulticastLoop = 3, RecvBufferSize = 4, SendBufferSize = 5 }

const MAX_DATAGRAM = 64 * 1024;
const udp = native.udp;

// The native side makes every receive's result through this function (binding/common/datagram_factory.h
// says why): an object literal, one shape for each kind. `address` is undefined when it is the previous
// datagram's (in this environment), which is kept here.
let lastAddress = '';
native.setDatagramFactory((bytesOrData: number | Buffer, address: string | undefined, port: number, ipv6: boolean,
                           truncated: boolean): UdpRecvResult | Datagram => {
  if (address !== undefined) lastAddress = address;
  const family = ipv6 ? 'IPv6' : 'IPv4';
  return typeof bytesOrData === 'number'
    ? { bytes: bytesOrData, address: lastAddress, port, family, truncated }
    : { data: bytesOrData, address: lastAddress, port, family, truncated };
});
/** What a send the OS took at once returns: one shared, already resolved promise, no allocation.
 *  @internal (the DNS transport recognises it) */
export const SENT: Promise<void> = Promise.resolve();

function dgramError(code: string, message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  return err;
}

/** A destination port: anything but an integer 1-65535 is ERR_SOCKET_BAD_PORT, undefined included, as in dgram. */
function checkDestPort(value: unknown): number {
  return checkPort('port', typeof value === 'number' || typeof value === 'string' ? value : NaN, false);
}

function toPayload(data: unknown): Uint8Array | Uint8Array[] {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (isBufferView(data)) return asBytes(data);
  if (Array.isArray(data) && data.every((d) => typeof d === 'string' || isBufferView(d))) {
    return data.map((d: string | ArrayBufferView) => (typeof d === 'string' ? Buffer.from(d, 'utf8') : asBytes(d)));
  }
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, DataView, or an array of them', data);
}

/** "::%3", "%3" or (Linux) "::%eth0" → "::%3": the scope id of an IPv6 interface is its index. */
function ipv6Interface(name: string, value: string): string {
  const pct = value.indexOf('%');
  const host = pct < 0 ? value : value.slice(0, pct) || '::';
  let scope = pct < 0 ? '' : value.slice(pct + 1);
  if (scope !== '' && !/^[0-9]+$/.test(scope)) {
    let index = '';
    if (process.platform === 'linux' && /^[\w.-]+$/.test(scope)) {
      try { index = fs.readFileSync(`/sys/class/net/${scope}/ifindex`, 'utf8').trim(); } catch { /* unknown name */ }
    }
    if (!/^[0-9]+$/.test(index)) {
      throw invalidArgValue(name, value, 'must name the interface by its index ("::%3") or, on Linux, its name');
    }
    scope = index;
  }
  if (net.isIPv6(host) === false) throw invalidArgValue(name, value, 'must be an IPv6 address');
  return scope === '' ? host : `${host}%${scope}`;
}

function lookupOne(lookup: HostLookup, host: string, family: 4 | 6): Promise<string> {
  return new Promise((resolve, reject) => {
    lookup(host, { family }, (err, address) => (err ? reject(err) : resolve(address as string)));
  });
}

export class UdpSocket implements AsyncDisposable, AsyncIterable<Datagram> {
  readonly type: UdpType;
  readonly #h: NativeUdpSocket;
  readonly #family: 4 | 6;
  readonly #lookup: HostLookup;
  #remote: SocketAddress | undefined;
  #connecting = false;
  #closed = false;
  #sendIds = 0;
  /** The signal of the latest receive that had one, watched by one listener for as long as receives keep
   *  passing it: a reader that gives every recv() the same signal (the DNS transport does) would otherwise
   *  add and remove a listener per datagram, which cost more than the datagram. */
  #recvSignal: AbortSignal | undefined;
  /** Receives started under #recvSignal and not settled (one at most, but a refused concurrent one counts too). */
  #recvWatched = 0;
  readonly #onRecvAbort = (): void => {
    this.#recvSignal = undefined;
    if (this.#recvWatched > 0) udp.cancelRecv(this.#h);
  };

  /** @internal use createUdpSocket() */
  constructor(handle: NativeUdpSocket, type: UdpType, lookup: HostLookup) {
    this.#h = handle;
    this.type = type;
    this.#family = type === 'udp6' ? 6 : 4;
    this.#lookup = lookup;
  }

  get closed(): boolean { return this.#closed; }
  get connected(): boolean { return this.#remote !== undefined; }

  /** The local address (after connect(), a wildcard-bound socket may report the address its route uses). */
  address(): SocketAddress {
    const [address, port, family] = udp.addresses(this.#h)[0];
    return { address, port, family };
  }

  /** The connected peer; throws ERR_SOCKET_DGRAM_NOT_CONNECTED when there is none. */
  remoteAddress(): SocketAddress {
    if (this.#remote === undefined) throw dgramError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    return { ...this.#remote };
  }

  /** Associates the socket with one peer: sends go there, and only its datagrams are received. An ICMP port
   *  unreachable from it then rejects the pending recv() with ECONNREFUSED. `address` defaults to loopback. */
  connect(port: number, address?: string, options?: OpOptions): Promise<void> {
    checkDestPort(port);
    const host = this.#host('address', address);
    const opts = options === undefined ? undefined : checkOpOptions(options);
    if (this.#remote !== undefined || this.#connecting) throw dgramError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    this.#connecting = true;
    const done = (ip: string): void => {
      udp.connect(this.#h, ip, port);
      const remote = udp.addresses(this.#h)[1]!;
      this.#remote = { address: remote[0], port: remote[1], family: remote[2] };
    };
    return this.#resolve(host, opts, 'connect', port)
      .then(done)
      .finally(() => { this.#connecting = false; });
  }

  /** Dissolves the association made by connect(). The local address and port are kept (under Wine, a port
   *  the system chose is given up, as Linux does, and the next send takes a new one). */
  disconnect(): void {
    if (this.#remote === undefined) throw dgramError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    udp.disconnect(this.#h);
    this.#remote = undefined;
  }

  /** Sends one datagram: a string (UTF-8), a buffer, or several buffers gathered into one datagram. On a
   *  connected socket: send(data, options?); otherwise send(data, port, address?, options?), address
   *  defaulting to loopback. Resolves when the OS has taken the datagram. */
  send(data: SendData, options?: OpOptions): Promise<void>;
  send(data: SendData, port: number, address?: string, options?: OpOptions): Promise<void>;
  send(data: SendData, portOrOptions?: number | OpOptions, address?: string, options?: OpOptions): Promise<void> {
    const payload = toPayload(data);
    let port: number | undefined;
    if (typeof portOrOptions === 'object' && portOrOptions !== null && address === undefined && options === undefined) {
      options = portOrOptions;
    } else if (portOrOptions !== undefined) {
      port = portOrOptions as number;
    }
    const opts = options === undefined ? undefined : checkOpOptions(options);
    if (this.#remote !== undefined) {
      if (port !== undefined || address !== undefined) throw dgramError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
      return this.#send(payload, undefined, 0, opts);
    }
    const p = checkDestPort(port);
    const host = this.#host('address', address);
    if (net.isIP(host) !== 0 && opts === undefined) return this.#send(payload, host, p, undefined);
    return this.#resolve(host, opts, 'send', p).then((ip) => this.#send(payload, ip, p, opts));
  }

  #send(payload: Uint8Array | Uint8Array[], address: string | undefined, port: number, opts: OpOptions | undefined): Promise<void> {
    if (opts === undefined || (opts.signal === undefined && opts.timeout === undefined)) {
      return udp.send(this.#h, payload, 0, address, port) ?? SENT;
    }
    const id = ++this.#sendIds;
    const remote = address ?? this.#remote?.address;
    return cancellable(opts, () => udp.send(this.#h, payload, id, address, port) ?? SENT, () => udp.cancelSend(this.#h, id),
      { syscall: 'send', address: remote, port: address === undefined ? this.#remote?.port : port });
  }

  /** Receives one datagram into `buffer` (or several buffers, filled in order). One receive at a time: a
   *  second concurrent one rejects with ERR_INVALID_STATE. A datagram larger than the buffer is cut to fit
   *  and reported with truncated: true. */
  recv(buffer: ArrayBufferView | readonly ArrayBufferView[], options?: OpOptions): Promise<UdpRecvResult> {
    let target: Uint8Array | Uint8Array[];
    if (isBufferView(buffer)) {
      target = asBytes(buffer);
      if (target.byteLength === 0) throw outOfRange('buffer.byteLength', '> 0', 0);
    } else if (Array.isArray(buffer) && buffer.length > 0 && buffer.every(isBufferView)) {
      target = buffer.map(asBytes);
      if (target.every((b) => b.byteLength === 0)) throw outOfRange('buffers total byteLength', '> 0', 0);
    } else {
      throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView, or a non-empty array of them', buffer);
    }
    if (options === undefined) return udp.recv(this.#h, target);  // the hot path: no closures, no scope
    const opts = checkOpOptions(options);
    if (opts.signal !== undefined && opts.timeout === undefined) return this.#recvUnder(opts.signal, () => udp.recv(this.#h, target));
    return cancellable(opts, () => udp.recv(this.#h, target), () => udp.cancelRecv(this.#h), this.#recvContext());
  }

  /** Receives one datagram into a new Buffer. Nothing is pinned while it waits. */
  recvMessage(options?: RecvMessageOptions): Promise<Datagram> {
    let max = MAX_DATAGRAM;
    if (options !== undefined) {
      const opts = checkOpOptions(options) as RecvMessageOptions;
      if (opts.maxBytes !== undefined) max = checkNumber('options.maxBytes', opts.maxBytes, 1, MAX_DATAGRAM, true);
      if (opts.signal !== undefined && opts.timeout === undefined) return this.#recvUnder(opts.signal, () => udp.recvChunk(this.#h, max));
      if (opts.timeout !== undefined) {
        return cancellable(opts, () => udp.recvChunk(this.#h, max), () => udp.cancelRecv(this.#h), this.#recvContext());
      }
    }
    return udp.recvChunk(this.#h, max);
  }

  /** Iterates over incoming datagrams, each in a new Buffer, until the socket is closed. Leaving the loop
   *  early leaves the socket open. An error (ECONNREFUSED on a connected socket) ends the loop by throwing. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram, void, undefined> {
    for (;;) {
      let d: Datagram;
      try {
        d = await udp.recvChunk(this.#h, MAX_DATAGRAM);
      } catch (err) {
        if (this.#endsIteration(err)) return;
        throw err;
      }
      yield d;
    }
  }

  /** Iterates over incoming datagrams received into the caller's `buffer`, which each result describes
   *  until the next one is taken: no allocation per datagram. `options` apply to every receive (a timeout
   *  is then an idle timeout). Ends when the socket is closed. */
  async *messages(buffer: ArrayBufferView, options?: OpOptions): AsyncGenerator<UdpRecvResult, void, undefined> {
    if (!isBufferView(buffer)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
    for (;;) {
      let r: UdpRecvResult;
      try {
        r = await this.recv(buffer, options);
      } catch (err) {
        if (this.#endsIteration(err)) return;
        throw err;
      }
      yield r;
    }
  }

  /** A receive that `signal` cancels (see #recvSignal). As with cancellable(), it settles only when the native
   *  receive has, and a datagram that arrived despite a late abort is kept. */
  #recvUnder<T>(signal: AbortSignal, start: () => Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (signal !== this.#recvSignal) {
      this.#recvSignal?.removeEventListener('abort', this.#onRecvAbort);
      this.#recvSignal = signal;
      signal.addEventListener('abort', this.#onRecvAbort, { once: true });
    }
    const p = start();
    this.#recvWatched++;
    return p.then((r) => {
      this.#recvWatched--;
      return r;
    }, (err: { code?: unknown }) => {
      this.#recvWatched--;
      if (signal.aborted && err?.code === 'ECANCELED') throw new AbortError(undefined, { cause: signal.reason });
      throw err;
    });
  }

  #endsIteration(err: unknown): boolean {
    return this.#closed && (err as { code?: unknown })?.code === 'ERR_SOCKET_CLOSED';
  }

  /** Closes the socket. Pending operations reject with ERR_SOCKET_CLOSED; resolves once the OS has released
   *  every buffer. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#recvSignal?.removeEventListener('abort', this.#onRecvAbort);
    this.#recvSignal = undefined;
    return udp.close(this.#h);
  }

  [Symbol.asyncDispose](): Promise<void> { return this.close(); }

  setBroadcast(flag: boolean): void {
    udp.setOption(this.#h, UdpOption.Broadcast, this.#flag('flag', flag));
  }

  setTTL(ttl: number): number {
    udp.setOption(this.#h, UdpOption.Ttl, checkNumber('ttl', ttl, 1, 255, true));
    return ttl;
  }

  setMulticastTTL(ttl: number): number {
    udp.setOption(this.#h, UdpOption.MulticastTtl, checkNumber('ttl', ttl, 0, 255, true));
    return ttl;
  }

  /** Note: on Windows this decides whether the *receiving* socket sees its host's own datagrams; on Linux,
   *  whether the *sending* socket's datagrams loop back. Set it on both ends for the same result. */
  setMulticastLoopback(flag: boolean): boolean {
    udp.setOption(this.#h, UdpOption.MulticastLoop, this.#flag('flag', flag));
    return flag;
  }

  /** Outgoing interface for multicast: an IPv4 address of the interface (udp4), or "::%<index>" (udp6;
   *  on Linux the interface's name works too: "::%eth0"). */
  setMulticastInterface(multicastInterface: string): void {
    if (typeof multicastInterface !== 'string') throw invalidArgType('multicastInterface', 'of type string', multicastInterface);
    const iface = this.#family === 6 ? ipv6Interface('multicastInterface', multicastInterface) : multicastInterface;
    if (this.#family === 4 && !net.isIPv4(iface)) throw invalidArgValue('multicastInterface', iface, 'must be an IPv4 address');
    udp.setMulticastInterface(this.#h, iface);
  }

  addMembership(multicastAddress: string, multicastInterface?: string): void {
    this.#membership(true, multicastAddress, multicastInterface);
  }

  dropMembership(multicastAddress: string, multicastInterface?: string): void {
    this.#membership(false, multicastAddress, multicastInterface);
  }

  addSourceSpecificMembership(sourceAddress: string, groupAddress: string, multicastInterface?: string): void {
    this.#sourceMembership(true, sourceAddress, groupAddress, multicastInterface);
  }

  dropSourceSpecificMembership(sourceAddress: string, groupAddress: string, multicastInterface?: string): void {
    this.#sourceMembership(false, sourceAddress, groupAddress, multicastInterface);
  }

  setRecvBufferSize(size: number): void {
    udp.setOption(this.#h, UdpOption.RecvBufferSize, checkNumber('size', size, 1, 2 ** 31 - 1, true));
  }

  setSendBufferSize(size: number): void {
    udp.setOption(this.#h, UdpOption.SendBufferSize, checkNumber('size', size, 1, 2 ** 31 - 1, true));
  }

  getRecvBufferSize(): number { return udp.getOption(this.#h, UdpOption.RecvBufferSize); }
  getSendBufferSize(): number { return udp.getOption(this.#h, UdpOption.SendBufferSize); }

  #flag(name: string, value: unknown): number {
    if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
    return value ? 1 : 0;
  }

  #group(name: string, value: unknown): string {
    if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
    if (net.isIP(value) === 0) throw invalidArgValue(name, value, 'must be an IPv4 or IPv6 address');
    return value;
  }

  #iface(group: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalidArgType('multicastInterface', 'of type string', value);
    if (net.isIPv6(group)) return ipv6Interface('multicastInterface', value);
    if (!net.isIPv4(value)) throw invalidArgValue('multicastInterface', value, 'must be an IPv4 address for an IPv4 group');
    return value;
  }

  #membership(join: boolean, group: unknown, iface: unknown): void {
    const g = this.#group('multicastAddress', group);
    udp.membership(this.#h, join, g, this.#iface(g, iface));
  }

  #sourceMembership(join: boolean, source: unknown, group: unknown, iface: unknown): void {
    const s = this.#group('sourceAddress', source);
    const g = this.#group('groupAddress', group);
    if (net.isIP(s) !== net.isIP(g)) throw invalidArgValue('sourceAddress', s, 'must be of the group address\'s family');
    udp.sourceMembership(this.#h, join, s, g, this.#iface(g, iface));
  }

  /** A destination: loopback by default; an IPv6 literal cannot go out of a udp4 socket. */
  #host(name: string, value: unknown): string {
    // An empty address means none, as in dgram: loopback.
    const host = checkString(name, value) || (this.#family === 6 ? '::1' : '127.0.0.1');
    if (this.#family === 4 && net.isIPv6(host)) throw invalidArgValue(name, host, 'must be an IPv4 address or a host name for a udp4 socket');
    // The addon takes numeric zone ids only: "fe80::1%eth0" becomes "fe80::1%2" (resolv.conf may say either).
    if (/%[^0-9]/.test(host) && net.isIPv6(host)) return ipv6Interface(name, host);
    return host;
  }

  #resolve(host: string, opts: OpOptions | undefined, syscall: string, port: number): Promise<string> {
    if (opts === undefined && net.isIP(host) !== 0) return Promise.resolve(host);
    const scope = new CancelScope(opts ?? {});
    const ctx = { syscall, address: host, port };
    const p = scope.reason !== undefined ? Promise.reject(scope.error(ctx))
      : net.isIP(host) !== 0 ? Promise.resolve(host)
        : scope.race(lookupOne(this.#lookup, host, this.#family), ctx);
    return p.finally(() => scope.dispose());
  }

  #recvContext(): { syscall: string; address?: string; port?: number } {
    return { syscall: 'recv', address: this.#remote?.address, port: this.#remote?.port };
  }
}

/** Opens a UDP socket bound to `address`:`port` (default: the wildcard address, any free port). Bad
 *  arguments throw synchronously; a failed bind rejects ("bind EADDRINUSE 0.0.0.0:53"). */
export function createUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = checkObject('options', options) as unknown as UdpSocketOptions;
  if (o.type !== 'udp4' && o.type !== 'udp6') {
    const err = new TypeError('Bad socket type specified. Valid types are: udp4, udp6') as TypeError & { code: string };
    err.code = 'ERR_SOCKET_BAD_TYPE';
    throw err;
  }
  const family: 4 | 6 = o.type === 'udp6' ? 6 : 4;
  // An empty address means none, as in dgram's bind(): every address.
  const host = checkString('options.address', o.address) || (family === 6 ? '::' : '0.0.0.0');
  if (family === 4 && net.isIPv6(host)) throw invalidArgValue('options.address', host, 'must be an IPv4 address for a udp4 socket');
  const port = o.port === undefined ? 0 : checkPort('options.port', o.port, true);
  const reuseAddress = checkBoolean('options.reuseAddress', o.reuseAddress) ?? false;
  const ipv6Only = checkBoolean('options.ipv6Only', o.ipv6Only) ?? false;
  const exclusiveOpt = checkBoolean('options.exclusiveAddressUse', o.exclusiveAddressUse);
  if (exclusiveOpt === true && reuseAddress) throw incompatibleOptions('exclusiveAddressUse', 'reuseAddress');
  const exclusive = exclusiveOpt ?? (process.platform === 'win32' && !reuseAddress);
  const recvBufferSize = o.recvBufferSize === undefined ? undefined : checkNumber('options.recvBufferSize', o.recvBufferSize, 1, 2 ** 31 - 1, true);
  const sendBufferSize = o.sendBufferSize === undefined ? undefined : checkNumber('options.sendBufferSize', o.sendBufferSize, 1, 2 ** 31 - 1, true);
  const lookup = o.lookup ?? dns.lookup;
  if (typeof lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', lookup);
  const opts = checkOpOptions({ signal: o.signal, timeout: o.timeout });

  return (async () => {
    const scope = new CancelScope(opts);
    let address = host;
    try {
      const ctx = { syscall: 'bind', address: host, port };
      if (scope.reason !== undefined) throw scope.error(ctx);
      if (net.isIP(host) === 0) address = await scope.race(lookupOne(lookup, host, family), ctx);
    } finally {
      scope.dispose();
    }
    const h = udp.open(family);
    try {
      udp.bind(h, address, port, reuseAddress, ipv6Only, exclusive);
      if (recvBufferSize !== undefined) udp.setOption(h, UdpOption.RecvBufferSize, recvBufferSize);
      if (sendBufferSize !== undefined) udp.setOption(h, UdpOption.SendBufferSize, sendBufferSize);
    } catch (err) {
      await udp.close(h);
      throw err;
    }
    return new UdpSocket(h, o.type, lookup);
  })();
}
