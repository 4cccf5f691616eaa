// Resolver: the API of dns.promises.Resolver (same methods, result shapes and error codes), on our own
// transport (transport.ts) instead of c-ares, with an answer cache and query coalescing in front of it.
import * as net from 'node:net';
import * as url from 'node:url';
import { AbortError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { TtlCache, type CacheOptions } from './cache';
import { RCODE, TYPE, badName, type DnsMessage, type QueryType } from './codec';
import { formatServer, loadSystemConfig, parseServers, type ServerAddress, type SystemConfig } from './config';
import { QueryFailure, dnsError, invalidAddress, toDnsError } from './errors';
import {
  aged, answerTtl, extract, type AnyRecord, type CaaRecord, type MxRecord, type NaptrRecord, type RecordWithTtl,
  type ResultByType, type SoaRecord, type SrvRecord,
} from './records';
import { Counters, type DnsStats } from './stats';
import { Transport, defaultSocketFactory, type DatagramSocketFactory } from './transport';

export interface ResolverOptions {
  /** ms to wait for an answer before asking again (the next server); -1 or absent: resolv.conf's
   *  `options timeout:`, else 5,000 (nginx's resend interval). As dns.promises.Resolver's `timeout`. */
  timeout?: number;
  /** Tries per server (so tries × servers sends at most); absent: resolv.conf's `attempts:`, else 4 (Node's
   *  default). As dns.promises.Resolver's `tries`. */
  tries?: number;
  /** Upper bound of `timeout`, in ms, as dns.promises.Resolver's `maxTimeout` (0: none). */
  maxTimeout?: number;
  /** ms a query may take in all, across every try (default 30,000, nginx's resolver_timeout). */
  totalTimeout?: number;
  /** Servers as setServers() takes them; default: the system's (resolv.conf; on Windows see config.ts). */
  servers?: string[];
  /** Answer cache: true (default), false, or limits. */
  cache?: boolean | CacheOptions;
  /** Identical queries in flight share one network query (default true). */
  coalesce?: boolean;
  /** Start each query at the next server in turn rather than the first (default: resolv.conf's `rotate`). */
  rotate?: boolean;
  /** Queries per UDP socket before it is replaced by one on a new port (default 100; 0: never). */
  udpMaxQueries?: number;
  /** Send EDNS0 (payload 1,232 bytes; default true). */
  edns?: boolean;
  /** Repeat truncated answers over TCP (default true). */
  tcp?: boolean;
  /** Opens the connected UDP sockets (default: the built-in transport). */
  socketFactory?: DatagramSocketFactory;
  /** ms an idle UDP socket stays open (default 5,000). */
  idleTimeout?: number;
}

export interface ResolveOptions {
  /** For resolve4/resolve6: objects `{ address, ttl }` instead of strings. */
  ttl?: boolean;
  /** Abandons this call with an AbortError (the network query goes on if others wait for it too). */
  signal?: AbortSignal;
}

const RRTYPES: readonly QueryType[] = ['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];
const SYSCALL: Record<QueryType, string> = {
  A: 'queryA', AAAA: 'queryAaaa', ANY: 'queryAny', CAA: 'queryCaa', CNAME: 'queryCname', MX: 'queryMx',
  NAPTR: 'queryNaptr', NS: 'queryNs', PTR: 'queryPtr', SOA: 'querySoa', SRV: 'querySrv', TXT: 'queryTxt',
};

const DEFAULT_TIMEOUT = 5000;
const DEFAULT_TRIES = 4;
const DEFAULT_TOTAL = 30000;

function propertyType(name: string, expected: string, value: unknown): Error {
  const err = invalidArgType(name, expected, value);
  err.message = err.message.replace(/^The "([^"]+)" argument/, 'The "$1" property');
  return err;
}

function optInt(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw propertyType(`options.${key}`, 'of type number', v);
  if (!Number.isInteger(v) || v < min || v > max) throw outOfRange(`options.${key}`, `>= ${min} && <= ${max}`, v);
  return v;
}

function optBool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw propertyType(`options.${key}`, 'of type boolean', v);
  return v;
}

/** The name as it goes on the wire: IDNA (punycode) for non-ASCII names, as Node's toASCII. */
function wireName(name: string): string {
  if (!/[^\x00-\x7f]/.test(name)) return name;
  const ascii = url.domainToASCII(name);
  return ascii === '' ? name : ascii;
}

