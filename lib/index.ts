// iocp-net: proactor-style TCP for Node.js on Windows I/O completion ports, with a Linux backend.
export { connect, type ConnectOptions } from './connect';
export { Connection, type ReadChunkOptions, type ReadOptions, type SocketAddress, type WriteData } from './connection';
export { AbortError, type SystemError } from './errors';
export { listen, Server, type ListenOptions } from './server';
export type { HostLookup, OpOptions } from './validate';
export {
  createUdpSocket, UdpSocket, type UdpSocketOptions, type UdpType, type UdpRecvResult, type Datagram, type RecvMessageOptions,
  type SendData,
} from './udp';
export {
  Resolver, lookup, createLookup, dnsStats, type ResolverOptions, type ResolveOptions, type LookupAddress,
  type LookupFunction, type LookupOptions, type LookupOrder, type LookupSetup, type DnsStats, type CacheOptions,
  type DatagramSocket, type DatagramSocketFactory, type RecvResult, type ServerAddress, type DnsError,
  typeName, rcodeName, type DnsMessage, type DnsRecord, type DnsQuestion, type RecordData,
  type AnyRecord, type CaaRecord, type MxRecord, type NaptrRecord, type RecordWithTtl, type SoaRecord, type SrvRecord,
} from './dns';

import { makeSystemError } from './errors';
import { native } from './native';

native.setErrorFactory(makeSystemError);

/** Which completion engine this process uses: "iocp" on Windows. */
export const backend: string = native.backend;

/** Engine counters for diagnostics and leak tests: native sockets not yet freed (closed ones count until
 *  their JS object is collected), operations the OS still holds (0 once everything is closed),
 *  and (Windows) the process handle count. */
export function engineStats(): { sockets: number; opsInFlight: number; osHandles: number } {
  return native.stats();
}
