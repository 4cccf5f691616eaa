// lookup(): what dns.lookup returns, from the hosts file and our resolver, never through the libuv thread
// pool. Callable with a callback (so it can be the `lookup` option of net.connect, tls.connect, http.request
// and of our own connect()) or without one (then it returns a promise, like dns.promises.lookup).
//
// As the system resolver (getaddrinfo with "files dns"): an IP literal is returned as it is; then the hosts
// file; then `localhost` and `*.localhost` are the loopback addresses (RFC 6761) when the hosts file does not
// say otherwise; then DNS, A and AAAA queried together, trying the search suffixes by the ndots rule
// (config.ts searchNames). Not covered: NSS modules other than files and DNS, mDNS/LLMNR, the Windows
// name resolution policy table, and the address sorting of RFC 6724 (`verbatim` gives IPv4 answers before
// IPv6 ones; `ipv4first` and `ipv6first` sort as Node does).
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as url from 'node:url';
import * as util from 'node:util';
import { AbortError, invalidArgType, invalidArgValue } from '../errors';
import { checkFamily } from '../validate';
import { defaultHostsPath, searchNames } from './config';
import { QueryFailure, lookupAgain, lookupNotFound } from './errors';
import { HostsFile, type HostsEntry } from './hosts';
import { Resolver } from './resolver';

export interface LookupAddress { address: string; family: 4 | 6 }
export type LookupOrder = 'ipv4first' | 'ipv6first' | 'verbatim';

export interface LookupOptions {
  /** 0 (default), 4, 6, 'IPv4' or 'IPv6'. */
  family?: number | 'IPv4' | 'IPv6';
  /** All addresses (an array) rather than the first. */
  all?: boolean;
  /** Default: dns.getDefaultResultOrder(). */
  order?: LookupOrder;
  /** Legacy form of `order`: true is 'verbatim', false 'ipv4first'. */
  verbatim?: boolean;
  /** getaddrinfo flags (dns.ADDRCONFIG, dns.V4MAPPED, dns.ALL): checked as dns.lookup checks them, then ignored. */
  hints?: number;
  signal?: AbortSignal;
}

export interface LookupSetup {
  /** The resolver for DNS (default: one with the system's configuration, made on first use). */
  resolver?: Resolver;
  /** Hosts file path (default: the system's); false: no hosts file. */
  hostsFile?: string | false;
  /** Search suffixes and ndots (default: the resolver's system configuration, or none and 1). */
  search?: string[];
  ndots?: number;
}

type ErrorCallback = (err: NodeJS.ErrnoException | null, ...rest: never[]) => void;
type OneCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
type AllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** dns.promises.lookup's shape. */
export interface PromiseLookup {
  (hostname: string, options: LookupOptions & { all: true }): Promise<LookupAddress[]>;
  (hostname: string, options?: number | (LookupOptions & { all?: false })): Promise<LookupAddress>;
  (hostname: string, options?: number | LookupOptions): Promise<LookupAddress | LookupAddress[]>;
}

