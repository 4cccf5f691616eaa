// Errors shaped like Node's: system errors with code/errno/syscall/address/port, AbortError, and the
// argument-validation errors (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ...).
import * as util from 'node:util';

export interface SystemError extends Error {
  code: string;
  errno?: number;
  syscall: string;
  address?: string;
  port?: number;
  /** The operating system's own error number (WSA/Win32 error on Windows, errno on Linux), when known. */
  nativeError?: number;
}

// Node's errno values are the running platform's libuv codes (negative); invert its own map.
const errnoByCode = new Map<string, number>();
for (const [errno, [name]] of util.getSystemErrorMap()) errnoByCode.set(name, errno);

const ourMessages: Record<string, string> = {
  ERR_SOCKET_CLOSED: 'the socket is closed',
  ERR_INVALID_STATE: 'a read is already pending on this socket (one read at a time)',
  ECANCELED: 'operation canceled',
  ERR_BUFFER_DETACHED: 'the buffer was detached (transferred) while the operation was pending',
};

export function makeSystemError(code: string, syscall: string, nativeError = 0, address?: string, port?: number): SystemError {
  let where = '';
  if (address !== undefined) where = port !== undefined && port >= 0 ? ` ${address}:${port}` : ` ${address}`;
  const detail = ourMessages[code];
  const err = new Error(`${syscall} ${code}${where}${detail ? ` (${detail})` : ''}`) as SystemError;
  err.code = code;
  const errno = errnoByCode.get(code);
  if (errno !== undefined) err.errno = errno;
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined && port >= 0) err.port = port;
  if (nativeError) err.nativeError = nativeError;
  return err;
}

export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

type CodedError<E extends Error> = E & { code: string };

function coded<E extends Error>(err: E, code: string): CodedError<E> {
  (err as CodedError<E>).code = code;
  return err as CodedError<E>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${util.inspect(value)})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE');
}

export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${util.inspect(actual)}`),
    'ERR_OUT_OF_RANGE');
}

export function invalidArgValue(name: string, actual: unknown, reason: string): TypeError {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${util.inspect(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

export function incompatibleOptions(a: string, b: string): TypeError {
  return coded(new TypeError(`Option "${a}" cannot be used in combination with option "${b}"`), 'ERR_INCOMPATIBLE_OPTION_PAIR');
}

/** Node's ERR_INVALID_IP_ADDRESS: a string where an IP address must be (setServers, localAddress). */
export function invalidIpAddress(value: string): CodedError<TypeError> {
  return coded(new TypeError(`Invalid IP address: ${value}`), 'ERR_INVALID_IP_ADDRESS');
}

/** Node's ERR_MISSING_ARGS, for an argument that has no default. */
export function missingArgs(name: string): CodedError<TypeError> {
  return coded(new TypeError(`The "${name}" argument must be specified`), 'ERR_MISSING_ARGS');
}
