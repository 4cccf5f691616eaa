// DNS errors shaped like Node's: `queryA ENOTFOUND example.com` with code, syscall and hostname, as
// dns.promises.Resolver rejects, and `getaddrinfo ENOTFOUND example.com` (with errno) as dns.lookup does.
import * as util from 'node:util';

/** The error codes of Node's dns module (c-ares' status codes), plus ENOSERVERS (ours: nothing to ask). */
export type DnsErrorCode =
  | 'ENODATA' | 'EFORMERR' | 'ESERVFAIL' | 'ENOTFOUND' | 'ENOTIMP' | 'EREFUSED' | 'EBADQUERY' | 'EBADNAME'
  | 'EBADFAMILY' | 'EBADRESP' | 'ECONNREFUSED' | 'ETIMEOUT' | 'EOF' | 'ENOMEM' | 'EDESTRUCTION' | 'ECANCELLED'
  | 'ENOSERVERS';

export interface DnsError extends Error {
  code: string;
  /** Set (to a negative libuv number) only where Node sets one: getaddrinfo failures and EINVAL. */
  errno: number | undefined;
  syscall: string;
  hostname?: string;
}

/** A failure inside the resolver before it knows which public call it belongs to (syscall and name). */
export class QueryFailure extends Error {
  readonly code: DnsErrorCode;
  constructor(code: DnsErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? code, options);
    this.code = code;
  }
}

/** Error of a dns.promises.Resolver-style call: `${syscall} ${code} ${hostname}`. */
export function dnsError(code: string, syscall: string, hostname?: string, detail?: string,
                         errno?: number, cause?: unknown): DnsError {
  const where = hostname ? ` ${hostname}` : '';
  const err = new Error(`${syscall} ${code}${where}${detail ? ` (${detail})` : ''}`,
    cause === undefined ? undefined : { cause }) as DnsError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (hostname) err.hostname = hostname;
  return err;
}

/** Turns a QueryFailure (or anything thrown inside a query) into the public error of that call. */
export function toDnsError(err: unknown, syscall: string, hostname: string): Error {
  if (err instanceof QueryFailure) {
    const detail = err.message !== err.code ? err.message : undefined;
    return dnsError(err.code, syscall, hostname, detail, undefined, err.cause);
  }
  if (err instanceof Error && (err as { code?: unknown }).code === 'ABORT_ERR') return err;
  // Anything else is a bug or an unexpected socket failure; report it as a bad response, keeping the cause.
  return dnsError('EBADRESP', syscall, hostname, undefined, undefined, err);
}

// getaddrinfo-style errors carry libuv's errno, as Node's dns.lookup errors do.
const errnoOf = (name: string): number | undefined => {
  for (const [errno, [n]] of util.getSystemErrorMap()) if (n === name) return errno;
  return undefined;
};
const EAI_NONAME = errnoOf('EAI_NONAME');
const EAI_AGAIN = errnoOf('EAI_AGAIN');
const EINVAL = errnoOf('EINVAL');

/** dns.lookup's "no such host": code ENOTFOUND, errno EAI_NONAME (as Node maps it). */
export function lookupNotFound(hostname: string, cause?: unknown): DnsError {
  return dnsError('ENOTFOUND', 'getaddrinfo', hostname, undefined, EAI_NONAME, cause);
}

/** dns.lookup's "temporary failure" (servers unreachable, timed out, failing): code EAI_AGAIN. */
export function lookupAgain(hostname: string, cause?: unknown): DnsError {
  return dnsError('EAI_AGAIN', 'getaddrinfo', hostname, undefined, EAI_AGAIN, cause);
}

/** reverse() of something that is not an IP address rejects like Node's: `getHostByAddr EINVAL 1.2.3`. */
export function invalidAddress(syscall: string, hostname: string): DnsError {
  return dnsError('EINVAL', syscall, hostname, undefined, EINVAL);
}

