// Argument checks shared by the public functions. They throw synchronously, as Node's do.
import * as net from 'node:net';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

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

export function checkPort(name: string, value: unknown, allowZero: boolean): number {
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) value = Number(value);
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    const err = new RangeError(`${name} should be ${allowZero ? '>= 0' : '> 0'} and < 65536. Received ${String(value)}.`);
    (err as RangeError & { code: string }).code = 'ERR_SOCKET_BAD_PORT';
    throw err;
  }
  return value;
}

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
  if (family === 0) throw invalidArgValue(name, value, 'must be an IPv4 or IPv6 address');
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
