// Command-line flags of the benchmark child processes: "--name value" pairs, read with a default.
// Kept tiny on purpose: the children are started only by bench/run.ts, which always passes valid flags.
const flags = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) flags.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);

export function str(name: string, fallback: string): string {
  return flags.get(name) ?? fallback;
}

export function num(name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got ${v}`);
  return n;
}

/** Prints why on stderr and exits non-zero: the runner turns that into a failed scenario. */
export function fail(message: string, err?: unknown): never {
  const detail = err instanceof Error ? `: ${err.stack ?? err.message}` : err === undefined ? '' : `: ${String(err)}`;
  process.stderr.write(`${process.argv[1]}: ${message}${detail}\n`);
  process.exit(1);
}
