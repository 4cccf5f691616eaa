// DNS wire format. Queries are written by hand (encodeQuery says why). Answers are checked here first, byte by byte: the
// header counts must fit the message, every name must stay inside it (compression pointers only point
// backwards, as dns-packet requires, so no loop is possible), every record's data must fit its RDLENGTH,
// and the record types we read must have exactly the shape their type says. Only then are the records
// read, each at the offset the check found, with dns-packet's decoders for names and structured data (so a
// record dns-packet would misread cannot shift the ones after it) and with our own code for A, AAAA, TXT and
// CAA (to give exactly what Node gives: inet_ntop's text for IPv6, one byte per character for strings).
// Whatever is wrong with a message, parseMessage throws a CodecError, which the resolver reports as
// EBADRESP; nothing it does depends on more than the message's length, so arbitrary bytes cannot make it
// hang or allocate more than a small multiple of the message.
import * as packet from 'dns-packet';

/** The EDNS0 UDP payload size we advertise (the DNS flag day 2020 value, c-ares' default). */
export const EDNS_PAYLOAD = 1232;

export const TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, DNAME: 39, OPT: 41,
  ANY: 255, CAA: 257,
} as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
/** "A", "MX", ... or "TYPE<n>" (RFC 3597) for types without a name here. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? (rcode === 16 ? 'BADVERS' : `RCODE${rcode}`);
}

export type QueryType = 'A' | 'AAAA' | 'ANY' | 'CAA' | 'CNAME' | 'MX' | 'NAPTR' | 'NS' | 'PTR' | 'SOA' | 'SRV' | 'TXT';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const CLASS_IN = 1;

export interface MxData { preference: number; exchange: string }
export interface SrvData { priority: number; weight: number; port: number; target: string }
export interface SoaData { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
export interface NaptrData { order: number; preference: number; flags: string; services: string; regexp: string; replacement: string }
export interface CaaData { flags: number; tag: string; value: string }
/** Decoded record data: a string for A, AAAA, CNAME, NS, PTR, DNAME; string[] for TXT; undefined for types we do not read. */
export type RecordData = string | string[] | MxData | SrvData | SoaData | NaptrData | CaaData | undefined;

export interface DnsQuestion { name: string; type: number; class: number }
export interface DnsRecord { name: string; type: number; class: number; ttl: number; data: RecordData }
export interface DnsMessage {
  id: number;
  /** The 16-bit flags word as sent (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
  flags: number;
  qr: boolean;
  opcode: number;
  tc: boolean;
  /** RCODE, extended by the OPT record's upper bits when there is one. */
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  /** Additional records other than OPT. */
  additionals: DnsRecord[];
  edns?: { udpPayloadSize: number; version: number; flags: number };
}

export class CodecError extends Error {
  readonly code = 'EBADRESP';
  constructor(message: string) {
    super(`bad DNS message: ${message}`);
  }
}

// dns-packet's own name and record decoders (exported by the package, not described by @types/dns-packet).
interface RecordCodec { decode(buf: Buffer, offset: number): unknown }
interface PacketInternals {
  name: { decode(buf: Buffer, offset: number, opts?: { mail?: boolean }): string };
  record(type: string): RecordCodec;
}
const internals = packet as unknown as PacketInternals;

/** A DNS query for one question, with RD set and (optionally) an EDNS0 OPT record. `name` must be checked.
 *  Written out by hand rather than with dns-packet's encoder: profiling the resolver with an in-memory
 *  server put dns-packet's encode at ~10% of a query's CPU time (an object graph and a UTF-8 write per
 *  label); this is a dozen writes into one buffer, byte-for-byte the same (a test compares them). */