/** The PTR name of an address: 4.3.2.1.in-addr.arpa, or the nibbles of an IPv6 address under ip6.arpa. */
export function ptrName(ip: string): string | undefined {
  const family = net.isIP(ip);
  if (family === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family !== 6) return undefined;
  const bytes = ipv6Bytes(ip.replace(/%.*$/, ''));
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((bytes[i] & 0xf).toString(16), (bytes[i] >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

function ipv6Bytes(ip: string): number[] {
  let s = ip;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    tail = v4[1].split('.').map(Number);
    s = `${s.slice(0, -v4[1].length)}0:0`;
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const a = head === '' ? [] : head.split(':');
  const b = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = [...a, ...new Array<string>(8 - a.length - b.length).fill('0'), ...b].map((g) => parseInt(g, 16));
  const out: number[] = [];
  for (const g of groups) out.push(g >> 8, g & 0xff);
  if (tail.length === 4) out.splice(12, 4, ...tail);
  return out;
}

const NO_OPTIONS: ResolveOptions = Object.freeze({});
const NOT_STARTED = { cancel(): void {} };

/** Called once, with the answer or with why there is none. */
type Listener = (msg: DnsMessage | undefined, err: unknown) => void;

/** One network query and the callers waiting for it. */
interface Shared {
  query: { cancel(): void };
  listeners: Listener[];
  /** Callers that joined; one with a signal leaves when it fires, and the last to leave cancels the query. */
  waiters: number;
  /** Set when the query has ended (a caller joining later hears at once). */
  outcome?: { msg: DnsMessage | undefined; err: unknown };
}

export class Resolver {
  readonly #counters = new Counters();
  readonly #transport: Transport;
  readonly #cache: TtlCache<DnsMessage>;
  readonly #negative: boolean;
  readonly #coalesce: boolean;
  readonly #inFlight = new Set<Shared>();
  /** Queries in flight by cache key, for coalescing. */
  readonly #shared = new Map<string, Shared>();
  readonly #sourceNote: string;
  #servers: ServerAddress[];
  /** @internal The system configuration this resolver started from (lookup() uses its search list). */
  readonly system: SystemConfig | undefined;

  constructor(options?: ResolverOptions) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'of type object', options);
    }
    const o = (options ?? {}) as Record<string, unknown>;
    let timeout = optInt(o, 'timeout', -1, 2 ** 31 - 1);
    let tries = optInt(o, 'tries', 1, 2 ** 31 - 1);
    const maxTimeout = optInt(o, 'maxTimeout', 0, 2 ** 31 - 1);
    const totalTimeout = optInt(o, 'totalTimeout', 1, 2 ** 31 - 1) ?? DEFAULT_TOTAL;
    const udpMaxQueries = optInt(o, 'udpMaxQueries', 0, 2 ** 31 - 1) ?? 100;
    const idleTimeout = optInt(o, 'idleTimeout', 0, 2 ** 31 - 1) ?? 5000;
    let rotate = optBool(o, 'rotate');
    const edns = optBool(o, 'edns') ?? true;
    const tcp = optBool(o, 'tcp') ?? true;
    this.#coalesce = optBool(o, 'coalesce') ?? true;
    const factory = o.socketFactory ?? defaultSocketFactory;
    if (typeof factory !== 'function') throw propertyType('options.socketFactory', 'of type function', factory);

    // The system's configuration fills in what the options leave out.
    let servers: ServerAddress[];
    if (o.servers !== undefined) {
      servers = parseServers(o.servers);
      this.#sourceNote = 'options.servers';
    } else {
      this.system = loadSystemConfig();
      servers = this.system.servers;
      this.#sourceNote = this.system.source;
    }
    if (this.system === undefined && (timeout === undefined || tries === undefined || rotate === undefined)) {
      this.system = loadSystemConfig();
    }
    if (timeout === undefined || timeout === -1) timeout = this.system?.timeout ?? DEFAULT_TIMEOUT;
    if (maxTimeout !== undefined && maxTimeout > 0) timeout = Math.min(timeout, maxTimeout);
    tries ??= this.system?.attempts ?? DEFAULT_TRIES;
    rotate ??= this.system?.rotate ?? false;
    this.#servers = servers;

    let cacheOpts: CacheOptions = {};
    const c = o.cache;
    if (c === false) cacheOpts = { maxEntries: 0 };
    else if (c !== undefined && c !== true) {
      if (c === null || typeof c !== 'object') throw propertyType('options.cache', 'of type boolean or object', c);
      const co = c as Record<string, unknown>;
      cacheOpts = {
        maxEntries: optInt(co, 'maxEntries', 0, 2 ** 31 - 1),
        maxTtl: optInt(co, 'maxTtl', 0, 2 ** 31 - 1),
        negative: optBool(co, 'negative'),
      };
    }
    this.#cache = new TtlCache({ maxEntries: cacheOpts.maxEntries ?? 1000, maxTtl: cacheOpts.maxTtl ?? 3600 });
    this.#negative = cacheOpts.negative ?? true;

    this.#transport = new Transport({
      timeout, tries, totalTimeout, rotate, udpMaxQueries, edns, tcp, idleTimeout,
      socketFactory: factory as DatagramSocketFactory,
    }, this.#counters);
  }

  getServers(): string[] {
    return this.#servers.map(formatServer);
  }

  /** Replaces the server list (same syntax and errors as dns.setServers); drops the cache and the sockets. */
  setServers(servers: string[]): void {
    this.#servers = parseServers(servers);
    this.#cache.clear();
    this.#transport.retireAll();
  }

  /** Rejects every query in progress with ECANCELLED. */
  cancel(): void {
    for (const s of [...this.#inFlight]) s.query.cancel();
  }

  /** This resolver's counters (dnsStats() has the process-wide totals). */
  stats(): DnsStats {
    return this.#counters.snapshot();
  }

  /** Drops every cached answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  resolve(hostname: string): Promise<string[]>;
  resolve(hostname: string, rrtype: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'): Promise<string[]>;
  resolve(hostname: string, rrtype: 'ANY'): Promise<AnyRecord[]>;
  resolve(hostname: string, rrtype: 'CAA'): Promise<CaaRecord[]>;
  resolve(hostname: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(hostname: string, rrtype: 'NAPTR'): Promise<NaptrRecord[]>;
  resolve(hostname: string, rrtype: 'SOA'): Promise<SoaRecord>;
  resolve(hostname: string, rrtype: 'SRV'): Promise<SrvRecord[]>;
  resolve(hostname: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(hostname: string, rrtype: string): Promise<ResultByType[QueryType]>;
  resolve(hostname: string, rrtype: string = 'A'): Promise<ResultByType[QueryType]> {
    if (typeof rrtype !== 'string') throw invalidArgType('rrtype', 'of type string', rrtype);
    if (!(RRTYPES as readonly string[]).includes(rrtype)) throw invalidArgValue('rrtype', rrtype, 'is invalid');
    return this.#resolve(hostname, rrtype as QueryType, undefined);
  }

  resolve4(hostname: string, options: ResolveOptions & { ttl: true }): Promise<RecordWithTtl[]>;
  resolve4(hostname: string, options?: ResolveOptions): Promise<string[]>;
  resolve4(hostname: string, options?: ResolveOptions): Promise<string[] | RecordWithTtl[]> {
    return this.#resolve(hostname, 'A', options) as Promise<string[] | RecordWithTtl[]>;
  }

  resolve6(hostname: string, options: ResolveOptions & { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options?: ResolveOptions): Promise<string[]>;
  resolve6(hostname: string, options?: ResolveOptions): Promise<string[] | RecordWithTtl[]> {
    return this.#resolve(hostname, 'AAAA', options) as Promise<string[] | RecordWithTtl[]>;
  }

  resolveAny(hostname: string, options?: ResolveOptions): Promise<AnyRecord[]> {
    return this.#resolve(hostname, 'ANY', options) as Promise<AnyRecord[]>;
  }
  resolveCaa(hostname: string, options?: ResolveOptions): Promise<CaaRecord[]> {
    return this.#resolve(hostname, 'CAA', options) as Promise<CaaRecord[]>;
  }
  resolveCname(hostname: string, options?: ResolveOptions): Promise<string[]> {
    return this.#resolve(hostname, 'CNAME', options) as Promise<string[]>;
  }
  resolveMx(hostname: string, options?: ResolveOptions): Promise<MxRecord[]> {
    return this.#resolve(hostname, 'MX', options) as Promise<MxRecord[]>;
  }
  resolveNaptr(hostname: string, options?: ResolveOptions): Promise<NaptrRecord[]> {
    return this.#resolve(hostname, 'NAPTR', options) as Promise<NaptrRecord[]>;
  }
  resolveNs(hostname: string, options?: ResolveOptions): Promise<string[]> {
    return this.#resolve(hostname, 'NS', options) as Promise<string[]>;
  }
  resolvePtr(hostname: string, options?: ResolveOptions): Promise<string[]> {
    return this.#resolve(hostname, 'PTR', options) as Promise<string[]>;
  }
  resolveSoa(hostname: string, options?: ResolveOptions): Promise<SoaRecord> {
    return this.#resolve(hostname, 'SOA', options) as Promise<SoaRecord>;
  }
  resolveSrv(hostname: string, options?: ResolveOptions): Promise<SrvRecord[]> {
    return this.#resolve(hostname, 'SRV', options) as Promise<SrvRecord[]>;
  }
  resolveTxt(hostname: string, options?: ResolveOptions): Promise<string[][]> {
    return this.#resolve(hostname, 'TXT', options) as Promise<string[][]>;
  }

  /**
   * The whole answer for (hostname, rrtype): RCODE, flags and every section, through the same cache, coalescing
   * and transport as resolve(). NXDOMAIN and NODATA are answers here, not errors; it rejects only when no usable
   * answer came (ETIMEOUT, ECONNREFUSED, ESERVFAIL, EREFUSED, EBADRESP, ECANCELLED, ...). For tools like dig.
   */
  query(hostname: string, rrtype: string = 'A', options?: Omit<ResolveOptions, 'ttl'>): Promise<DnsMessage> {
    if (typeof hostname !== 'string') throw invalidArgType('name', 'of type string', hostname);
    if (typeof rrtype !== 'string') throw invalidArgType('rrtype', 'of type string', rrtype);
    if (!(RRTYPES as readonly string[]).includes(rrtype)) throw invalidArgValue('rrtype', rrtype, 'is invalid');
    const { signal } = this.#checkOptions(options);
    const syscall = SYSCALL[rrtype as QueryType];
    const name = wireName(hostname);
    if (badName(name) !== undefined) return Promise.reject(dnsError('EBADNAME', syscall, hostname));
    return this.#message(name, rrtype as QueryType, signal).catch((err: unknown) => {
      throw toDnsError(err, syscall, hostname);
    });
  }

  /** Host names of an address, from its PTR records (DNS only; c-ares also reads the hosts file here). */
  reverse(ip: string, options?: ResolveOptions): Promise<string[]> {
    if (typeof ip !== 'string') throw invalidArgType('ip', 'of type string', ip);
    const signal = this.#checkOptions(options).signal;
    const name = ptrName(ip);
    if (name === undefined) return Promise.reject(invalidAddress('getHostByAddr', ip));
    return (async () => {
      try {
        const msg = await this.#message(name, 'PTR', signal);
        if (msg.rcode === RCODE.NXDOMAIN) throw new QueryFailure('ENOTFOUND');
        const names = msg.answers.filter((r) => r.type === TYPE.PTR).map((r) => r.data as string);
        if (names.length === 0) throw new QueryFailure('ENOTFOUND');
        return names;
      } catch (err) {
        throw toDnsError(err, 'getHostByAddr', ip);
      }
    })();
  }

  #checkOptions(options: unknown): ResolveOptions {
    if (options === undefined) return NO_OPTIONS;
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const o = options as ResolveOptions;
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
      throw propertyType('options.signal', 'an instance of AbortSignal', o.signal);
    }
    return o;
  }

  #resolve(hostname: string, type: QueryType, options: ResolveOptions | undefined): Promise<ResultByType[QueryType]> {
    if (typeof hostname !== 'string') throw invalidArgType('name', 'of type string', hostname);
    const { ttl, signal } = this.#checkOptions(options);
    const syscall = SYSCALL[type];
    const name = wireName(hostname);
    const bad = badName(name);
    if (bad !== undefined) return Promise.reject(dnsError('EBADNAME', syscall, hostname));
    // One promise per call, settled from the query's end: no promise of the query's own and no reaction
    // between the two (the resolver's hot path).
    return new Promise((resolve, reject) => {
      this.#request(name, type, signal, (msg, err) => {
        try {
          if (msg === undefined) throw err;
          if (msg.rcode === RCODE.NXDOMAIN) throw new QueryFailure('ENOTFOUND');
          if (msg.rcode !== RCODE.NOERROR) throw new QueryFailure('EBADRESP', `unexpected RCODE ${msg.rcode}`);
          resolve(extract(msg, name, type, ttl === true));
        } catch (e) {
          reject(toDnsError(e, syscall, hostname));
        }
      });
    });
  }

  /**
   * @internal For lookup(): the addresses of one name (already a complete candidate, ASCII) of one family.
   * Resolves with [] when the name does not exist or has none of that family; rejects with a QueryFailure
   * (or AbortError) on anything else.
   */
  async addressesOf(name: string, family: 4 | 6, signal?: AbortSignal): Promise<string[]> {
    if (badName(name) !== undefined) throw new QueryFailure('EBADNAME');
    const type = family === 4 ? 'A' : 'AAAA';
    const msg = await this.#message(name, type, signal);
    if (msg.rcode === RCODE.NXDOMAIN) return [];
    if (msg.rcode !== RCODE.NOERROR) throw new QueryFailure('EBADRESP', `unexpected RCODE ${msg.rcode}`);
    try {
      return extract(msg, name, type, false) as string[];
    } catch (err) {
      if (err instanceof QueryFailure && err.code === 'ENODATA') return [];
      throw err;
    }
  }

  /** The answer for (name, type): from the cache, from a query already in flight, or from the network. */
  #message(name: string, type: QueryType, signal: AbortSignal | undefined): Promise<DnsMessage> {
    return new Promise((resolve, reject) => {
      this.#request(name, type, signal, (msg, err) => (msg === undefined ? reject(err) : resolve(msg)));
    });
  }

  /** #message() with a listener, called once (at once for a cached answer): what the hot path uses. */
  #request(name: string, type: QueryType, signal: AbortSignal | undefined, listener: Listener): void {
    if (signal?.aborted) return listener(undefined, new AbortError(undefined, { cause: signal.reason }));
    const key = `${type} ${(name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#counters.add('cacheHits');
      return listener(aged(hit.value, hit.age), undefined);
    }
    let shared = this.#coalesce ? this.#shared.get(key) : undefined;
    if (shared !== undefined) this.#counters.add('coalesced');
    else shared = this.#start(key, name, type);
    this.#join(shared, signal, listener);
  }

  #start(key: string, name: string, type: QueryType): Shared {
    const servers = this.#servers;
    if (servers.length === 0) {
      const failure = new QueryFailure('ENOSERVERS', `no DNS servers configured (system configuration: ${this.#sourceNote}); ` +
        'give them with options.servers or setServers()');
      return { query: { cancel(): void {} }, listeners: [], waiters: 0, outcome: { msg: undefined, err: failure } };
    }
    const shared: Shared = { query: NOT_STARTED, listeners: [], waiters: 0 };
    // When the query ends: the bookkeeping and the cache first (a caller that asks again finds the answer
    // cached), then every caller. It may end before start() returns (every try failing at once).
    shared.query = this.#transport.start({ name, type }, servers, (msg, err) => {
      shared.outcome = { msg, err };
      this.#inFlight.delete(shared);
      if (this.#shared.get(key) === shared) this.#shared.delete(key);
      if (msg !== undefined && servers === this.#servers) this.#store(key, msg);   // not for an old server list
      const listeners = shared.listeners;
      shared.listeners = [];
      for (const l of listeners) l(msg, err);
    });
    if (shared.outcome === undefined) {
      this.#inFlight.add(shared);
      if (this.#coalesce) this.#shared.set(key, shared);
    }
    return shared;
  }

  #join(shared: Shared, signal: AbortSignal | undefined, listener: Listener): void {
    if (shared.outcome !== undefined) return listener(shared.outcome.msg, shared.outcome.err);
    shared.waiters++;   // a caller without a signal stays to the end
    if (signal === undefined) {
      shared.listeners.push(listener);
      return;
    }
    let left = false;
    const onEnd: Listener = (msg, err) => {
      if (left) return;
      left = true;
      signal.removeEventListener('abort', onAbort);
      listener(msg, err);
    };
    const onAbort = (): void => {
      if (left) return;
      left = true;
      shared.waiters--;
      const i = shared.listeners.indexOf(onEnd);
      if (i >= 0) shared.listeners.splice(i, 1);
      // This caller goes; the network query stops only when nobody else waits for it.
      if (shared.waiters === 0) {
        for (const [k, v] of this.#shared) if (v === shared) this.#shared.delete(k);
        shared.query.cancel();
      }
      listener(undefined, new AbortError(undefined, { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    shared.listeners.push(onEnd);
  }

  #store(key: string, msg: DnsMessage): void {
    if (this.#cache.maxEntries <= 0) return;
    const positive = msg.rcode === RCODE.NOERROR && msg.answers.length > 0;
    const negative = msg.rcode === RCODE.NXDOMAIN || (msg.rcode === RCODE.NOERROR && msg.answers.length === 0);
    if (!positive && !(negative && this.#negative)) return;
    const ttl = answerTtl(msg);
    if (ttl !== undefined) this.#cache.set(key, msg, ttl);
  }
}
