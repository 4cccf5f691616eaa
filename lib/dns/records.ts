// What each resolve*() call returns, built from an answer the way Node's dns.promises.Resolver (c-ares)
// builds it: the same shapes, the same order (the answer's), and the same choice between an empty list,
// ENODATA and EBADRESP when the answer has no record of the asked type.
import { QueryFailure } from './errors';
import {
  TYPE, sameName, type CaaData, type DnsMessage, type DnsRecord, type MxData, type NaptrData, type QueryType, type SoaData,
  type SrvData,
} from './codec';

export interface RecordWithTtl { address: string; ttl: number }
export interface MxRecord { exchange: string; priority: number }
export interface SrvRecord { name: string; port: number; priority: number; weight: number }
export interface NaptrRecord { flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }
export interface SoaRecord { nsname: string; hostmaster: string; serial: number; refresh: number; retry: number; expire: number; minttl: number }
/** `{ critical, issue: 'ca.example' }`: the tag is the key. */
export interface CaaRecord { critical: number; issue?: string; issuewild?: string; iodef?: string; contactemail?: string; contactphone?: string; [tag: string]: string | number | undefined }

export type AnyRecord =
  | { type: 'A' | 'AAAA'; address: string; ttl: number }
  | { type: 'CNAME' | 'NS' | 'PTR'; value: string }
  | ({ type: 'MX' } & MxRecord)
  | ({ type: 'SRV' } & SrvRecord)
  | ({ type: 'NAPTR' } & NaptrRecord)
  | ({ type: 'SOA' } & SoaRecord)
  | { type: 'TXT'; entries: string[] }
  | ({ type: 'CAA' } & CaaRecord);

/** What resolve(name, rrtype) resolves with, per rrtype. */
export interface ResultByType {
  A: string[] | RecordWithTtl[];
  AAAA: string[] | RecordWithTtl[];
  ANY: AnyRecord[];
  CAA: CaaRecord[];
  CNAME: string[];
  MX: MxRecord[];
  NAPTR: NaptrRecord[];
  NS: string[];
  PTR: string[];
  SOA: SoaRecord;
  SRV: SrvRecord[];
  TXT: string[][];
}

const MAX_CNAME_CHAIN = 16;

/** The owner names an answer about `qname` covers: qname and the CNAME targets followed from it, with the
 *  smallest TTL met along the chain. */
function cnameChain(answers: DnsRecord[], qname: string): { names: string[]; ttl: number } {
  const names = [qname];
  let ttl = Infinity;
  let current = qname;
  for (let hops = 0; hops < MAX_CNAME_CHAIN; hops++) {
    const c = answers.find((r) => r.type === TYPE.CNAME && sameName(r.name, current));
    if (c === undefined) break;
    current = c.data as string;
    if (names.some((n) => sameName(n, current))) break;   // a loop
    names.push(current);
    ttl = Math.min(ttl, c.ttl);
  }
  return { names, ttl };
}

function addresses(msg: DnsMessage, qname: string, type: number, ttl: boolean): string[] | RecordWithTtl[] {
  // The usual answer: only records of the type asked, owned by the name asked. One pass, no chain.
  const all = msg.answers;
  let plain = !ttl;
  for (let i = 0; plain && i < all.length; i++) plain = all[i].type === type && sameName(all[i].name, qname);
  if (plain) {
    const out = new Array<string>(all.length);
    for (let i = 0; i < all.length; i++) out[i] = all[i].data as string;
    return out;
  }
  const chain = cnameChain(msg.answers, qname);
  const found = msg.answers.filter((r) => r.type === type && chain.names.some((n) => sameName(n, r.name)));
  if (found.length === 0) throw new QueryFailure('ENODATA');
  // As c-ares: an address reached through CNAMEs lives no longer than the CNAMEs.
  return ttl ? found.map((r) => ({ address: r.data as string, ttl: Math.min(r.ttl, chain.ttl) })) : found.map((r) => r.data as string);
}

const mx = (d: MxData): MxRecord => ({ exchange: d.exchange, priority: d.preference });
const srv = (d: SrvData): SrvRecord => ({ name: d.target, port: d.port, priority: d.priority, weight: d.weight });
const naptr = (d: NaptrData): NaptrRecord => ({
  flags: d.flags, service: d.services, regexp: d.regexp, replacement: d.replacement, order: d.order, preference: d.preference,
});
const soa = (d: SoaData): SoaRecord => ({
  nsname: d.mname, hostmaster: d.rname, serial: d.serial, refresh: d.refresh, retry: d.retry, expire: d.expire, minttl: d.minimum,
});
const caa = (d: CaaData): CaaRecord => {
  const r: CaaRecord = { critical: d.flags };
  r[d.tag] = d.value;
  return r;
};

/** Every record of one type in the answer section (c-ares does not look at owner names for these). */
function ofType<T>(msg: DnsMessage, type: number, map: (data: never) => T): T[] {
  return msg.answers.filter((r) => r.type === type).map((r) => map(r.data as never));
}