/** dns.lookup's shape, promise or callback (so it also type-checks as `typeof dns.lookup`). */
export interface LookupFunction extends PromiseLookup {
  (hostname: string, callback: OneCallback): void;
  (hostname: string, options: number | (LookupOptions & { all?: false }), callback: OneCallback): void;
  (hostname: string, options: LookupOptions & { all: true }, callback: AllCallback): void;
  (hostname: string, options: number | LookupOptions,
   callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void;
  /** The promise form, for util.promisify (which uses it) and for typing as `typeof dns.lookup`. */
  __promisify__: PromiseLookup;
}

interface Checked { family: 0 | 4 | 6; all: boolean; order: LookupOrder; signal: AbortSignal | undefined }

function checkOptions(options: unknown): Checked {
  const defaultOrder = (dns.getDefaultResultOrder?.() ?? 'verbatim') as LookupOrder;
  if (options === undefined || options === null) return { family: 0, all: false, order: defaultOrder, signal: undefined };
  if (typeof options === 'number') return { family: checkFamily('family', options), all: false, order: defaultOrder, signal: undefined };
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as LookupOptions;
  const family = checkFamily('options.family', o.family);
  if (o.all !== undefined && typeof o.all !== 'boolean') throw invalidArgType('options.all', 'of type boolean', o.all);
  let order = defaultOrder;
  if (o.verbatim !== undefined) {
    if (typeof o.verbatim !== 'boolean') throw invalidArgType('options.verbatim', 'of type boolean', o.verbatim);
    order = o.verbatim ? 'verbatim' : 'ipv4first';
  }
  if (o.order !== undefined) {
    if (o.order !== 'verbatim' && o.order !== 'ipv4first' && o.order !== 'ipv6first') {
      throw invalidArgValue('options.order', o.order, "must be one of: 'verbatim', 'ipv4first', 'ipv6first'");
    }
    order = o.order;
  }
  if (o.hints !== undefined) {
    // Checked as dns.lookup checks them, though unused: only these three getaddrinfo flags are valid.
    if (typeof o.hints !== 'number') throw invalidArgType('options.hints', 'of type number', o.hints);
    const hints = o.hints >>> 0;
    if ((hints & ~(dns.ADDRCONFIG | dns.ALL | dns.V4MAPPED)) !== 0) throw invalidArgValue('hints', hints, 'is invalid');
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', o.signal);
  return { family, all: o.all === true, order, signal: o.signal };
}

function sortByOrder(list: LookupAddress[], order: LookupOrder): LookupAddress[] {
  if (order === 'verbatim') return list;
  const first = order === 'ipv4first' ? 4 : 6;
  return [...list.filter((a) => a.family === first), ...list.filter((a) => a.family !== first)];
}

const isLocalhost = (name: string): boolean => {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost');
};

/** Makes a lookup function with its own resolver, hosts file and search list (tests, special setups). */
export function createLookup(setup: LookupSetup = {}): LookupFunction {
  let resolver = setup.resolver;
  const getResolver = (): Resolver => (resolver ??= new Resolver());
  let hosts: HostsFile | undefined;
  const getHosts = (): HostsFile | undefined => {
    if (setup.hostsFile === false) return undefined;
    hosts ??= new HostsFile(setup.hostsFile ?? defaultHostsPath());
    return hosts;
  };

  async function viaDns(hostname: string, name: string, family: 0 | 4 | 6, signal: AbortSignal | undefined): Promise<LookupAddress[]> {
    const r = getResolver();
    const search = setup.search ?? r.system?.search ?? [];
    const ndots = setup.ndots ?? r.system?.ndots ?? 1;
    let temporary: unknown;
    for (const candidate of searchNames(name, search, ndots)) {
      const asks: Array<Promise<LookupAddress[]>> = [];
      if (family !== 6) asks.push(r.addressesOf(candidate, 4, signal).then((l) => l.map((address) => ({ address, family: 4 as const }))));
      if (family !== 4) asks.push(r.addressesOf(candidate, 6, signal).then((l) => l.map((address) => ({ address, family: 6 as const }))));
      const settled = await Promise.allSettled(asks);
      const found: LookupAddress[] = [];
      for (const s of settled) {
        if (s.status === 'fulfilled') found.push(...s.value);
        else if ((s.reason as { code?: unknown })?.code === 'ABORT_ERR') throw s.reason;
        else if (!(s.reason instanceof QueryFailure && s.reason.code === 'EBADNAME')) temporary ??= s.reason;
      }
      if (found.length > 0) return found;
    }
    if (temporary !== undefined) throw lookupAgain(hostname, temporary);
    throw lookupNotFound(hostname);
  }

  async function run(hostname: string, o: Checked): Promise<LookupAddress[]> {
    if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
    const name = /[^\x00-\x7f]/.test(hostname) ? url.domainToASCII(hostname) || hostname : hostname;
    const want = (e: HostsEntry): boolean => o.family === 0 || e.family === o.family;
    const fromHosts = getHosts()?.lookup(name).filter(want) ?? [];
    if (fromHosts.length > 0) return fromHosts.map((e) => ({ address: e.address, family: e.family }));
    if (isLocalhost(name)) {
      return [{ address: '127.0.0.1', family: 4 as const }, { address: '::1', family: 6 as const }].filter(want);
    }
    return viaDns(hostname, name, o.family, o.signal);
  }

  function lookup(hostname: unknown, options?: unknown, callback?: unknown): Promise<LookupAddress | LookupAddress[]> | undefined {
    if (typeof options === 'function' && callback === undefined) {
      callback = options;
      options = undefined;
    }
    if (hostname && typeof hostname !== 'string') throw invalidArgType('hostname', 'of type string', hostname);
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    const o = checkOptions(options);
    let p: Promise<LookupAddress[] | LookupAddress | { address: null; family: number }>;
    if (!hostname) {
      // As Node: an empty name gives no address (null, or an empty list).
      p = Promise.resolve(o.all ? [] : { address: null, family: o.family === 6 ? 6 : 4 });
    } else {
      const literal = net.isIP(hostname as string);
      const list = literal !== 0
        ? Promise.resolve([{ address: hostname as string, family: literal as 4 | 6 }])
        : run(hostname as string, o).then((l) => sortByOrder(l, o.order));
      p = o.all ? list : list.then((l) => l[0]);
    }
    if (callback === undefined) return p as Promise<LookupAddress | LookupAddress[]>;
    const cb = callback as ErrorCallback;
    p.then(
      (r) => {
        if (Array.isArray(r)) (cb as AllCallback)(null, r);
        else (cb as (err: null, address: string | null, family: number) => void)(null, r.address, r.family);
      },
      (err: NodeJS.ErrnoException) => cb(err),
    );
    return undefined;
  }
  const promised = (hostname: string, options?: number | LookupOptions): Promise<LookupAddress | LookupAddress[]> =>
    lookup(hostname, options) as Promise<LookupAddress | LookupAddress[]>;
  Object.defineProperty(lookup, '__promisify__', { value: promised });
  Object.defineProperty(lookup, util.promisify.custom, { value: promised });
  return lookup as unknown as LookupFunction;
}

/** Like dns.lookup (callback) and dns.promises.lookup (no callback), with the system's configuration. */
export const lookup: LookupFunction = createLookup();
