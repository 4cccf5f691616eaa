// What the seeded interleaving tests (tcp-interleaving, open-close-interleaving) share: a seeded generator
// for their choices, the tally of failures with the problems among them, cancellation options, and the
// check that a round's work settles. The choices repeat from the seed; the timing does not.
export class SeededRun {
  readonly problems: string[] = [];
  readonly seen = new Map<string, number>();
  #state: number;

  /** `explained`: the failure codes the run's own events explain (closes, resets, cancels, detaches). */
  constructor(seed: number, private readonly explained: ReadonlySet<string>) { this.#state = seed; }

  below(n: number): number {
    this.#state = (this.#state * 1103515245 + 12345) % 2147483648;
    return Math.floor((this.#state / 2147483648) * n);
  }

  pick<T>(list: readonly T[]): T { return list[this.below(list.length)]; }

  /** Records a failure; one no event of the run explains is a problem. Returns its code. */
  failed(err: unknown, where: string): string {
    const code = String((err as { code?: unknown }).code);
    this.seen.set(code, (this.seen.get(code) ?? 0) + 1);
    if (!this.explained.has(code)) this.problems.push(`${where}: ${String(err)}`);
    return code;
  }

  /** Cancels one operation in `oneIn` by a timeout of 0–2 ms and one by a signal aborted after 1 to
   *  `signalMs` ms; the rest get no options. */
  options(oneIn: number, signalMs: number): { timeout?: number; signal?: AbortSignal } | undefined {
    const r = this.below(oneIn);
    if (r === 0) return { timeout: this.below(3) };
    if (r === 1) return { signal: AbortSignal.timeout(1 + this.below(signalMs)) };
    return undefined;
  }

  /** Waits for `work`; if it has not settled within `ms`, records `problem` and goes on. */
  async settles(work: Promise<unknown>, ms: number, problem: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const hung = await Promise.race([work.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(r, ms, true); })]);
    clearTimeout(timer);
    if (hung) this.problems.push(problem);
  }
}
