// Child processes of a benchmark run: the native netbench program and the Node side under test.
// Their stdout and stderr go to files that the runner polls, because Windows node.exe under Wine cannot
// write to a pipe. Every child is registered so that it is killed when the run ends, fails or is
// interrupted: no stray server keeps a port or a core busy after the runner is gone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const live = new Set<Child>();
let tmpDir: string | undefined;
let serial = 0;

function outputDir(): string {
  tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'iocp-net-bench-'));
  return tmpDir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses): index 0
 *  is field 3 of proc(5), the state. Throws when the process is gone. */
function statFields(pid: number | string): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes below `pid`, from /proc. Needed for Wine: `wine` runs node.exe as a child process in a new
 *  session, so signalling the process we spawned (or its process group) would leave node.exe running. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try { entries = fs.readdirSync('/proc'); } catch { return []; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(statFields(e)[1]);  // field 4
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) { out.push(c); walk(c); }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try { process.kill(p, sig); } catch { /* already gone */ }
  }
}

export type Json = Record<string, unknown>;

/** Clock ticks per second of /proc/<pid>/stat's times (sysconf(_SC_CLK_TCK); 100 on Linux everywhere). */
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clockTicks = 100; }
  }
  return clockTicks;
}

/** utime + stime of `pid` (all its threads), in seconds; 0 for a process that is gone. */
function cpuOf(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();  // fields 14 and 15 of proc(5)
  } catch {
    return 0;
  }
}

export class Child {
  readonly #proc: ChildProcess;
  readonly #out: string;
  readonly #err: string;
  #exit: string | undefined;  // "code 1" / "signal SIGSEGV" once it has exited

  constructor(readonly name: string, readonly argv: readonly string[], cwd: string) {
    const n = ++serial;
    this.#out = path.join(outputDir(), `${n}.out`);
    this.#err = path.join(outputDir(), `${n}.err`);
    const out = fs.openSync(this.#out, 'w'), err = fs.openSync(this.#err, 'w');
    this.#proc = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', out, err] });
    fs.closeSync(out);
    fs.closeSync(err);
    this.#proc.on('error', (e) => { this.#exit = `could not start: ${e.message}`; live.delete(this); });
    this.#proc.on('exit', (code, signal) => {
      this.#exit = signal !== null ? `signal ${signal}` : `code ${code}`;
      live.delete(this);
    });
    live.add(this);
  }

  /** "code 1", "signal SIGSEGV", ... once the process has exited. */
  get exitStatus(): string | undefined { return this.#exit; }

  /** A failure with what the child said, for the console and the JSON report. */
  failure(what: string): Error {
    // The first lines say what went wrong (a thrown error), the last ones where it was when it stopped.
    const tail = (file: string): string => {
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      const shown = lines.length <= 16 ? lines : [...lines.slice(0, 6), '...', ...lines.slice(-8)];
      return lines.join('') === '' ? '(empty)' : shown.join('\n    ');
    };
    return new Error(`${this.name} ${what}\n  command: ${this.argv.join(' ')}\n` +
      `  stderr: ${tail(this.#err)}\n  stdout: ${tail(this.#out)}`);
  }

  /** Throws if this child has exited, e.g. a server that crashed while the load ran. */
  assertAlive(): void {
    if (this.#exit !== undefined) throw this.failure(`exited (${this.#exit}) while it should still be running`);
  }

  /** Waits for the first stdout line that `match` accepts. Fails when this child exits first, when one of
   *  the `watch` children exits meanwhile, or after `timeoutMs`. */
  async waitFor<T>(match: (line: string) => T | undefined, what: string, timeoutMs: number,
                   watch: readonly Child[] = []): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of fs.readFileSync(this.#out, 'utf8').split('\n')) {
        const m = match(line);
        if (m !== undefined) return m;
      }
      if (this.#exit !== undefined) throw this.failure(`exited (${this.#exit}) before printing ${what}`);
      for (const other of watch) other.assertAlive();
      if (Date.now() > deadline) throw this.failure(`did not print ${what} within ${(timeoutMs / 1000).toFixed(0)} s`);
      await sleep(20);
    }
  }

  /** The port from "ready <port>" (Node side) or "listening <port>" (netbench). */
  port(timeoutMs: number): Promise<number> {
    return this.waitFor((line) => {
      const m = /^(?:ready|listening) (\d+)$/.exec(line);
      return m === null ? undefined : Number(m[1]);
    }, '"ready <port>"', timeoutMs);
  }

  /** The first JSON line that `accept` takes. */
  result(timeoutMs: number, watch: readonly Child[] = [], accept: (r: Json) => boolean = () => true): Promise<Json> {
    return this.waitFor((line) => {
      if (!line.startsWith('{')) return undefined;
      const r = JSON.parse(line) as Json;
      return accept(r) ? r : undefined;
    }, 'a JSON result', timeoutMs, watch);
  }

  /** CPU time used so far by the spawned process and everything below it (node.exe under Wine), in seconds.
   *  /proc counts in clock ticks (10 ms): over a 3 s window, a fraction of a percent. */
  cpuSeconds(): number {
    return this.#tree().reduce((sum, pid) => sum + cpuOf(pid), 0);
  }

  /** The spawned process and everything below it, leaves first. */
  #tree(): number[] {
    const pid = this.#proc.pid;
    return pid === undefined ? [] : [...descendants(pid).reverse(), pid];
  }

  /** SIGKILL now, for the exit handler. */
  kill(): void {
    if (this.#exit === undefined) signal(this.#tree(), 'SIGKILL');
  }

  /** SIGTERM to the process tree, SIGKILL to what is left of it after 3 s; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.#exit !== undefined) return;
    const tree = this.#tree();
    signal(tree, 'SIGTERM');
    for (let i = 0; i < 150 && tree.some(alive); i++) await sleep(20);
    signal(tree.filter(alive), 'SIGKILL');
    for (let i = 0; i < 150 && this.#exit === undefined; i++) await sleep(20);
  }
}

/** Runs `fn`, which starts children into `started`, and stops them all afterwards, whatever happened. */
export async function withChildren<T>(fn: (started: Child[]) => Promise<T>): Promise<T> {
  const started: Child[] = [];
  try {
    return await fn(started);
  } finally {
    await Promise.all(started.map((c) => c.stop()));
  }
}

/** Kills every child on exit and on Ctrl-C / SIGTERM, and removes the output files. */
export function installCleanup(): void {
  process.on('exit', () => {
    for (const c of [...live]) c.kill();
    if (tmpDir !== undefined) fs.rmSync(tmpDir, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping the children\n`);
      process.exit(130);
    });
  }
}
