// The ratio chart for the README: one horizontal bar per row (iocp-net / net), a line at 1.0 (parity)
// and a mark at each row's target. Hand-written SVG so that the benchmarks need no dependencies.
import type { Row } from './report';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `judged` false (smoke runs) draws every bar grey: there is no verdict on numbers that mean nothing. */
export function ratioChart(rows: Row[], title: string, subtitle: string, judged = true): string {
  const shown = rows.filter((r) => r.ratio !== null || r.error !== undefined);
  const label = (r: Row): string => r.title + (r.higherIsBetter ? '' : ' (lower is better)');
  // Wide enough for the longest label at ~6.2 px per character of 12 px Helvetica (an estimate: SVG text
  // cannot be measured without a renderer).
  const labelW = Math.max(360, Math.ceil(Math.max(0, ...shown.map((r) => label(r).length)) * 6.2) + 16);
  const barW = 380, valueW = 130, rowH = 24, top = 64, left = 12;
  const width = left + labelW + barW + valueW, height = top + shown.length * rowH + 44;
  const max = Math.max(2, ...shown.map((r) => Math.ceil(((r.ratio ?? 0) * 1.05) * 2) / 2),
    ...shown.map((r) => (r.target ?? 0) + 0.25));
  const x = (v: number): number => left + labelW + (Math.min(v, max) / max) * barW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="40" fill="#555">${esc(subtitle)}</text>`,
  ];
  // A grid labelled along the bottom, coarser as the scale grows so that the labels stay apart.
  const bottom = top + shown.length * rowH;
  const step = max <= 3 ? 0.5 : max <= 6 ? 1 : max <= 15 ? 2 : 5;
  for (let v = 0; v <= max + 1e-9; v += step) {
    out.push(`<line x1="${x(v)}" y1="${top - 6}" x2="${x(v)}" y2="${bottom}" stroke="#e3e3e3"/>`,
      `<text x="${x(v)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${v.toFixed(1)}</text>`);
  }
  shown.forEach((r, i) => {
    const y = top + i * rowH, ratio = r.ratio;
    if (ratio === null) {  // a failed scenario stays on the chart, so that it is not silently missing
      out.push(`<text x="${left + labelW - 8}" y="${y + 16}" text-anchor="end">${esc(r.title)}</text>`,
        `<text x="${x(0) + 6}" y="${y + 16}" fill="#d0533f" font-weight="bold">FAILED (see the JSON report)</text>`);
      return;
    }
    const color = r.met === null || !judged ? '#8a96a3' : r.met ? '#3c9a4b' : '#d0533f';
    out.push(`<text x="${left + labelW - 8}" y="${y + 16}" text-anchor="end">${esc(label(r))}</text>`,
      `<rect x="${x(0)}" y="${y + 5}" width="${Math.max(1, x(ratio) - x(0))}" height="${rowH - 10}" fill="${color}"/>`);
    if (r.target !== null) {  // a tick across the bar with a small triangle on top
      const tx = x(r.target);
      out.push(`<line x1="${tx}" y1="${y + 3}" x2="${tx}" y2="${y + rowH - 3}" stroke="#111" stroke-width="2.5"/>`,
        `<path d="M${tx - 4},${y + 1} L${tx + 4},${y + 1} L${tx},${y + 6} Z" fill="#111"/>`);
    }
    const verdict = r.met === null || !judged ? '' : r.met ? ' met' : ' missed';
    out.push(`<text x="${left + labelW + barW + 8}" y="${y + 16}">${ratio.toFixed(2)}${verdict}</text>`);
  });
  out.push(`<line x1="${x(1)}" y1="${top - 6}" x2="${x(1)}" y2="${bottom}" stroke="#000" stroke-width="1.5"/>`,
    `<text x="${left}" y="${bottom + 36}" fill="#555">Bars: median iocp-net / median net. Thin line: parity (1.0). ` +
      `Tick with triangle: target. Green: target met, red: missed, grey: no target.</text>`,
    '</svg>');
  return `${out.join('\n')}\n`;
}
