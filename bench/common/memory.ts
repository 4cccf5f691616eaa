// Memory snapshots for the idle-connection scenario: collected garbage first (the child runs with
// --expose-gc), so that heapUsed is what the connections keep alive rather than what is merely uncollected.
import { fail, num } from './args';
import { report } from './protocol';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function snapshot(phase: string, extra: Record<string, unknown>): Promise<void> {
  if (gc === undefined) fail('run with --expose-gc');
  await sleep(200);  // let accepts and reads that are still on their way settle
  gc();
  await sleep(50);
  gc();
  const m = process.memoryUsage();
  report({ phase, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, ...extra });
}

/** Prints the baseline at once; call held() with the count of idle connections that have a read pending:
 *  when it reaches --conns, the second snapshot is printed. Until then "holding <count>" goes out every
 *  second, so that a run that never gets there shows how far it got. */
export function idleReporter(): { baseline(): Promise<void>; held(count: number): void } {
  const target = num('conns', 10000);
  let done = false, latest = 0, shown = 0;
  const progress = setInterval(() => {
    if (latest !== shown) process.stdout.write(`holding ${(shown = latest)}\n`);
  }, 1000).unref();
  return {
    baseline: () => snapshot('baseline', {}),
    held(count: number): void {
      latest = count;
      if (done || count < target) return;
      done = true;
      clearInterval(progress);
      snapshot('held', { conns: count }).catch((err) => fail('snapshot failed', err));
    },
  };
}
