// iocp-net: proactor-style TCP for Node.js on Windows I/O completion ports, with a Linux backend.
export { connect, type ConnectOptions } from './connect';
export { Connection, type ReadChunkOptions, type SocketAddress, type WriteData } from './connection';
export { AbortError, type SystemError } from './errors';
export { listen, Server, type ListenOptions } from './server';
export type { OpOptions } from './validate';

import { makeSystemError } from './errors';
import { native } from './native';

native.setErrorFactory(makeSystemError);

/** Which completion engine this process uses: "iocp" on Windows. */
export const backend: string = native.backend;

/** Engine counters for diagnostics and leak tests: live native sockets, operations the OS still holds,
 *  and (Windows) the process handle count. */
export function engineStats(): { sockets: number; opsInFlight: number; osHandles: number } {
  return native.stats();
}
