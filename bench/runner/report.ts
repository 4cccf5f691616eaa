// From the samples of each scenario to result rows (medians, ratio iocp-net / net, share of the netbench
// reference, target met or missed) and the human table printed at the end of a run.
import type { Metric, Scenario } from './scenarios';

export interface Samples { iocp: number[][]; net: number[][]; ref: number[][] }
export interface Outcome { scenario: Scenario; samples: Samples; refFrom?: string; error?: string }

export interface Stat { samples: number[]; median: number }

export interface Row {
  id: string;
  title: string;
  unit: string;
  higherIsBetter: boolean;
  target: number | null;
  iocp: Stat | null;
  net: Stat | null;
  ref: (Stat & { sharedWith?: string }) | null;
  ratio: number | null;
  met: boolean | null;
  iocpPercentOfRef: number | null;
  netPercentOfRef: number | null;
  error?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function stat(samples: number[][], k: number): Stat | null {
  if (samples.length === 0) return null;
  const xs = samples.map((s) => s[k]);
  return { samples: xs, median: median(xs) };
}

function metricTitle(sc: Scenario, m: Metric): string {
  return m.label === undefined ? sc.title : `${sc.title}: ${m.label}`;
}

export function toRows(outcomes: Outcome[]): Row[] {
  const rows: Row[] = [];
  for (const { scenario: sc, samples, refFrom, error } of outcomes) {
    sc.metrics.forEach((m, k) => {
      const iocp = stat(samples.iocp, k), net = stat(samples.net, k), refStat = stat(samples.ref, m.refIndex ?? k);
      const ratio = iocp !== null && net !== null && net.median !== 0 ? iocp.median / net.median : null;
      const met = ratio === null || m.target === undefined ? null
        : m.higherIsBetter ? ratio >= m.target : ratio <= m.target;
      const pct = (s: Stat | null): number | null =>
        s === null || refStat === null || refStat.median === 0 ? null : (100 * s.median) / refStat.median;
      rows.push({
        id: m.label === undefined ? sc.id : `${sc.id}-${m.label.toLowerCase().replace(/\W+/g, '-')}`,
        title: metricTitle(sc, m), unit: m.unit, higherIsBetter: m.higherIsBetter, target: m.target ?? null,
        iocp, net, ref: refStat === null ? null : { ...refStat, ...(refFrom ? { sharedWith: refFrom } : {}) },
        ratio, met, iocpPercentOfRef: pct(iocp), netPercentOfRef: pct(net), ...(error ? { error } : {}),
      });
    });
  }
  return rows;
}

export function formatValue(v: number, unit: string): string {
  if (unit === 'MB' || unit === 'µs' || (unit === 'MB/s' && v < 100)) return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}

/** max/min - 1 over the samples of both sides, the run-to-run noise to read the ratio against. */
function spread(r: Row): string {
  const xs = [...(r.iocp?.samples ?? []), ...(r.net?.samples ?? [])];
  const parts = [r.iocp, r.net].filter((s): s is Stat => s !== null && s.samples.length > 1)
    .map((s) => Math.max(...s.samples) / Math.min(...s.samples) - 1);
  return xs.length === 0 || parts.length === 0 ? '' : `${Math.round(100 * Math.max(...parts))}%`;
}

export function table(rows: Row[], judged: boolean): string {
  const head = ['scenario', 'unit', 'iocp-net', 'net', 'ratio', 'target', 'result', 'C ref', 'iocp %ref', 'net %ref', 'spread'];
  const body = rows.map((r) => {
    if (r.error !== undefined) return [r.title, r.unit, 'FAILED', '', '', '', 'FAILED', '', '', '', ''];
    const target = r.target === null ? '' : `${r.higherIsBetter ? '>=' : '<='}${r.target.toFixed(2)}`;
    const result = r.met === null ? '' : !judged ? 'n/a' : r.met ? 'met' : 'MISSED';
    const pct = (p: number | null): string => (p === null ? '' : `${p.toFixed(0)}%`);
    return [
      r.title, r.unit, r.iocp ? formatValue(r.iocp.median, r.unit) : '', r.net ? formatValue(r.net.median, r.unit) : '',
      r.ratio === null ? '' : r.ratio.toFixed(2), target, result,
      r.ref ? formatValue(r.ref.median, r.unit) : '', pct(r.iocpPercentOfRef), pct(r.netPercentOfRef), spread(r),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
