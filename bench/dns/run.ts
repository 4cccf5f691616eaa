// DNS benchmark (npm run bench:dns): answers/s with --inflight (100) queries outstanding against one local
// dnsmasq, iocp-net vs Node in the same run, alternating over --rounds, medians, ratio, and each side's share
// of dnsperf against the same server (the machine's limit). A table on stdout, JSON in
// bench/results/dns-latest.json (and dns-<host>-<time>.json). Exits non-zero when a measurement failed.
//
// Rows:
//   resolve4, uncached       iocp-net Resolver({ cache: false }) vs dns.promises.Resolver (c-ares, no cache),
//                            both cycling through --names distinct names; dnsperf asks the same names.
//   resolve4, cached         iocp-net Resolver with its cache, cycling through --cached-names names (answered
//                            from the cache after the first round of them); Node has no cache: its number is
//                            the uncached one, repeated for reference.
//   lookup via DNS           iocp-net createLookup({ resolver: Resolver({ cache: false }) }) vs dns.lookup
//                            ({ all: true }: A and AAAA). dns.lookup takes no server: it is getaddrinfo on the
//                            libuv thread pool, which reads /etc/resolv.conf (port 53 only). It runs only when
//                            this process may give the node.exe child a private mount namespace where
//                            /etc/resolv.conf is a bind mount naming the benchmark server (root + unshare), and
//                            the server can listen on port 53 of a loopback address. Nothing outside that child
//                            process sees the change. Otherwise the row is left out and the output says why.
//   lookup localhost         both lookups on "localhost" (hosts file, no DNS): what each costs per call.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineInfo } from '../runner/env';
import { ROOT } from '../runner/launch';
import { Child, installCleanup, withChildren } from '../runner/proc';

interface Opts {
  rounds: number; duration: number; warmup: number; inflight: number; names: number; cachedNames: number;
  results: string; namespace: boolean;
}

const usage = `usage: node dist/bench/dns/run.js [options]
  --rounds N          rounds, iocp-net and node alternating (default 3)
  --duration S        measured seconds per measurement (default 3)
  --warmup S          warm-up seconds before that (default 0.5)
  --inflight N        queries kept outstanding by every client and by dnsperf (default 100)
  --names N           distinct names in the zone, n0.bench.test ... (default 10000)
  --cached-names N    names the cached row cycles through (default 100)
  --no-namespace      do not try to point dns.lookup at the server (leaves out the "lookup via DNS" row)
  --results DIR       where the JSON goes (default bench/results)`;

function parseOptions(argv: string[]): Opts {
  const o: Opts = { rounds: 3, duration: 3, warmup: 0.5, inflight: 100, names: 10000, cachedNames: 100,
    results: 'bench/results', namespace: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${usage}`);
      return v;
    };
    const numv = (min: number): number => {
      const n = Number(val());
      if (!Number.isFinite(n) || n < min) throw new Error(`${a} must be a number >= ${min}\n${usage}`);
      return n;
    };
    switch (a) {
      case '--rounds': o.rounds = Math.round(numv(1)); break;
      case '--duration': o.duration = numv(0.1); break;
      case '--warmup': o.warmup = numv(0); break;
      case '--inflight': o.inflight = Math.round(numv(1)); break;
      case '--names': o.names = Math.round(numv(1)); break;
      case '--cached-names': o.cachedNames = Math.round(numv(1)); break;
      case '--results': o.results = val(); break;
      case '--no-namespace': o.namespace = false; break;
      case '-h': case '--help': console.log(usage); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n${usage}`);
    }
  }
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function which(cmd: string, fallback: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (r.status === 0 && p !== '') return p;
  return fs.existsSync(fallback) ? fallback : undefined;
}

