// How one measurement runs: a server process, then a client process given the server's port, and the
// client's JSON result. Which of the two is the side under test (a Node script, started with the side
// command) and which is netbench (always native) is up to the scenario. Only one side under test runs at
// a time, and every process is stopped before the next measurement starts.
import * as path from 'node:path';
import type { Options } from './options';
import { Child, withChildren, type Json } from './proc';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const NETBENCH = path.join(ROOT, 'build', 'bench', 'netbench');

/** A process to start: a netbench mode (native) or a compiled script under dist/bench (side under test). */
export type Cmd =
  | { name: string; native: string[] }
  | { name: string; script: string; args: string[]; nodeFlags?: string[] };

export class Launcher {
  constructor(readonly o: Options) {}

  /** How long a process may take to print "ready <port>"/"listening <port>". */
  get readyMs(): number { return 15_000 * this.o.timeScale; }

  /** How long a measurement may take, set-up of `conns` connections included. */
  runMs(conns: number): number {
    return this.o.timeScale * (20_000 + (this.o.warmup + this.o.duration) * 1000 + conns * 5);
  }

  /** The flags every measuring process takes (netbench and the Node clients alike). A measurement where
   *  nothing completes for 2 s (scaled) fails as a hang instead of counting as a low number. */
  timing(): string[] {
    return ['--duration', String(this.o.duration), '--warmup', String(this.o.warmup),
      '--stall', String(2 * this.o.timeScale)];
  }

  start(started: Child[], cmd: Cmd): Child {
    let argv: string[];
    if ('native' in cmd) {
      argv = [NETBENCH, ...cmd.native];
    } else {
      // A path relative to the repository root works for Linux node and for node.exe under Wine alike.
      const prefix = this.o.sideCmd.length > 0 ? this.o.sideCmd : [process.execPath];
      argv = [...prefix, ...(cmd.nodeFlags ?? []), `dist/bench/${cmd.script}.js`, ...cmd.args];
    }
    const child = new Child(cmd.name, argv, ROOT);
    started.push(child);
    return child;
  }

  /** Starts `server`, then `client(port)`, and returns the client's result; the server must survive it. The
   *  result has the client's own CPU time over its window (cpu_seconds) and the server's (server_cpu_seconds,
   *  sampled from /proc when the client prints "measuring" and again when its result is in: each sample is
   *  up to one 20 ms poll late, at both ends alike). */
  pair(server: Cmd, client: (port: number) => Cmd, conns: number): Promise<Json> {
    return withChildren(async (started) => {
      const s = this.start(started, server);
      const port = await s.port(this.readyMs);
      const c = this.start(started, client(port));
      try {
        await c.waitFor((line) => (line === 'measuring' ? true : undefined), '"measuring"', this.runMs(conns), [s]);
        const cpu0 = s.cpuSeconds();
        const result = await c.result(this.runMs(conns), [s]);
        const serverCpu = s.cpuSeconds() - cpu0;
        s.assertAlive();
        return { ...result, server_cpu_seconds: serverCpu };
      } catch (err) {
        // A client that fails because its server died: report the server first, that is the news.
        await new Promise((r) => setTimeout(r, 300));
        if (s.exitStatus === undefined || !(err instanceof Error) || err.message.startsWith(s.name)) throw err;
        throw new Error(`${s.failure(`exited (${s.exitStatus}) during the measurement`).message}\nand so: ${err.message}`);
      }
    });
  }

  /** Memory held by `conns` idle connections: a server under test prints a baseline, netbench hold
   *  connects, the server prints again once it holds them all. Returns the deltas in MB (10^6 bytes). */
  idle(server: Cmd, conns: number): Promise<{ rss: number; heap: number }> {
    return withChildren(async (started) => {
      const s = this.start(started, server);
      const port = await s.port(this.readyMs);
      const base = await s.result(this.readyMs, [], (r) => r.phase === 'baseline');
      // Paced (see netbench.c): a burst would overflow the accept queue of a slow acceptor and lose connections.
      const rate = String(Math.round(4000 / this.o.timeScale));
      const hold = this.start(started, { name: 'netbench hold',
        native: ['hold', '--port', String(port), '--conns', String(conns), '--rate', rate] });
      const held = await s.result(this.runMs(conns), [hold], (r) => r.phase === 'held');
      await hold.waitFor((l) => (l === `held ${conns}` ? true : undefined), `"held ${conns}"`, this.readyMs, [s]);
      const delta = (k: string): number => ((held[k] as number) - (base[k] as number)) / 1e6;
      return { rss: delta('rss'), heap: delta('heapUsed') };
    });
  }
}
