// Argument checks shared by the public functions. They throw synchronously, as Node's do.
import type * as dns from 'node:dns';
import * as net from 'node:net';
import { invalidArgType, invalidArgValue, invalidIpAddress, outOfRange } from './errors';

/** What the `lookup` options of connect() and createUdpSocket() take: dns.lookup's callback form, the type
 *  of net.connect's `lookup` option. dns.lookup itself fits, and so does this package's `lookup`, and so
 *  does a plain function of that shape (which `typeof dns.lookup` would refuse for lacking __promisify__). */
export type HostLookup = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
) => void;

export interface OpOptions {
  /** Cancels the operation; it then rejects with an AbortError whose cause is signal.reason. */
  signal?: AbortSignal;
  /** Milliseconds before the operation is cancelled and rejects with ETIMEDOUT. */
  timeout?: number;
}

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value as Record<string, unknown>;
}

export function checkOpOptions(value: unknown, name = 'options'): OpOptions {
  const o = checkObject(name, value);
  const { signal, timeout } = o;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType(`${name}.signal`, 'an instance of AbortSignal', signal);
  if (timeout !== undefined) checkNumber(`${name}.timeout`, timeout, 0, 2 ** 31 - 1);
  return o as OpOptions;
}

export function checkNumber(name: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw outOfRange(name, `${integer ? 'an integer ' : ''}>= ${min} and <= ${max}`, value);
  }
  return value;
}

/** A port as Node's validatePort takes it: a number, or a string that is one (" 80 ", "0x50"; not ""), an
 *  integer from 0 (when allowed) or 1 to 65535; anything else of those types is ERR_SOCKET_BAD_PORT. */
export function checkPort(name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number' && typeof value !== 'string') throw invalidArgType(name, 'one of type number or string', value);
  const port = typeof value === 'string' && value.trim() === '' ? NaN : Number(value);
  if (port !== port >>> 0 || port > 65535 || (port === 0 && !allowZero)) {
    const err = new RangeError(`${name} should be ${allowZero ? '>= 0' : '> 0'} and < 65536. Received ${describePort(value)}.`);
    (err as RangeError & { code: string }).code = 'ERR_SOCKET_BAD_PORT';
    throw err;
  }
  return port;
}

const describePort = (value: number | string): string =>
  typeof value === 'string' ? `type string ('${value}')` : `type number (${String(value)})`;

export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

export function checkIp(name: string, value: unknown): { address: string; family: 4 | 6 } | undefined {
  const s = checkString(name, value);
  if (s === undefined) return undefined;
  const family = net.isIP(s);
  if (family === 0) throw invalidIpAddress(s);
  return { address: s, family: family as 4 | 6 };
}

export function checkFamily(name: string, value: unknown): 0 | 4 | 6 {
  if (value === undefined || value === 0 || value === 4 || value === 6) return (value ?? 0) as 0 | 4 | 6;
  if (value === 'IPv4') return 4;
  if (value === 'IPv6') return 6;
  throw invalidArgValue(name, value, 'must be one of: 0, 4, 6 (only IPv4 and IPv6 are supported)');
}

export function isBufferView(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v);
}

/** Uint8Array view over any ArrayBufferView, without copying. */
export function asBytes(v: ArrayBufferView): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
