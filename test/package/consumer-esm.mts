// The same from an ES module: named imports of the CommonJS package, as Node's cjs-module-lexer provides
// them at run time (installed.test.js checks that side).
import { connect, backend, engineStats, type Connection } from 'iocp-net';

export const engine: string = backend;
export const inFlight: number = engineStats().opsInFlight;
export function open(port: number): Promise<Connection> { return connect({ host: '127.0.0.1', port }); }