export function encodeQuery(id: number, name: string, type: QueryType, edns: boolean): Buffer {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const nameBytes = bare === '' ? 1 : Buffer.byteLength(bare) + 2;   // length bytes and the root's 0
  const buf = Buffer.allocUnsafe(12 + nameBytes + 4 + (edns ? 11 : 0));
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x0100, 2);   // RD
  buf.writeUInt16BE(1, 4);        // QDCOUNT
  buf.writeUInt32BE(0, 6);        // ANCOUNT, NSCOUNT
  buf.writeUInt16BE(edns ? 1 : 0, 10);
  let off = 12;
  if (bare !== '') {
    for (const label of bare.split('.')) {
      const len = buf.write(label, off + 1);
      buf[off] = len;
      off += len + 1;
    }
  }
  buf[off++] = 0;
  buf.writeUInt16BE(TYPE[type], off);
  buf.writeUInt16BE(CLASS_IN, off + 2);
  off += 4;
  if (edns) {
    buf[off] = 0;                              // the root's name
    buf.writeUInt16BE(TYPE.OPT, off + 1);
    buf.writeUInt16BE(EDNS_PAYLOAD, off + 3);  // CLASS: the UDP payload we accept
    buf.writeUInt32BE(0, off + 5);             // TTL: extended RCODE, version 0, no flags
    buf.writeUInt16BE(0, off + 9);             // RDLENGTH
  }
  return buf;
}

/** Reason a name cannot be sent (labels of 1–63 bytes, at most 253 characters, no blanks or controls), or
 *  undefined when it can. The root is "" or ".". */
export function badName(name: string): string | undefined {
  let n = name;
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n === '') return name === '' || name === '.' ? undefined : 'empty label';
  if (n.length > 253) return 'name longer than 253 characters';
  if (/[\x00-\x20\x7f]/.test(n)) return 'blank or control character';
  for (const label of n.split('.')) {
    const bytes = Buffer.byteLength(label);
    if (bytes === 0) return 'empty label';
    if (bytes > 63) return 'label longer than 63 bytes';
  }
  return undefined;
}

/** Case-insensitive comparison of two names as written (ASCII case only, a trailing dot ignored). */
export function sameName(a: string, b: string): boolean {
  const na = a.endsWith('.') ? a.slice(0, -1) : a;
  const nb = b.endsWith('.') ? b.slice(0, -1) : b;
  if (na.length !== nb.length) return false;
  return na === nb || na.toLowerCase() === nb.toLowerCase();
}

/** Names as dns-packet decodes them: no trailing dot, "." for the root. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? '.' : n;
}

// ---- checking ---------------------------------------------------------------------------------------------

function fail(what: string): never {
  throw new CodecError(what);
}

/** Checks the name at `off` and returns the offset just after it (after the pointer if it is compressed). */
function skipName(buf: Buffer, off: number): number {
  const len = buf.length;
  let pos = off;
  let segment = off;   // where the labels being read began: a pointer must point before it
  let total = 0;
  let after = -1;
  for (;;) {
    if (pos >= len) fail('name runs past the end');
    const l = buf[pos];
    if (l === 0) {
      if (after < 0) after = pos + 1;
      return after;
    }
    const kind = l & 0xc0;
    if (kind === 0) {
      if (pos + 1 + l > len) fail('label runs past the end');
      total += l + 1;
      if (total > 254) fail('name longer than 255 bytes');
      pos += l + 1;
    } else if (kind === 0xc0) {
      if (pos + 2 > len) fail('compression pointer runs past the end');
      const target = ((l & 0x3f) << 8) | buf[pos + 1];
      if (target >= segment) fail('compression pointer does not point backwards');
      if (after < 0) after = pos + 2;
      pos = target;
      segment = target;
    } else {
      fail('unknown label type');
    }
  }
}

interface RecordAt { nameOff: number; type: number; cls: number; ttl: number; rdOff: number; rdEnd: number }