/** dnsmasq (Debian dnsmasq-base) and dnsperf (Debian dnsperf), installed with apt-get as scripts/setup.sh does. */
function tools(): { dnsmasq: string; dnsperf: string } {
  let dnsmasq = which('dnsmasq', '/usr/sbin/dnsmasq'), dnsperf = which('dnsperf', '/usr/bin/dnsperf');
  const missing = [...(dnsmasq ? [] : ['dnsmasq-base']), ...(dnsperf ? [] : ['dnsperf'])];
  if (missing.length > 0) {
    console.log(`bench:dns: installing Debian packages: ${missing.join(' ')}`);
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    const run = (args: string[], quiet: boolean): void => {
      const argv = [...sudo, 'apt-get', ...args];
      execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    };
    try {
      run(['update', '-qq'], false);
      run(['install', '-y', '-qq', '--no-install-recommends', ...missing], true);
    } catch (err) {
      throw new Error(`could not install ${missing.join(' ')} (Debian packages; apt-get as root or with sudo): ` +
        `${err instanceof Error ? err.message : String(err)}`);
    }
    dnsmasq = which('dnsmasq', '/usr/sbin/dnsmasq');
    dnsperf = which('dnsperf', '/usr/bin/dnsperf');
  }
  if (!dnsmasq) throw new Error('dnsmasq is not installed and could not be installed (Debian package dnsmasq-base)');
  if (!dnsperf) throw new Error('dnsperf is not installed and could not be installed (Debian package dnsperf)');
  return { dnsmasq, dnsperf };
}

interface Server { child: Child; address: string; port: number; version: string }

function tcpOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** dnsmasq on `address`, at port 53 (so that resolv.conf can name it) or else at a free random port. */
async function startServer(bin: string, conf: string, started: Child[], address: string, port53: boolean): Promise<Server> {
  const version = /version (\S+)/.exec(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  let last: Error | undefined;
  for (let i = 0; i < 10; i++) {
    const port = port53 ? 53 : 20000 + Math.floor(Math.random() * 40000);
    const child = new Child('dnsmasq', [bin, `--conf-file=${conf}`, `--port=${port}`, `--listen-address=${address}`,
      '--keep-in-foreground', '--pid-file=', '--log-facility=-'], ROOT);
    started.push(child);
    for (let t = 0; t < 100 && child.exitStatus === undefined; t++) {
      // Ready when it accepts TCP on the port (it binds UDP and TCP together).
      if (await tcpOpen(address, port)) return { child, address, port, version };
      await sleep(50);
    }
    last = child.failure(child.exitStatus === undefined ? 'did not answer on TCP within 5 s' : `exited (${child.exitStatus})`);
    await child.stop();
    if (port53) break;
  }
  throw last ?? new Error('dnsmasq did not start');
}

/** [argv prefix] that runs a command with /etc/resolv.conf replaced by `resolvConf` in a private mount
 *  namespace, or why that is not possible here. */
function namespacePrefix(resolvConf: string): string[] {
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf];
}

async function checkNamespace(resolvConf: string, expect: string): Promise<string | undefined> {
  const r = spawnSync(namespacePrefix(resolvConf)[0], [...namespacePrefix(resolvConf).slice(1), process.execPath, '-e',
    "require('dns').lookup('n0.bench.test',{family:4},(e,a)=>{console.log(e?e.code:a)})"], { encoding: 'utf8', timeout: 10000 });
  const got = r.stdout.trim();
  if (r.status === 0 && got === expect) return undefined;
  return `dns.lookup in a private mount namespace did not reach the benchmark server (${r.error?.message ?? ''}` +
    `${got || r.stderr.trim().split('\n')[0] || `exit ${r.status}`})`;
}

interface Sample { value: number; errors: number; firstError?: string }
type SideId = 'iocp' | 'node';
interface Scenario { id: string; title: string; sides: Partial<Record<SideId, { argv: string[] }>>; note?: string }

async function measureClient(name: string, argv: string[], o: Opts): Promise<Sample> {
  return withChildren(async (started) => {
    const c = new Child(name, argv, ROOT);
    started.push(c);
    const r = await c.result(20_000 + (o.warmup + o.duration) * 1000);
    return { value: r.value as number, errors: r.errors as number, firstError: r.firstError as string | undefined };
  });
}

