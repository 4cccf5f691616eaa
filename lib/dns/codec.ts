// DNS wire format. Queries are written by hand (encodeQuery says why). Answers are checked byte by byte as
// they are read: the header counts must fit the message, every name must stay inside it (compression
// pointers only point backwards, as dns-packet requires, so no loop is possible), every record's data must
// fit its RDLENGTH, and the record types we read must have exactly the shape their type says, before that
// record is read at the offset the check found. Names, A, AAAA, TXT and CAA are read by our own code (to
// give exactly what Node gives: inet_ntop's text for IPv6, one byte per character for strings, and names as
// dns-packet decodes them); MX, SRV, SOA and NAPTR by dns-packet's decoders, which the check leaves nothing
// to misread. Whatever is wrong with a message, parseMessage throws a CodecError, which the resolver
// reports as EBADRESP; nothing it does depends on more than the message's length, so arbitrary bytes
// cannot make it hang or allocate more than a small multiple of the message.
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
  const ascii = isAscii(bare);
  const nameBytes = bare === '' ? 1 : (ascii ? bare.length : Buffer.byteLength(bare)) + 2;   // length bytes and the root's 0
  const buf = Buffer.allocUnsafe(12 + nameBytes + 4 + (edns ? 11 : 0));
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x0100, 2);   // RD
  buf.writeUInt16BE(1, 4);        // QDCOUNT
  buf.writeUInt32BE(0, 6);        // ANCOUNT, NSCOUNT
  buf.writeUInt16BE(edns ? 1 : 0, 10);
  let off = 12;
  if (bare !== '' && ascii) {
    // Each dot becomes the length of the label after it: one pass, no label strings.
    let lenAt = off++;
    for (let i = 0; i < bare.length; i++) {
      const c = bare.charCodeAt(i);
      if (c === 0x2e) {
        buf[lenAt] = off - lenAt - 1;
        lenAt = off++;
      } else {
        buf[off++] = c;
      }
    }
    buf[lenAt] = off - lenAt - 1;
  } else if (bare !== '') {
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

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Reason a name cannot be sent (labels of 1–63 bytes, at most 253 characters, no blanks or controls), or
 *  undefined when it can. The root is "" or ".". One pass over the characters for an ASCII name (every
 *  query checks its name, so this is on the hot path); labels are measured in UTF-8 bytes otherwise. */
export function badName(name: string): string | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return name === '' || name === '.' ? undefined : 'empty label';
  if (n.length > 253) return 'name longer than 253 characters';
  let label = 0;
  let ascii = true;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return 'blank or control character';
    if (c === 0x2e) {
      if (label === 0) return 'empty label';
      label = 0;
    } else {
      if (c > 0x7f) ascii = false;
      if (++label > 63 && ascii) return 'label longer than 63 bytes';
    }
  }
  if (label === 0) return 'empty label';
  if (ascii) return undefined;
  for (const l of n.split('.')) if (Buffer.byteLength(l) > 63) return 'label longer than 63 bytes';
  return undefined;
}

/** Case-insensitive comparison of two names as written (ASCII case only, a trailing dot ignored). */
export function sameName(a: string, b: string): boolean {
  const na = a.endsWith('.') ? a.slice(0, -1) : a;
  const nb = b.endsWith('.') ? b.slice(0, -1) : b;
  if (na.length !== nb.length) return false;
  return na === nb || na.toLowerCase() === nb.toLowerCase();
}

// ---- checking ---------------------------------------------------------------------------------------------

function fail(what: string): never {
  throw new CodecError(what);
}