// Node lists ANY results grouped by type in this order (c-ares parses the answer once per type).
const ANY_ORDER: Record<string, number> = { CNAME: 0, A: 1, AAAA: 2, MX: 3, NS: 4, TXT: 5, SRV: 6, PTR: 7, NAPTR: 8, SOA: 9, CAA: 10 };

/** resolveAny(): every record of a type Node knows, grouped by type as Node groups them, each group in the
 *  answer's order. (Node shows a name with a CNAME as only its first CNAME and the AAAA records; we give
 *  every record of the answer.) */
function anyRecords(msg: DnsMessage): AnyRecord[] {
  const out: AnyRecord[] = [];
  for (const r of msg.answers) {
    switch (r.type) {
      case TYPE.A: out.push({ address: r.data as string, ttl: r.ttl, type: 'A' }); break;
      case TYPE.AAAA: out.push({ address: r.data as string, ttl: r.ttl, type: 'AAAA' }); break;
      case TYPE.CNAME: out.push({ value: r.data as string, type: 'CNAME' }); break;
      case TYPE.NS: out.push({ value: r.data as string, type: 'NS' }); break;
      case TYPE.PTR: out.push({ value: r.data as string, type: 'PTR' }); break;
      case TYPE.MX: out.push({ ...mx(r.data as MxData), type: 'MX' }); break;
      case TYPE.SRV: out.push({ ...srv(r.data as SrvData), type: 'SRV' }); break;
      case TYPE.NAPTR: out.push({ ...naptr(r.data as NaptrData), type: 'NAPTR' }); break;
      case TYPE.SOA: out.push({ ...soa(r.data as SoaData), type: 'SOA' }); break;
      case TYPE.TXT: out.push({ entries: r.data as string[], type: 'TXT' }); break;
      case TYPE.CAA: out.push({ ...caa(r.data as CaaData), type: 'CAA' }); break;
      default: break;
    }
  }
  return out.sort((a, b) => ANY_ORDER[a.type] - ANY_ORDER[b.type]);
}

/**
 * The result of a NOERROR answer for (qname, type), or a QueryFailure: ENODATA when the answer section is
 * empty (or, for A/AAAA/NS/PTR/CNAME, has nothing of the type), EBADRESP for SOA without an SOA record.
 * MX, TXT, SRV, NAPTR and CAA give an empty list when the answer holds only other records (CNAMEs), as Node.
 */
export function extract(msg: DnsMessage, qname: string, type: QueryType, ttl: boolean): ResultByType[QueryType] {
  if (msg.answers.length === 0) throw new QueryFailure('ENODATA');
  switch (type) {
    case 'A': return addresses(msg, qname, TYPE.A, ttl);
    case 'AAAA': return addresses(msg, qname, TYPE.AAAA, ttl);
    case 'CNAME': {
      const chain = cnameChain(msg.answers, qname);
      if (chain.names.length === 1) throw new QueryFailure('ENODATA');
      return [chain.names[chain.names.length - 1]];
    }
    case 'NS': case 'PTR': {
      const list = ofType(msg, type === 'NS' ? TYPE.NS : TYPE.PTR, (d: string) => d);
      if (list.length === 0) throw new QueryFailure('ENODATA');
      return list;
    }
    case 'MX': return ofType(msg, TYPE.MX, mx);
    case 'SRV': return ofType(msg, TYPE.SRV, srv);
    case 'NAPTR': return ofType(msg, TYPE.NAPTR, naptr);
    case 'CAA': return ofType(msg, TYPE.CAA, caa);
    case 'TXT': return ofType(msg, TYPE.TXT, (d: string[]) => d);
    case 'SOA': {
      const r = msg.answers.find((a) => a.type === TYPE.SOA);
      if (r === undefined) throw new QueryFailure('EBADRESP');
      return soa(r.data as SoaData);
    }
    case 'ANY': return anyRecords(msg);
  }
}

/** How long an answer may be reused, in seconds: the smallest TTL of its answer records; for a negative
 *  answer (NXDOMAIN or no records), the SOA's (RFC 2308: min of its TTL and MINIMUM), or undefined when
 *  there is no SOA (such a negative answer is not cached). */
export function answerTtl(msg: DnsMessage): number | undefined {
  if (msg.answers.length > 0 && msg.rcode === 0) return Math.min(...msg.answers.map((r) => r.ttl));
  const s = msg.authorities.find((r) => r.type === TYPE.SOA);
  if (s === undefined) return undefined;
  return Math.min(s.ttl, (s.data as SoaData).minimum);
}

/** A copy of the message whose TTLs have aged by `seconds` (for answers served from the cache). */
export function aged(msg: DnsMessage, seconds: number): DnsMessage {
  if (seconds <= 0) return msg;
  const age = (r: DnsRecord): DnsRecord => ({ ...r, ttl: Math.max(0, r.ttl - seconds) });
  return { ...msg, answers: msg.answers.map(age), authorities: msg.authorities.map(age) };
}