async function dnsperfOnce(bin: string, srv: Server, queryFile: string, o: Opts): Promise<number> {
  return withChildren(async (started) => {
    const c = new Child('dnsperf', [bin, '-s', srv.address, '-p', String(srv.port), '-d', queryFile,
      '-l', String(Math.max(1, Math.round(o.duration))), '-q', String(o.inflight), '-t', '2'], ROOT);
    started.push(c);
    return c.waitFor((line) => {
      const m = /Queries per second:\s+([\d.]+)/.exec(line);
      return m === null ? undefined : Number(m[1]);
    }, '"Queries per second"', 20_000 + o.duration * 1000);
  });
}

const fmt = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const pct = (v: number, ref: number): string => (Number.isFinite(v) && ref > 0 ? `${((100 * v) / ref).toFixed(0)}%` : '-');
const spread = (xs: number[]): number => (xs.length < 2 ? 0 : Math.max(...xs) / Math.min(...xs) - 1);

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  installCleanup();
  const bin = tools();
  const smoke = o.rounds === 1 && o.duration <= 1;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iocp-net-bench-dns-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

  // The zone: --names A records, n<i>.bench.test -> 10.x.y.z, everything else under bench.test NXDOMAIN.
  // cache-size=0: dnsmasq answers its own records from its configuration either way; nothing is forwarded.
  const conf = path.join(tmp, 'dnsmasq.conf');
  const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const lines = ['no-resolv', 'no-hosts', 'no-poll', 'bind-interfaces', 'local=/bench.test/', 'local-ttl=300',
    'cache-size=0', 'dns-forward-max=1000', 'no-negcache'];
  for (let i = 0; i < o.names; i++) lines.push(`host-record=n${i}.bench.test,${ip(i)}`);
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const queryFile = path.join(tmp, 'queries.txt');
  fs.writeFileSync(queryFile, Array.from({ length: o.names }, (_, i) => `n${i}.bench.test A\n`).join(''));

  return withChildren(async (servers) => {
    // Port 53 of a loopback address of our own when we are root (so that dns.lookup can be pointed at it),
    // else a random port on 127.0.0.1. Every row asks this one server.
    let srv: Server | undefined, lookupNote: string | undefined;
    const root = process.getuid?.() === 0;
    if (o.namespace && root && which('unshare', '/usr/bin/unshare')) {
      const addr = `127.0.${Math.floor(Math.random() * 200) + 10}.${Math.floor(Math.random() * 250) + 2}`;
      try {
        srv = await startServer(bin.dnsmasq, conf, servers, addr, true);
      } catch (err) {
        lookupNote = `dnsmasq could not listen on ${addr}:53 (${err instanceof Error ? err.message.split('\n')[0] : err})`;
      }
    } else {
      lookupNote = !o.namespace ? '--no-namespace' : !root ? 'not root: cannot give dns.lookup a private /etc/resolv.conf'
        : 'unshare is missing';
    }
    srv ??= await startServer(bin.dnsmasq, conf, servers, '127.0.0.1', false);
    const resolvConf = path.join(tmp, 'resolv.conf');
    let lookupViaDns = false;
    if (srv.port === 53) {
      fs.writeFileSync(resolvConf, `# iocp-net bench:dns, bind-mounted for the dns.lookup client only\nnameserver ${srv.address}\noptions timeout:2 attempts:2\n`);
      lookupNote = await checkNamespace(resolvConf, ip(0));
      lookupViaDns = lookupNote === undefined;
    }
    const serverArg = `${srv.address}:${srv.port}`;
    console.log(`bench:dns: dnsmasq ${srv.version} at ${serverArg}, ${o.names.toLocaleString('en-US')} A records ` +
      `n0.bench.test ... n${o.names - 1}.bench.test`);
    console.log(`bench:dns: node ${process.version}, ${os.availableParallelism()} cores, ${o.inflight} queries in flight, ` +
      `${o.rounds} round(s) of ${o.warmup} s warm-up + ${o.duration} s${smoke ? ' (SMOKE RUN: proves it runs, numbers mean little)' : ''}`);
    if (!lookupViaDns) console.log(`bench:dns: dns.lookup cannot be pointed at the server: ${lookupNote}; the "lookup via DNS" row is left out`);
    const loadBefore = os.loadavg();
    if (loadBefore[0] > 0.5) console.log(`bench:dns: WARNING: load average ${loadBefore[0].toFixed(2)} before the run: other processes add noise`);
    console.log('');

    const client = (impl: string, extra: string[], prefix: string[] = []): { argv: string[] } => ({
      argv: [...prefix, process.execPath, 'dist/bench/dns/client.js', '--impl', impl, '--inflight', String(o.inflight),
        '--duration', String(o.duration), '--warmup', String(o.warmup), '--stall', '3', ...extra],
    });
    const uncached = ['--server', serverArg, '--names', String(o.names), '--cache', '0'];
    const scenarios: Scenario[] = [
      { id: 'resolve4-uncached', title: 'resolve4, uncached (distinct names)',
        sides: { iocp: client('iocp-resolver', uncached), node: client('node-resolver', uncached) } },
      { id: 'resolve4-cached', title: `resolve4, cached (${o.cachedNames} names)`,
        note: 'dns.promises.Resolver has no cache: its column repeats the uncached median',
        sides: { iocp: client('iocp-resolver', ['--server', serverArg, '--names', String(o.cachedNames), '--cache', '1']) } },
      ...(lookupViaDns ? [{ id: 'lookup-dns-uncached', title: 'lookup via DNS, A+AAAA, uncached',
        note: `dns.lookup: getaddrinfo on the libuv thread pool (UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4, the default'}), ` +
          '/etc/resolv.conf bind-mounted in a private mount namespace to name the server',
        sides: { iocp: client('iocp-lookup', uncached), node: client('node-lookup', ['--names', String(o.names)], namespacePrefix(resolvConf)) } }] : []),
      { id: 'lookup-localhost', title: 'lookup "localhost" (hosts file, no DNS)',
        sides: { iocp: client('iocp-lookup', ['--server', serverArg, '--host', 'localhost']), node: client('node-lookup', ['--host', 'localhost']) } },
    ];

    const samples = new Map<string, Record<SideId, Sample[]>>();
    for (const sc of scenarios) samples.set(sc.id, { iocp: [], node: [] });
    const perf: number[] = [];
    const failures: { scenario: string; side: string; round: number; error: string }[] = [];
    for (let round = 0; round < o.rounds; round++) {
      try {
        const q = await dnsperfOnce(bin.dnsperf, srv, queryFile, o);
        perf.push(q);
        console.log(`round ${round + 1}  dnsperf              ${fmt(q).padStart(10)} queries/s`);
      } catch (err) {
        failures.push({ scenario: 'dnsperf', side: 'dnsperf', round, error: err instanceof Error ? err.message : String(err) });
        console.log(`round ${round + 1}  dnsperf FAILED: ${err instanceof Error ? err.message : err}`);
      }
      for (const sc of scenarios) {
        const order: SideId[] = round % 2 === 0 ? ['iocp', 'node'] : ['node', 'iocp'];
        for (const side of order) {
          const cmd = sc.sides[side];
          if (cmd === undefined) continue;
          srv.child.assertAlive();
          try {
            const s = await measureClient(`${sc.id} ${side}`, cmd.argv, o);
            samples.get(sc.id)![side].push(s);
            console.log(`round ${round + 1}  ${sc.id.padEnd(20)} ${side.padEnd(5)} ${fmt(s.value).padStart(10)} answers/s` +
              (s.errors > 0 ? `  (${s.errors} errors: ${s.firstError})` : ''));
          } catch (err) {
            const msg = err instanceof Error ? err.message : String(err);
            failures.push({ scenario: sc.id, side, round, error: msg });
            console.log(`round ${round + 1}  ${sc.id.padEnd(20)} ${side.padEnd(5)} FAILED: ${msg}`);
          }
        }
      }
    }

    const ref = median(perf);
    const nodeUncached = median(samples.get('resolve4-uncached')!.node.map((s) => s.value));
    const rows = scenarios.map((sc) => {
      const v = samples.get(sc.id)!;
      const iocp = median(v.iocp.map((s) => s.value));
      const node = sc.id === 'resolve4-cached' ? nodeUncached : median(v.node.map((s) => s.value));
      const viaDns = sc.id !== 'lookup-localhost';
      return {
        scenario: sc.id, title: sc.title, unit: 'answers/s', note: sc.note,
        iocp, node, ratio: iocp / node,
        iocpShareOfDnsperf: viaDns ? iocp / ref : undefined, nodeShareOfDnsperf: viaDns ? node / ref : undefined,
        spread: Math.max(spread(v.iocp.map((s) => s.value)), spread(v.node.map((s) => s.value))),
        errors: { iocp: v.iocp.reduce((a, s) => a + s.errors, 0), node: v.node.reduce((a, s) => a + s.errors, 0) },
        samples: v,
      };
    });

    const head = ['scenario', 'iocp-net', 'node', 'ratio', 'iocp %dnsperf', 'node %dnsperf', 'spread', 'errors'];
    const body = rows.map((r) => [r.title, fmt(r.iocp), fmt(r.node) + (r.scenario === 'resolve4-cached' ? ' *' : ''),
      Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : '-',
      r.iocpShareOfDnsperf === undefined ? 'n/a' : pct(r.iocp, ref), r.nodeShareOfDnsperf === undefined ? 'n/a' : pct(r.node, ref),
      `${(100 * r.spread).toFixed(0)}%`, `${r.errors.iocp}/${r.errors.node}`]);
    body.push([`dnsperf -q ${o.inflight} (reference)`, fmt(ref), '', '', '100%', '', `${(100 * spread(perf)).toFixed(0)}%`, '']);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}`);
    console.log(`\nanswers/s, median of ${o.rounds} round(s), ${o.inflight} in flight. node = dns.promises.Resolver for resolve4 rows, ` +
      'dns.lookup for lookup rows. * Node has no cache: the uncached number again.');
    for (const r of rows) if (r.note) console.log(`${r.title}: ${r.note}`);
    if (!lookupViaDns) console.log(`lookup via DNS: not measured: ${lookupNote}`);
    const u = rows[0];
    const target = { ratioMin: 1.4, dnsperfShareMin: 0.85, ratio: u.ratio, dnsperfShare: u.iocpShareOfDnsperf,
      met: u.ratio >= 1.4 && (u.iocpShareOfDnsperf ?? 0) >= 0.85 };
    console.log(`target (resolve4 uncached): ratio ${u.ratio.toFixed(2)} (>= 1.4) and ${pct(u.iocp, ref)} of dnsperf (>= 85%): ` +
      `${target.met ? 'met' : 'NOT met'}${smoke ? ' (smoke run: not a verdict)' : ''}`);

    const started = new Date();
    const report = {
      date: started.toISOString(), smoke, machine: machineInfo(), node: process.version,
      loadAverage: { before: loadBefore[0], after: os.loadavg()[0] },
      options: o, server: { program: 'dnsmasq', version: srv.version, address: srv.address, port: srv.port, records: o.names,
        config: lines.filter((l) => !l.startsWith('host-record')) },
      dnsperf: { command: `dnsperf -s ${srv.address} -p ${srv.port} -d <${o.names} names> -l ${Math.max(1, Math.round(o.duration))} -q ${o.inflight} -t 2`,
        samples: perf, median: ref },
      lookupViaDns: lookupViaDns ? 'dns.lookup in a private mount namespace with /etc/resolv.conf naming the server' : `not measured: ${lookupNote}`,
      target, rows, failures,
    };
    const dir = path.resolve(ROOT, o.results);
    fs.mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const file = path.join(dir, `dns-${report.machine.host}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    if (!smoke) fs.writeFileSync(file, json);
    fs.writeFileSync(path.join(dir, 'dns-latest.json'), json);
    console.log(`bench:dns: wrote ${smoke ? '' : `${path.relative(ROOT, file)} and `}${path.relative(ROOT, path.join(dir, 'dns-latest.json'))}`);
    if (failures.length > 0) {
      console.error(`\nbench:dns: ${failures.length} measurement(s) FAILED`);
      return 1;
    }
    return 0;
  });
}

main().then((code) => process.exit(code), (err) => {
  console.error(`bench:dns: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
