// Benchmark runner (npm run bench): every scenario with iocp-net and with Node's net, alternating, several
// rounds; medians, ratio iocp-net / net, share of the native netbench reference; a table on stdout, JSON and
// an SVG chart of the ratios in bench/results. Exits non-zero when any scenario failed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineInfo, probeSide } from './runner/env';
import { Launcher, ROOT } from './runner/launch';
import { parseOptions } from './runner/options';
import { installCleanup } from './runner/proc';
import { table, toRows, type Outcome } from './runner/report';
import { runScenario } from './runner/rounds';
import { scenarios } from './runner/scenarios';
import { ratioChart } from './runner/svg';

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  installCleanup();
  const L = new Launcher(o);
  const all = scenarios(L, o);
  const chosen = all.filter((s) => o.only.length === 0 || o.only.some((t) => s.id.includes(t)));
  if (o.list) {
    for (const s of all) console.log(`${s.id.padEnd(24)} ${s.title}`);
    return 0;
  }
  if (chosen.length === 0) {
    console.error(`bench: no scenario id contains ${o.only.join(' or ')}; see --list`);
    return 2;
  }
  execFileSync('bash', [path.join(ROOT, 'bench', 'build.sh')], { stdio: 'inherit' });  // netbench, if stale

  const side = await probeSide(L);
  const wine = o.sideCmd.some((a) => path.basename(a).startsWith('wine'));
  console.log(`bench: side under test: node ${side.node} on ${side.platform}, iocp-net backend "${side.backend}"` +
    (o.sideCmd.length > 0 ? ` (started with: ${o.sideCmd.join(' ')})` : ''));
  if (o.smoke) {
    console.log('bench: SMOKE RUN: it only checks that every scenario runs and reports numbers.' +
      (wine ? ' Wine numbers say nothing about Windows performance (Wine sockets are ~50x slower than native).' : ''));
  }
  console.log(`bench: ${chosen.length} scenarios, ${o.rounds} round(s), ${o.warmup} s warm-up + ${o.duration} s per measurement\n`);

  const loadBefore = os.loadavg();
  if (loadBefore[0] > 0.5) {
    console.log(`bench: WARNING: load average ${loadBefore[0].toFixed(2)} before the run: other processes are busy ` +
      'and will add noise (the spread column shows how much)\n');
  }
  const outcomes: Outcome[] = [];
  for (const sc of chosen) outcomes.push(await runScenario(sc, o, (line) => console.log(line)));
  const rows = toRows(outcomes);
  const failed = outcomes.filter((x) => x.error !== undefined);

  console.log(`\n${table(rows, !o.smoke)}\n`);
  if (chosen.some((s) => s.id.includes('idle'))) console.log(`Idle memory: each iocp-net connection keeps a read pending, ${o.idleBuf > 0 ? `into its own ${o.idleBuf}-byte buffer` : 'with readChunk() (no buffer)'} ` +
    '(--idle-buf), continued by a callback (or, in the "async function each" row, awaited in one async function per ' +
    'connection); net keeps none while idle. MB = 10^6 bytes; %ref = share of the netbench (C, epoll) reference.\n');
  if (o.smoke && wine) console.log('Wine smoke run: these numbers say nothing about Windows performance.\n');

  const started = new Date();
  const report = {
    date: started.toISOString(),
    smoke: o.smoke,
    machine: machineInfo(),
    // Other work on the machine during the run shows here (1-minute load average before and after).
    loadAverage: { before: loadBefore[0], after: os.loadavg()[0] },
    node: side.node,
    backend: side.backend,
    side: { ...side, command: o.sideCmd.length > 0 ? o.sideCmd : [process.execPath] },
    options: { rounds: o.rounds, duration: o.duration, warmup: o.warmup, pingpongConns: o.pingpongConns,
      idleConns: o.idleConns, idleReadBuffer: o.idleBuf, connectsInFlight: o.inFlight, only: o.only },
    units: { 'MB/s': '10^6 bytes per second', MB: '10^6 bytes',
      'µs': 'CPU time (user + system, all threads) of the side under test per operation, over the measured window' },
    rows,
    failures: failed.map((x) => ({ scenario: x.scenario.id, error: x.error })),
  };
  const dir = path.resolve(ROOT, o.resultsDir);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${report.machine.host}-${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, 'latest.json'), json);
  const title = `iocp-net / net${o.smoke ? ' (smoke run)' : ''}: median of ${o.rounds} round(s), backend ${side.backend}`;
  const sub = `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.kernel}, node ${side.node}`;
  fs.writeFileSync(path.join(dir, 'ratios.svg'), ratioChart(rows, title, sub, !o.smoke));
  console.log(`bench: wrote ${path.relative(ROOT, file)}, latest.json and ratios.svg in ${path.relative(ROOT, dir)}`);

  if (failed.length > 0) {
    console.error(`\nbench: ${failed.length} scenario(s) FAILED: ${failed.map((x) => x.scenario.id).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
