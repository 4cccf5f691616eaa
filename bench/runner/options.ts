// Options of bench/run.ts. --smoke shrinks everything so that a run only proves that each scenario works
// (used under Wine, where numbers mean nothing); --side-cmd says how to start the Node side under test.

export interface Options {
  rounds: number;
  duration: number;         // seconds measured per measurement
  warmup: number;           // seconds before that
  only: string[];           // substrings of scenario ids; empty = all
  smoke: boolean;
  sideCmd: string[];        // argv prefix that runs a script on the side under test, e.g. ["wine", "node.exe"]
  pingpongConns: number[];  // three counts: the targets refer to the 2nd (100) and 3rd (1000)
  idleConns: number;
  idleBuf: number;          // read buffer per idle iocp-net connection, bytes; 0: readChunk(), no buffer
  inFlight: number;         // connect-rate: connections kept in flight
  timeScale: number;        // multiplies every timeout (Wine starts processes slowly)
  resultsDir: string;       // relative to the repository root
}

const usage = `usage: node dist/bench/run.js [options]
  --rounds N          rounds per scenario, iocp-net and net alternating (default 5)
  --duration S        measured seconds per measurement (default 3)
  --warmup S          warm-up seconds before that (default 1)
  --only TEXT         run only scenarios whose id contains TEXT (repeatable, or comma-separated)
  --smoke             1 round, 0.5 s, 1/10/50 connections, 200 idle: checks that everything runs
  --side-cmd "CMD"    how to start the side under test (default: this node), split on spaces,
                      e.g. --side-cmd "wine /path/to/node.exe"; also BENCH_SIDE_CMD
  --idle-conns N      idle connections in the memory scenario (default 10000)
  --idle-buf BYTES    read buffer of each idle iocp-net connection (default 0: readChunk(), no buffer)
  --time-scale X      multiply every timeout by X (default 1)
  --results DIR       where the JSON and SVG go (default bench/results, bench/results/smoke with --smoke)
  --list              print the scenario ids and exit`;

export function parseOptions(argv: string[]): Options & { list: boolean } {
  const o: Options & { list: boolean } = {
    rounds: 5, duration: 3, warmup: 1, only: [], smoke: false, sideCmd: [], pingpongConns: [1, 100, 1000],
    idleConns: 10000, idleBuf: 0, inFlight: 64, timeScale: 1, resultsDir: '', list: false,
  };
  const set: Partial<Record<string, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') o.smoke = true;
    else if (a === '--list') o.list = true;
    else if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    else if (a === '--only' && i + 1 < argv.length) o.only.push(...argv[++i].split(',').filter((s) => s !== ''));
    else if (a.startsWith('--') && i + 1 < argv.length) set[a.slice(2)] = argv[++i];
    else { console.error(`bench: unknown or incomplete option ${a}\n${usage}`); process.exit(2); }
  }
  if (o.smoke) {
    Object.assign(o, { rounds: 1, duration: 0.5, warmup: 0.2, pingpongConns: [1, 10, 50], idleConns: 200 });
  }
  const num = (name: string, min: number): number | undefined => {
    const v = set[name];
    delete set[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) { console.error(`bench: --${name} must be a number >= ${min}`); process.exit(2); }
    return n;
  };
  o.rounds = num('rounds', 1) ?? o.rounds;
  o.duration = num('duration', 0.1) ?? o.duration;
  o.warmup = num('warmup', 0) ?? o.warmup;
  o.idleConns = num('idle-conns', 1) ?? o.idleConns;
  o.idleBuf = num('idle-buf', 0) ?? o.idleBuf;
  o.timeScale = num('time-scale', 0.1) ?? o.timeScale;
  const side = set['side-cmd'] ?? process.env.BENCH_SIDE_CMD ?? '';
  o.sideCmd = side.split(' ').filter((s) => s !== '');
  o.resultsDir = set.results ?? (o.smoke ? 'bench/results/smoke' : 'bench/results');
  for (const k of ['side-cmd', 'results']) delete set[k];
  const unknown = Object.keys(set);
  if (unknown.length > 0) { console.error(`bench: unknown option --${unknown[0]}\n${usage}`); process.exit(2); }
  return o;
}
