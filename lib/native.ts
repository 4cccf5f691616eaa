// Finds and loads the native addon for this platform, and describes what it exports.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type AddressTriple = [address: string, port: number, family: 'IPv4' | 'IPv6'];

/** A TCP socket of the native side: an opaque handle (an External) that every function of `native.tcp`
 *  takes first. The socket lives as long as its handle is reachable (or has an operation in flight). */
export type NativeTcpSocket = { readonly __brand: 'NativeTcpSocket' };

export interface NativeTcp {
  open(family: 4 | 6): NativeTcpSocket;
  connect(s: NativeTcpSocket, address: string, port: number, localAddress: string | undefined,
          localPort: number | undefined): Promise<void>;
  /** The byte count itself when a plain read found data (or end of stream) at once. */
  read(s: NativeTcpSocket, buffers: Uint8Array | Uint8Array[], minBytes?: number): Promise<number> | number;
  readChunk(s: NativeTcpSocket, maxBytes: number): Promise<Buffer | null>;
  /** undefined when the OS took every byte at once (no operation, no promise needed). */
  write(s: NativeTcpSocket, buffers: Uint8Array | Uint8Array[], id: number): Promise<void> | undefined;
  shutdown(s: NativeTcpSocket): Promise<void>;
  close(s: NativeTcpSocket): Promise<void>;
  cancelRead(s: NativeTcpSocket): void;
  cancelWrite(s: NativeTcpSocket, id: number): void;
  cancelConnect(s: NativeTcpSocket): void;
  setNoDelay(s: NativeTcpSocket, on: boolean): void;
  setKeepAlive(s: NativeTcpSocket, on: boolean, delayMs: number): void;
  setBufferSize(s: NativeTcpSocket, send: boolean, size: number): void;
  /** Both ends as recorded when the socket connected or was accepted; still answers after close(). */
  addresses(s: NativeTcpSocket): [local: AddressTriple, remote: AddressTriple];
}

export interface NativeTcpListener {
  listen(address: string, port: number, backlog: number, ipv6Only: boolean, exclusive: boolean, reuseAddress: boolean,
         acceptDepth: number, onAccept: (err: Error | null, socket: NativeTcpSocket | null) => void): void;
  pause(): void;
  resume(): void;
  address(): AddressTriple;
  close(): Promise<void>;
}

export interface NativeRecvResult { bytes: number; address: string; port: number; family: 'IPv4' | 'IPv6'; truncated: boolean }
export interface NativeDatagram { data: Buffer; address: string; port: number; family: 'IPv4' | 'IPv6'; truncated: boolean }

/** A UDP socket of the native side: an opaque handle (an External) that every function of `native.udp`
 *  takes first. */
export type NativeUdpSocket = { readonly __brand: 'NativeUdpSocket' };

export interface NativeUdp {
  open(family: 4 | 6): NativeUdpSocket;
  bind(s: NativeUdpSocket, address: string, port: number, reuseAddress: boolean, ipv6Only: boolean, exclusive: boolean): void;
  /** UDP's connect only records the peer: synchronous. */
  connect(s: NativeUdpSocket, address: string, port: number): void;
  disconnect(s: NativeUdpSocket): void;
  /** Without address: to the connected peer. undefined when the OS took the datagram at once. */
  send(s: NativeUdpSocket, buffers: Uint8Array | Uint8Array[], id: number, address?: string, port?: number): Promise<void> | undefined;
  recv(s: NativeUdpSocket, buffers: Uint8Array | Uint8Array[]): Promise<NativeRecvResult>;
  recvChunk(s: NativeUdpSocket, maxBytes: number): Promise<NativeDatagram>;
  close(s: NativeUdpSocket): Promise<void>;
  cancelRecv(s: NativeUdpSocket): void;
  cancelSend(s: NativeUdpSocket, id: number): void;
  /** option: a UdpOption code (lib/udp.ts, binding/common/udp_options.h). */
  setOption(s: NativeUdpSocket, option: number, value: number): void;
  getOption(s: NativeUdpSocket, option: number): number;
  setMulticastInterface(s: NativeUdpSocket, address: string): void;
  membership(s: NativeUdpSocket, join: boolean, group: string, iface?: string): void;
  sourceMembership(s: NativeUdpSocket, join: boolean, source: string, group: string, iface?: string): void;
  addresses(s: NativeUdpSocket): [local: AddressTriple, remote: AddressTriple | null];
}

export interface EngineStats { sockets: number; opsInFlight: number; osHandles: number }

export interface NativeAddon {
  backend: 'iocp' | 'epoll';
  tcp: NativeTcp;
  TcpListener: new () => NativeTcpListener;
  udp: NativeUdp;
  setErrorFactory(factory: (code: string, syscall: string, native: number, address?: string, port?: number) => Error): void;
  /** Registers the function that makes UDP receive results (lib/udp.ts). */
  setDatagramFactory(factory: (bytesOrData: number | Buffer, address: string | undefined, port: number, ipv6: boolean,
                               truncated: boolean) => object): void;
  /** Registers how a chunk read's Buffer is made (below: Buffer.allocUnsafe); null goes back to
   *  napi_create_buffer_copy. A read whose allocator throws or returns less than a Buffer of the size asked
   *  for rejects, and the bytes it took are lost with it. */
  setChunkAllocator(allocate: ((size: number) => unknown) | null): void;
  stats(): EngineStats;
  /** Windows only: the DNS servers of the adapters that are up, in c-ares' order ("192.0.2.53",
   *  "fe80::1%12"). Throws when GetAdaptersAddresses fails. */
  dnsServers?(): string[];
}

const packageRoot = path.resolve(__dirname, '..', '..');

/** Where the addon may be, in the order tried. */
export function addonCandidates(platform = process.platform, arch = process.arch): string[] {
  const tuple = `${platform}-${arch}`;
  const list = [
    path.join(packageRoot, 'build', tuple, 'Release', 'iocp_net.node'),
    path.join(packageRoot, 'prebuilds', tuple, 'iocp-net.node'),
  ];
  if (process.env.IOCP_NET_ADDON) list.unshift(path.resolve(process.env.IOCP_NET_ADDON));
  return list;
}

function load(): NativeAddon {
  const tuple = `${process.platform}-${process.arch}`;
  const candidates = addonCandidates();
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) {
    const supported = process.platform === 'win32' || process.platform === 'linux';
    const err = new Error(
      `iocp-net: no native addon for platform=${process.platform} arch=${process.arch} (node ${process.version}). ` +
        (supported
          ? `Looked in:\n  ${candidates.join('\n  ')}\nBuild it with "npm run build" or install a package that ships prebuilds/${tuple}.`
          : `iocp-net supports Windows (IOCP) and Linux; ${process.platform} is not supported.`),
    ) as Error & { code: string };
    err.code = 'ERR_IOCP_NET_NO_ADDON';
    throw err;
  }
  return require(found) as NativeAddon;
}

export const native: NativeAddon = load();

// The Buffers of readChunk() and of UDP's chunk receives are made by Buffer.allocUnsafe, so a small one is
// a slice of Node's shared pool rather than a Buffer with memory of its own; the native side fills it. At
// 1,000 connections this made an echo server on readChunk() ~5% faster than napi_create_buffer_copy,
// which mallocs and registers a new backing store for every chunk.
native.setChunkAllocator(Buffer.allocUnsafe);