/** Checks the name at `off` and returns the offset just after it (after the pointer if it is compressed). */
function skipName(buf: Buffer, len: number, off: number): number {
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

function checkRdata(buf: Buffer, len: number, type: number, rd: number, end: number): void {
  const n = end - rd;
  const nameFills = (at: number): void => {
    if (at >= end || skipName(buf, len, at) !== end) fail(`bad data in a type ${type} record`);
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
      const second = skipName(buf, len, rd);
      if (second >= end || skipName(buf, len, second) + 20 !== end) fail('bad SOA record');
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

// What readSection() leaves besides its records: where the section ended, and the OPT record it met
// (module state rather than a result object or a callback: this runs once per answer).
let sectionEnd = 0;
let optCount = 0, optNameOff = 0, optClass = 0, optRdOff = 0;

/** The records of one section, each checked and then read at once, in an array of exactly their number.
 *  An OPT record is only noted (optCount and the rest), and only the additional section may have one. */
function readSection(buf: Buffer, len: number, off: number, count: number, additional: boolean): DnsRecord[] {
  const out: DnsRecord[] = count === 0 ? [] : new Array<DnsRecord>(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const nameOff = off;
    off = skipName(buf, len, off);
    if (off + 10 > len) fail('record header runs past the end');
    const type = (buf[off] << 8) | buf[off + 1];
    const cls = (buf[off + 2] << 8) | buf[off + 3];
    let ttl = buf.readUInt32BE(off + 4);
    if (ttl > 0x7fffffff) ttl = 0;   // RFC 2181 §8
    const rdOff = off + 10;
    const rdEnd = rdOff + ((buf[off + 8] << 8) | buf[off + 9]);
    if (rdEnd > len) fail('record data runs past the end');
    checkRdata(buf, len, type, rdOff, rdEnd);
    if (type === TYPE.OPT) {
      if (!additional) fail('OPT record outside the additional section');
      optCount++;
      optNameOff = nameOff;
      optClass = cls;
      optRdOff = rdOff;
    } else {
      out[n++] = { name: decodeName(buf, nameOff), type, class: cls, ttl, data: readData(buf, type, rdOff, rdEnd) };
    }
    off = rdEnd;
  }
  if (n !== count) out.length = n;
  sectionEnd = off;
  return out;
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

function readData(buf: Buffer, type: number, rd: number, end: number): RecordData {
  switch (type) {
    case TYPE.A: return `${buf[rd]}.${buf[rd + 1]}.${buf[rd + 2]}.${buf[rd + 3]}`;
    case TYPE.AAAA: return formatIPv6(buf, rd);
    case TYPE.NS: case TYPE.CNAME: case TYPE.PTR: case TYPE.DNAME: return decodeName(buf, rd);
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

/** A name that skipName() has checked, as dns-packet decodes it (labels as UTF-8, joined by dots; "." for
 *  the root). An ASCII name, the usual case, is copied into a scratch buffer with dots for the length bytes
 *  and read as one string: one allocation instead of a string per label and a join. */
function decodeName(buf: Buffer, off: number): string {
  let n = 0;
  let pos = off;
  for (;;) {
    const l = buf[pos];
    if (l === 0) break;
    if ((l & 0xc0) === 0xc0) {
      pos = ((l & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if (n !== 0) nameScratch[n++] = 0x2e;
    for (let i = pos + 1; i <= pos + l; i++) {
      const c = buf[i];
      if (c > 0x7f) return internals.name.decode(buf, off);   // UTF-8 label by label, as dns-packet does
      nameScratch[n++] = c;
    }
    pos += l + 1;
  }
  return n === 0 ? '.' : nameScratch.latin1Slice(0, n);
}
/** Names are at most 254 bytes with their dots (skipName checked). */
const nameScratch = Buffer.allocUnsafe(256) as Buffer & { latin1Slice(start: number, end: number): string };

/** Parses a DNS message (the first `len` bytes of `buf`, by default all of it); throws CodecError (code
 *  EBADRESP) when it is malformed in any way. The result holds no reference to `buf`: the caller may reuse it. */
export function parseMessage(buf: Buffer, len = buf.length): DnsMessage {
  try {
    return parseChecked(buf, Math.min(len, buf.length));
  } catch (err) {
    if (err instanceof CodecError) throw err;
    // The checks above should leave dns-packet nothing to trip over; if it does anyway, it is still EBADRESP.
    throw new CodecError(err instanceof Error ? err.message : String(err));
  }
}

function parseChecked(buf: Buffer, len: number): DnsMessage {
  if (len < 12) fail('shorter than a header');
  const id = (buf[0] << 8) | buf[1];
  const flags = (buf[2] << 8) | buf[3];
  const qd = (buf[4] << 8) | buf[5], an = (buf[6] << 8) | buf[7], ns = (buf[8] << 8) | buf[9], ar = (buf[10] << 8) | buf[11];
  // Every question takes at least 5 bytes and every record 11: counts the message cannot hold are lies.
  if (12 + qd * 5 + (an + ns + ar) * 11 > len) fail('counts larger than the message');

  let off = 12;
  // Arrays of exactly their size: a push onto [] reserves room for 17 elements.
  const questions: DnsQuestion[] = qd === 0 ? [] : new Array<DnsQuestion>(qd);
  for (let i = 0; i < qd; i++) {
    const nameOff = off;
    off = skipName(buf, len, off);
    if (off + 4 > len) fail('question runs past the end');
    questions[i] = { name: decodeName(buf, nameOff), type: (buf[off] << 8) | buf[off + 1], class: (buf[off + 2] << 8) | buf[off + 3] };
    off += 4;
  }
  const answers = readSection(buf, len, off, an, false);
  const authorities = readSection(buf, len, sectionEnd, ns, false);
  optCount = 0;
  const additionals = readSection(buf, len, sectionEnd, ar, true);
  let rcode = flags & 0xf;
  let edns: DnsMessage['edns'];
  if (optCount > 0) {
    if (optCount > 1) fail('more than one OPT record');
    if (buf[optNameOff] !== 0) fail('OPT record not owned by the root');
    // For OPT the class is the payload size and the TTL holds extended RCODE, version and flags.
    const rawTtl = buf.readUInt32BE(optRdOff - 6);
    edns = { udpPayloadSize: optClass, version: (rawTtl >>> 16) & 0xff, flags: rawTtl & 0xffff };
    rcode |= (rawTtl >>> 24) << 4;
  }
  return {
    id, flags, qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, tc: (flags & 0x0200) !== 0, rcode,
    questions, answers, authorities, additionals, edns,
  };
}
