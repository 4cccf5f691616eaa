// The scenarios: what runs on each side, what is measured, and the target for the ratio iocp-net / net.
// A server scenario drives a Node server from netbench; a client scenario runs a Node client against a
// netbench server. The reference ("ref") is netbench against netbench: what this machine does with plain
// epoll, and the same measurement serves the server and the client row of a pair (its `key`).
import type { Cmd, Launcher } from './launch';
import type { Options } from './options';

export type Impl = 'iocp' | 'net';

export interface Metric {
  unit: string;
  higherIsBetter: boolean;
  /** The ratio iocp-net / net to reach: at least this when higher is better, at most this otherwise. */
  target?: number;
  label?: string;  // set on every metric after the first of a scenario
  /** The column of the reference's samples this metric is compared with; default: its own index. A server
   *  row and a client row share one reference measurement, and each compares its CPU with its own side's. */
  refIndex?: number;
}

export interface Scenario {
  id: string;
  title: string;
  metrics: Metric[];
  run(impl: Impl): Promise<number[]>;
  ref?: { key: string; run(): Promise<number[]> };
}

const KiB = 1024;

function sizeName(bytes: number): string {
  return bytes >= KiB * KiB ? `${bytes / KiB / KiB} MiB` : `${bytes / KiB} KiB`;
}

