// A small dig on iocp-net's resolver: prints the answer to one question the way dig does.
//
//   node dist/examples/dig.js example.test MX @127.0.0.1:5353
//   node dist/examples/dig.js -x 192.0.2.1 @127.0.0.1:5353
//   node dist/examples/dig.js example.test +short
//
// Arguments in any order: a name, a type (A, AAAA, ANY, CAA, CNAME, MX, NAPTR, NS, PTR, SOA, SRV, TXT; default
// A), @server or @server:port or @[v6]:port (default: the system's servers), -x address (reverse lookup),
// +short (only the data), +notcp (use a truncated answer as it is), +noedns, +timeout=ms, +tries=n.
import { Resolver, dnsStats, rcodeName, typeName, type DnsRecord, type ResolverOptions } from '../lib';

const TYPES = ['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];

const fqdn = (n: string): string => (n === '.' || n.endsWith('.') ? n : `${n}.`);

/** A character-string in presentation format: quoted, with quotes, backslashes and non-printables escaped. */
function quoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c > 0x7e) out += `\\${String(c).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function rdata(r: DnsRecord): string {
  const d = r.data as never;
  switch (typeName(r.type)) {
    case 'A': case 'AAAA': return d;
    case 'NS': case 'CNAME': case 'PTR': case 'DNAME': return fqdn(d);
    case 'MX': { const m = d as { preference: number; exchange: string }; return `${m.preference} ${fqdn(m.exchange)}`; }
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return `${s.priority} ${s.weight} ${s.port} ${fqdn(s.target)}`;
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'TXT': return (d as string[]).map(quoted).join(' ');
    case 'CAA': { const c = d as { flags: number; tag: string; value: string }; return `${c.flags} ${c.tag} ${quoted(c.value)}`; }
    case 'NAPTR': {
      const n = d as { order: number; preference: number; flags: string; services: string; regexp: string; replacement: string };
      return `${n.order} ${n.preference} ${quoted(n.flags)} ${quoted(n.services)} ${quoted(n.regexp)} ${fqdn(n.replacement)}`;
    }
    default: return '\\# (data not decoded)';
  }
}

function line(r: DnsRecord): string {
  const name = fqdn(r.name);
  return `${name}${name.length < 24 ? '\t'.repeat(Math.ceil((24 - name.length) / 8)) : '\t'}${r.ttl}\t${r.class === 1 ? 'IN' : `CLASS${r.class}`}\t${typeName(r.type)}\t${rdata(r)}`;
}

function reverseName(ip: string): string {
  if (ip.includes('.') && !ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  // Expand the IPv6 address to 32 nibbles.
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(ip.includes('::') ? 8 - h.length - t.length : 0).fill('0'), ...t];
  return `${groups.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
}

/** Runs one dig; `out` receives each line. Resolves with the exit code (0 answered, 9 no answer, 1 usage). */
export async function dig(argv: string[], out: (line: string) => void): Promise<number> {
  let name: string | undefined;
  let type: string | undefined;
  let server: string | undefined;
  let short = false;
  const opts: ResolverOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('@')) server = a.slice(1);
    else if (a === '-x' && i + 1 < argv.length) { name = reverseName(argv[++i]); type = 'PTR'; }
    else if (a === '+short') short = true;
    else if (a === '+notcp') opts.tcp = false;
    else if (a === '+noedns') opts.edns = false;
    else if (a.startsWith('+timeout=')) opts.timeout = Number(a.slice(9));
    else if (a.startsWith('+tries=')) opts.tries = Number(a.slice(7));
    else if (TYPES.includes(a.toUpperCase()) && name !== undefined) type = a.toUpperCase();
    else if (name === undefined) name = a;
    else if (TYPES.includes(a.toUpperCase())) type = a.toUpperCase();
    else { out(`dig: unknown argument ${a}`); return 1; }
  }
  if (name === undefined) {
    out('usage: dig [@server[:port]] name [type] [-x address] [+short] [+notcp] [+noedns] [+timeout=ms] [+tries=n]');
    return 1;
  }
  type ??= 'A';
  if (server !== undefined) opts.servers = [server];
  opts.cache = false;
  const resolver = new Resolver(opts);
  const tcpBefore = dnsStats().tcpQueries;
  const started = process.hrtime.bigint();
  let msg;
  try {
    msg = await resolver.query(name, type);
  } catch (err) {
    out(`;; ${(err as Error).message}`);
    out(';; no servers could be reached');
    return 9;
  }
  const ms = Number((process.hrtime.bigint() - started) / 1000000n);
  if (short) {
    for (const r of msg.answers) out(rdata(r));
    return 0;
  }
  const flags = [['qr', 0x8000], ['aa', 0x0400], ['tc', 0x0200], ['rd', 0x0100], ['ra', 0x0080], ['ad', 0x0020], ['cd', 0x0010]]
    .filter(([, bit]) => (msg.flags & (bit as number)) !== 0).map(([f]) => f).join(' ');
  out('');
  out(`; <<>> iocp-net dig <<>> ${argv.join(' ')}`);
  out(';; Got answer:');
  out(`;; ->>HEADER<<- opcode: QUERY, status: ${rcodeName(msg.rcode)}, id: ${msg.id}`);
  out(`;; flags: ${flags}; QUERY: ${msg.questions.length}, ANSWER: ${msg.answers.length}, ` +
    `AUTHORITY: ${msg.authorities.length}, ADDITIONAL: ${msg.additionals.length + (msg.edns ? 1 : 0)}`);
  if (msg.edns) {
    out('');
    out(';; OPT PSEUDOSECTION:');
    out(`; EDNS: version: ${msg.edns.version}, flags:${msg.edns.flags & 0x8000 ? ' do' : ''}; udp: ${msg.edns.udpPayloadSize}`);
  }
  out('');
  out(';; QUESTION SECTION:');
  for (const q of msg.questions) out(`;${fqdn(q.name)}\t\t\t${q.class === 1 ? 'IN' : `CLASS${q.class}`}\t${typeName(q.type)}`);
  for (const [title, list] of [['ANSWER', msg.answers], ['AUTHORITY', msg.authorities], ['ADDITIONAL', msg.additionals]] as const) {
    if (list.length === 0) continue;
    out('');
    out(`;; ${title} SECTION:`);
    for (const r of list) out(line(r));
  }
  const via = dnsStats().tcpQueries > tcpBefore ? 'TCP, after a truncated UDP answer' : 'UDP';
  out('');
  out(`;; Query time: ${ms} msec`);
  out(`;; SERVER: ${resolver.getServers()[0] ?? '(none)'} (${via})`);
  out(`;; WHEN: ${new Date().toUTCString()}`);
  out('');
  return 0;
}

if (require.main === module) {
  dig(process.argv.slice(2), (l) => console.log(l)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
