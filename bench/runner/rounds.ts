// Runs one scenario for all rounds. Within a round iocp-net and net run back to back, and which goes first
// alternates from round to round (round 1: iocp-net, net; round 2: net, iocp-net; ...), so that a slow drift
// of the machine (heat, other load) does not favour one side. The netbench reference runs once per round,
// unless an earlier scenario already measured the same reference (the server and the client row of a pair).
import type { Options } from './options';
import { formatValue, type Outcome } from './report';
import type { Impl, Scenario } from './scenarios';

const refCache = new Map<string, { from: string; samples: number[][] }>();

const names: Record<Impl | 'ref', string> = { iocp: 'iocp-net', net: 'net', ref: 'C ref' };

export async function runScenario(sc: Scenario, o: Options, log: (line: string) => void): Promise<Outcome> {
  const outcome: Outcome = { scenario: sc, samples: { iocp: [], net: [], ref: [] } };
  const cached = sc.ref === undefined ? undefined : refCache.get(sc.ref.key);
  if (cached !== undefined && cached.samples.length >= o.rounds) {
    outcome.samples.ref = cached.samples;
    outcome.refFrom = cached.from;
  }
  // Each metric's value; the reference's is in the metric's column of it (refIndex).
  const show = (what: Impl | 'ref', v: number[]): string =>
    `${names[what]} ${sc.metrics.map((m, k) => formatValue(v[what === 'ref' ? m.refIndex ?? k : k], m.unit)).join('/')}`;
  try {
    for (let round = 0; round < o.rounds; round++) {
      const order: Impl[] = round % 2 === 0 ? ['iocp', 'net'] : ['net', 'iocp'];
      const parts: string[] = [];
      for (const impl of order) {
        const v = await sc.run(impl);
        outcome.samples[impl].push(v);
        parts.push(show(impl, v));
      }
      if (sc.ref !== undefined && outcome.refFrom === undefined) {
        const v = await sc.ref.run();
        outcome.samples.ref.push(v);
        parts.push(show('ref', v));
      }
      log(`  ${sc.id} round ${round + 1}/${o.rounds}: ${parts.join(', ')} ${sc.metrics.map((m) => m.unit).join('/')}`);
    }
    if (sc.ref !== undefined && outcome.refFrom === undefined) {
      refCache.set(sc.ref.key, { from: sc.id, samples: outcome.samples.ref });
    }
  } catch (err) {
    outcome.error = err instanceof Error ? err.message : String(err);
    log(`\nFAILED ${sc.id}: ${outcome.error}\n`);
  }
  return outcome;
}
