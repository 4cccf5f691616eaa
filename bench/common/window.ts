// The measured window of the client processes, like netbench's: count only after the warm-up, and fail
// when the counter stops moving, so that a hung library shows up as a failure rather than a low number.
import { fail, num } from './args';
import { report } from './protocol';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits out --warmup, prints "measuring", counts over --duration and prints {value, unit, count, seconds,
 *  cpu_seconds, ...extra}. */
export async function measure(counter: () => number, unit: string, scale: number,
                              extra: Record<string, unknown>): Promise<void> {
  const warmup = num('warmup', 1), duration = num('duration', 3), stall = num('stall', 10);
  let last = counter(), lastMove = performance.now();
  const watchdog = setInterval(() => {
    if (counter() === last) {
      if (performance.now() - lastMove > stall * 1000) fail(`no progress for ${stall} s`);
    } else {
      last = counter();
      lastMove = performance.now();
    }
  }, 250);
  await sleep(warmup * 1000);
  const c0 = counter(), t0 = performance.now(), cpu0 = process.cpuUsage();
  process.stdout.write('measuring\n');  // as netbench prints it: the runner samples the peer's CPU time from here
  await sleep(duration * 1000);
  const count = counter() - c0, seconds = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0);
  clearInterval(watchdog);
  // This process's CPU time over the window (all threads), as netbench reports its own.
  report({ value: count / seconds / scale, unit, count, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, ...extra });
}