function checkRdata(buf: Buffer, type: number, rd: number, end: number): void {
  const n = end - rd;
  const nameFills = (at: number): void => {
    if (at >= end || skipName(buf, at) !== end) fail(`bad data in a type ${type} record`);
  };
  const strings = (at: number, count: number): number => {
    for (let i = 0; i < count; i++) {
      if (at >= end) fail(`bad character-string in a type ${type} record`);
      at += 1 + buf[at];
    }
    if (at > end) fail(`bad character-string in a type ${type} record`);
    return at;
  };
  switch (type) {
    case TYPE.A: if (n !== 4) fail('A record of wrong length'); break;
    case TYPE.AAAA: if (n !== 16) fail('AAAA record of wrong length'); break;
    case TYPE.NS: case TYPE.CNAME: case TYPE.PTR: case TYPE.DNAME: nameFills(rd); break;
    case TYPE.MX: if (n < 3) fail('short MX record'); nameFills(rd + 2); break;
    case TYPE.SRV: if (n < 7) fail('short SRV record'); nameFills(rd + 6); break;
    case TYPE.SOA: {
      if (n < 22) fail('short SOA record');
      const second = skipName(buf, rd);
      if (second >= end || skipName(buf, second) + 20 !== end) fail('bad SOA record');
      break;
    }
    case TYPE.TXT: {
      let at = rd;
      while (at < end) at += 1 + buf[at];
      if (at !== end) fail('bad TXT record');
      break;
    }
    case TYPE.CAA: if (n < 2 || 2 + buf[rd + 1] > n) fail('bad CAA record'); break;
    case TYPE.NAPTR: if (n < 7) fail('short NAPTR record'); nameFills(strings(rd + 4, 3)); break;
    case TYPE.OPT: {
      let at = rd;
      while (at < end) {
        if (at + 4 > end) fail('bad OPT option');
        at += 4 + buf.readUInt16BE(at + 2);
      }
      if (at !== end) fail('bad OPT option');
      break;
    }
    default: break;   // not read, so not checked
  }
}

function walkRecords(buf: Buffer, off: number, count: number, out: RecordAt[]): number {
  for (let i = 0; i < count; i++) {
    const nameOff = off;
    off = skipName(buf, off);
    if (off + 10 > buf.length) fail('record header runs past the end');
    const type = buf.readUInt16BE(off);
    const cls = buf.readUInt16BE(off + 2);
    let ttl = buf.readUInt32BE(off + 4);
    if (ttl > 0x7fffffff) ttl = 0;   // RFC 2181 §8
    const rdOff = off + 10;
    const rdEnd = rdOff + buf.readUInt16BE(off + 8);
    if (rdEnd > buf.length) fail('record data runs past the end');
    checkRdata(buf, type, rdOff, rdEnd);
    out.push({ nameOff, type, cls, ttl, rdOff, rdEnd });
    off = rdEnd;
  }
  return off;
}

// ---- reading ----------------------------------------------------------------------------------------------

/** IPv6 address text exactly as inet_ntop (and so Node) writes it: the longest run of two or more zero
 *  groups (the first of equal runs) becomes "::", and IPv4-mapped/-compatible addresses end in dotted quad. */