export function scenarios(L: Launcher, o: Options): Scenario[] {
  const t = L.timing();
  const value = (r: Record<string, unknown>): number[] => [r.value as number];
  // CPU time per operation (round trip, connection) over the measured window, in µs: of the server
  // (sampled by the runner) or of the client (measured by itself). It says what a row's throughput cannot
  // when latency or the load generator sets the pace.
  const cpuPerOp = (r: Record<string, unknown>, key: 'server_cpu_seconds' | 'cpu_seconds'): number =>
    ((r[key] as number) * 1e6) / (r.count as number);
  const withServerCpu = (r: Record<string, unknown>): number[] => [r.value as number, cpuPerOp(r, 'server_cpu_seconds')];
  const withClientCpu = (r: Record<string, unknown>): number[] => [r.value as number, cpuPerOp(r, 'cpu_seconds')];
  const cpuMetric = (label: string, refIndex: number): Metric => ({ label, unit: 'µs', higherIsBetter: false, refIndex });
  const list: Scenario[] = [];
  const [, mid, high] = o.pingpongConns;

  // ---- ping-pong, 64-byte messages ----
  const cEcho: Cmd = { name: 'netbench echo-server', native: ['echo-server', '--port', '0'] };
  for (const n of o.pingpongConns) {
    const args = (port: number): string[] => ['--port', String(port), '--conns', String(n), '--size', '64', ...t];
    const cClient = (port: number): Cmd => ({ name: 'netbench pingpong', native: ['pingpong', ...args(port)] });
    // The reference's columns: round trips/s, the C server's CPU per round trip, the C client's.
    const ref = { key: `pingpong-${n}`, run: async () => {
      const r = await L.pair(cEcho, cClient, n);
      return [...withServerCpu(r), cpuPerOp(r, 'cpu_seconds')];
    } };
    const conns = `${n} conn${n === 1 ? '' : 's'}`;
    list.push({
      id: `server-pingpong-${n}`,
      title: `server ping-pong 64 B, ${conns}`,
      metrics: [{ unit: 'round trips/s', higherIsBetter: true, target: n === 1 ? 1.0 : n === mid ? 1.25 : n === high ? 1.5 : undefined },
        cpuMetric('server CPU per round trip', 1)],
      run: async (impl) => withServerCpu(await L.pair({ name: `echo-${impl}`, script: `servers/echo-${impl}`, args: [] }, cClient, n)),
      ref,
    });
    list.push({
      id: `client-pingpong-${n}`,
      title: `client ping-pong 64 B, ${conns}`,
      metrics: [{ unit: 'round trips/s', higherIsBetter: true, target: n === 1 ? 1.0 : undefined },
        cpuMetric('client CPU per round trip', 2)],
      run: async (impl) => withClientCpu(await L.pair(cEcho,
        (port) => ({ name: `pingpong-${impl}`, script: `clients/pingpong-${impl}`, args: args(port) }), n)),
      ref,
    });
  }
  // The server rows first, then the client rows: one side's numbers read together.
  list.sort((a, b) => Number(a.id.startsWith('client')) - Number(b.id.startsWith('client')));

  // ---- bulk over one connection: "up" is client -> server, "down" is server -> client ----
  const bulk: Scenario[] = [];
  for (const chunk of [64 * KiB, KiB * KiB]) {
    const c = String(chunk), name = sizeName(chunk), tag = chunk === 64 * KiB ? '64k' : '1m';
    const metrics: Metric[] = [{ unit: 'MB/s', higherIsBetter: true, target: 1.2 }];
    const cSink: Cmd = { name: 'netbench bulk-server sink', native: ['bulk-server', '--mode', 'sink', '--chunk', c, '--port', '0'] };
    const cSource: Cmd = { name: 'netbench bulk-server source', native: ['bulk-server', '--mode', 'source', '--chunk', c, '--port', '0'] };
    const cSend = (port: number): Cmd => ({ name: 'netbench bulk-send', native: ['bulk-send', '--port', String(port), '--chunk', c, ...t] });
    const cRecv = (port: number): Cmd => ({ name: 'netbench bulk-recv', native: ['bulk-recv', '--port', String(port), '--chunk', c, ...t] });
    const up = { key: `bulk-up-${tag}`, run: async () => value(await L.pair(cSink, cSend, 1)) };
    const down = { key: `bulk-down-${tag}`, run: async () => value(await L.pair(cSource, cRecv, 1)) };
    const server = (impl: Impl, mode: string): Cmd =>
      ({ name: `bulk-${impl} ${mode}`, script: `servers/bulk-${impl}`, args: ['--mode', mode, '--chunk', c] });
    const client = (impl: Impl, mode: string) => (port: number): Cmd =>
      ({ name: `bulk-${impl} ${mode}`, script: `clients/bulk-${impl}`, args: ['--mode', mode, '--port', String(port), '--chunk', c, ...t] });
    bulk.push(
      { id: `server-bulk-recv-${tag}`, title: `server receives bulk, ${name} writes`, metrics, ref: up,
        run: async (impl) => value(await L.pair(server(impl, 'sink'), cSend, 1)) },
      { id: `server-bulk-send-${tag}`, title: `server sends bulk, ${name} writes`, metrics, ref: down,
        run: async (impl) => value(await L.pair(server(impl, 'source'), cRecv, 1)) },
      { id: `client-bulk-send-${tag}`, title: `client sends bulk, ${name} writes`, metrics, ref: up,
        run: async (impl) => value(await L.pair(cSink, client(impl, 'send'), 1)) },
      { id: `client-bulk-recv-${tag}`, title: `client receives bulk, ${name} writes`, metrics, ref: down,
        run: async (impl) => value(await L.pair(cSource, client(impl, 'recv'), 1)) },
    );
  }
  list.push(...bulk.sort((a, b) => Number(a.id.startsWith('client')) - Number(b.id.startsWith('client'))));

  // ---- short connections: accept and close ----
  const connectRate = (port: number): Cmd => ({ name: 'netbench connect-rate',
    native: ['connect-rate', '--port', String(port), '--conns-in-flight', String(o.inFlight), ...t] });
  list.push({
    id: 'server-accept-close',
    title: `server accept+close, ${o.inFlight} connecting`,
    metrics: [{ unit: 'connections/s', higherIsBetter: true, target: 1.2 }, cpuMetric('server CPU per connection', 1)],
    run: async (impl) => withServerCpu(await L.pair({ name: `accept-${impl}`, script: `servers/accept-${impl}`, args: [] }, connectRate, o.inFlight)),
    ref: { key: 'accept', run: async () => withServerCpu(await L.pair({ name: 'netbench accept-server', native: ['accept-server', '--port', '0'] }, connectRate, o.inFlight)) },
  });

  // ---- idle connections: memory held by the server ----
  // The target row holds each connection with a callback on its pending read, as the `net` server does with
  // listeners; the second row (no target) shows what one async function per connection adds on top.
  const n = o.idleConns;
  for (const style of ['callback', 'async'] as const) {
    list.push({
      id: style === 'callback' ? 'server-idle-memory' : 'server-idle-memory-async',
      title: `server idle memory, ${n.toLocaleString('en-US')} conns${style === 'async' ? ', async function each' : ''}`,
      metrics: [
        { label: 'RSS', unit: 'MB', higherIsBetter: false, ...(style === 'callback' ? { target: 0.5 } : {}) },
        { label: 'JS heap', unit: 'MB', higherIsBetter: false, ...(style === 'callback' ? { target: 0.5 } : {}) },
      ],
      run: async (impl) => {
        const args = ['--conns', String(n), ...(impl === 'iocp' ? ['--buf', String(o.idleBuf), '--style', style] : [])];
        const m = await L.idle({ name: `idle-${impl}`, script: `servers/idle-${impl}`, args, nodeFlags: ['--expose-gc'] }, n);
        return [m.rss, m.heap];
      },
    });
  }
  return list;
}