export function formatIPv6(b: Uint8Array, o = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  let best = -1, bestLen = 0, cur = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (cur < 0) { cur = i; curLen = 1; } else curLen++;
    } else if (cur >= 0) {
      if (best < 0 || curLen > bestLen) { best = cur; bestLen = curLen; }
      cur = -1;
    }
  }
  if (cur >= 0 && (best < 0 || curLen > bestLen)) { best = cur; bestLen = curLen; }
  if (best >= 0 && bestLen < 2) best = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 7 && w[7] !== 1) || (bestLen === 5 && w[5] === 0xffff))) {
      return `${s}${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
    }
    s += w[i].toString(16);
  }
  if (best >= 0 && best + bestLen === 8) s += ':';
  return s;
}

function readData(buf: Buffer, r: RecordAt): RecordData {
  const { rdOff: rd, rdEnd: end } = r;
  switch (r.type) {
    case TYPE.A: return `${buf[rd]}.${buf[rd + 1]}.${buf[rd + 2]}.${buf[rd + 3]}`;
    case TYPE.AAAA: return formatIPv6(buf, rd);
    case TYPE.NS: case TYPE.CNAME: case TYPE.PTR: case TYPE.DNAME: return internals.name.decode(buf, rd);
    case TYPE.TXT: {
      const out: string[] = [];
      for (let at = rd; at < end; at += 1 + buf[at]) out.push(buf.toString('latin1', at + 1, at + 1 + buf[at]));
      return out;
    }
    case TYPE.CAA: {
      const tagEnd = rd + 2 + buf[rd + 1];
      return { flags: buf[rd], tag: buf.toString('latin1', rd + 2, tagEnd), value: buf.toString('latin1', tagEnd, end) };
    }
    // dns-packet's decoders take the offset of the RDLENGTH field.
    case TYPE.MX: return internals.record('MX').decode(buf, rd - 2) as MxData;
    case TYPE.SRV: return internals.record('SRV').decode(buf, rd - 2) as SrvData;
    case TYPE.SOA: return internals.record('SOA').decode(buf, rd - 2) as SoaData;
    case TYPE.NAPTR: return internals.record('NAPTR').decode(buf, rd - 2) as NaptrData;
    default: return undefined;
  }
}

function readRecords(buf: Buffer, list: RecordAt[]): DnsRecord[] {
  return list.map((r) => ({ name: internals.name.decode(buf, r.nameOff), type: r.type, class: r.cls, ttl: r.ttl, data: readData(buf, r) }));
}

/** Parses a DNS message; throws CodecError (code EBADRESP) when it is malformed in any way. */
export function parseMessage(buf: Buffer): DnsMessage {
  try {
    return parseChecked(buf);
  } catch (err) {
    if (err instanceof CodecError) throw err;
    // The checks above should leave dns-packet nothing to trip over; if it does anyway, it is still EBADRESP.
    throw new CodecError(err instanceof Error ? err.message : String(err));
  }
}

function parseChecked(buf: Buffer): DnsMessage {
  const len = buf.length;
  if (len < 12) fail('shorter than a header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4), an = buf.readUInt16BE(6), ns = buf.readUInt16BE(8), ar = buf.readUInt16BE(10);
  // Every question takes at least 5 bytes and every record 11: counts the message cannot hold are lies.
  if (12 + qd * 5 + (an + ns + ar) * 11 > len) fail('counts larger than the message');

  let off = 12;
  const qAt: Array<{ nameOff: number; type: number; cls: number }> = [];
  for (let i = 0; i < qd; i++) {
    const nameOff = off;
    off = skipName(buf, off);
    if (off + 4 > len) fail('question runs past the end');
    qAt.push({ nameOff, type: buf.readUInt16BE(off), cls: buf.readUInt16BE(off + 2) });
    off += 4;
  }
  const anAt: RecordAt[] = [], nsAt: RecordAt[] = [], arAt: RecordAt[] = [];
  off = walkRecords(buf, off, an, anAt);
  off = walkRecords(buf, off, ns, nsAt);
  walkRecords(buf, off, ar, arAt);

  let rcode = flags & 0xf;
  let edns: DnsMessage['edns'];
  const additional: RecordAt[] = [];
  for (const r of arAt) {
    if (r.type !== TYPE.OPT) { additional.push(r); continue; }
    if (edns !== undefined) fail('more than one OPT record');
    if (buf[r.nameOff] !== 0) fail('OPT record not owned by the root');
    // For OPT the class is the payload size and the TTL holds extended RCODE, version and flags.
    const rawTtl = buf.readUInt32BE(r.rdOff - 6);
    edns = { udpPayloadSize: r.cls, version: (rawTtl >>> 16) & 0xff, flags: rawTtl & 0xffff };
    rcode |= (rawTtl >>> 24) << 4;
  }
  if (anAt.some((r) => r.type === TYPE.OPT) || nsAt.some((r) => r.type === TYPE.OPT)) fail('OPT record outside the additional section');

  return {
    id,
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    tc: (flags & 0x0200) !== 0,
    rcode,
    questions: qAt.map((q) => ({ name: internals.name.decode(buf, q.nameOff), type: q.type, class: q.cls })),
    answers: readRecords(buf, anAt),
    authorities: readRecords(buf, nsAt),
    additionals: readRecords(buf, additional),
    edns,
  };
}
