// The timeline picture, written by hand: one row per scenario, responses per 100 ms stacked by
// version (old, new) and failures, on one shared time axis in seconds from the deploy's start.
import type { Bin } from './metrics.js';

export interface TimelineRow {
  title: string;
  subtitle: string;
  /** Bins of 100 ms starting at `fromMs` (relative to the deploy start). */
  bins: Bin[];
  fromMs: number;
  binMs: number;
  markers: Array<{ atMs: number; kind: 'switch' | 'done' | 'exit' | 'tick' }>;
  /** Drawn on its own time scale (the reload series is much longer than a deploy). */
  ownScale?: boolean;
}

const COLOURS = {
  old: '#4e79a7',
  new: '#59a14f',
  other: '#9c9c9c',
  failed: '#e15759',
  switch: '#f28e2b',
  done: '#7b3294',
  exit: '#bbbbbb',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (n: number) => Math.round(n * 10) / 10;

export function timelineSvg(title: string, rows: TimelineRow[]): string {
  const width = 1200;
  const left = 70;
  const right = 34;
  const plotW = width - left - right;
  const rowH = 150;
  const plotH = 84;
  const top = 112;
  const height = top + rows.length * rowH + 20;
  const span = (rs: TimelineRow[]) => ({
    fromMs: Math.min(...rs.map((r) => r.fromMs)),
    toMs: Math.max(...rs.map((r) => r.fromMs + r.bins.length * r.binMs)),
  });
  const shared = span(rows.filter((r) => !r.ownScale).length ? rows.filter((r) => !r.ownScale) : rows);
  const yMax = Math.max(10, ...rows.flatMap((r) => r.bins.map((b) => b.old + b.new + b.other + b.failed)));
  const yTop = Math.ceil(yMax / 20) * 20;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="26" font-size="17" font-weight="bold">${esc(title)}</text>`);
  // Legend: bar colours on one line, markers on the next.
  const legend: Array<Array<[string, string, 'box' | 'dash' | 'dot' | 'solid']>> = [
    [
      [COLOURS.old, 'answered by the old version', 'box'],
      [COLOURS.new, 'answered by the new version', 'box'],
      [COLOURS.other, 'answered (reload row: one version)', 'box'],
      [COLOURS.failed, 'failed (socket error or 5xx)', 'box'],
    ],
    [
      ['#000000', 'deploy started (t = 0)', 'dash'],
      [COLOURS.switch, 'switch decision', 'dash'],
      [COLOURS.exit, 'controller exited', 'solid'],
      [COLOURS.done, 'deploy done (new version alone, controller exited)', 'dot'],
      ['#333333', 'reload started (reload row)', 'solid'],
    ],
  ];
  legend.forEach((line, li) => {
    let lx = left;
    const ly = 40 + li * 20;
    for (const [colour, label, kind] of line) {
      if (kind === 'box') out.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${colour}"/>`);
      else
        out.push(
          `<line x1="${lx + 7}" y1="${ly - 2}" x2="${lx + 7}" y2="${ly + 16}" stroke="${colour}" stroke-width="2"${kind === 'dash' ? ' stroke-dasharray="4,3"' : kind === 'dot' ? ' stroke-dasharray="1.5,2.5"' : ''}/>`,
        );
      out.push(`<text x="${lx + 19}" y="${ly + 12}" font-size="12">${esc(label)}</text>`);
      lx += 40 + label.length * 7;
    }
  });
  out.push(
    `<text x="${left}" y="96" font-size="12" fill="#444">x: seconds from the start of the deploy; y: responses per 100 ms by arrival time, stacked (0–${yTop}). Deploy rows share one time scale; the reload row has its own.</text>`,
  );

  rows.forEach((row, index) => {
    const { fromMs, toMs } = row.ownScale ? span([row]) : shared;
    const x = (ms: number) => left + ((ms - fromMs) / (toMs - fromMs)) * plotW;
    const y0 = top + index * rowH + 26; // top of the plot area
    const base = y0 + plotH;
    const y = (n: number) => base - (n / yTop) * plotH;
    out.push(
      `<text x="${left}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(row.title)}<tspan dx="10" font-weight="normal" fill="#444">${esc(row.subtitle)}</tspan></text>`,
    );
    out.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#cccccc"/>`);
    // Y ticks.
    for (const v of [0, yTop / 2, yTop]) {
      out.push(`<line x1="${left - 4}" y1="${r1(y(v))}" x2="${left}" y2="${r1(y(v))}" stroke="#666"/>`);
      out.push(`<text x="${left - 7}" y="${r1(y(v) + 4)}" font-size="10" text-anchor="end" fill="#444">${v}</text>`);
    }
    // X ticks every second, labels on every row.
    const step = [1, 2, 5, 10, 20, 60].find((st) => (toMs - fromMs) / 1000 / st <= 16) ?? 60;
    for (let s = Math.ceil(fromMs / 1000 / step) * step; s * 1000 <= toMs; s += step) {
      const px = r1(x(s * 1000));
      out.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${base}" stroke="#e6e6e6"/>`);
      out.push(`<line x1="${px}" y1="${base}" x2="${px}" y2="${base + 4}" stroke="#666"/>`);
      out.push(`<text x="${px}" y="${base + 15}" font-size="10" text-anchor="middle" fill="#444">${s} s</text>`);
    }
    // Bars.
    const bw = Math.max(0.5, (row.binMs / (toMs - fromMs)) * plotW - 0.6);
    row.bins.forEach((b, i) => {
      const bx = r1(x(row.fromMs + i * row.binMs) + 0.3);
      let acc = 0;
      const parts: Array<[number, string]> = [
        [b.old, COLOURS.old],
        [b.other, COLOURS.other],
        [b.new, COLOURS.new],
        [b.failed, COLOURS.failed],
      ];
      for (const [n, colour] of parts) {
        if (n <= 0) continue;
        const yTopPx = y(acc + n);
        out.push(
          `<rect x="${bx}" y="${r1(yTopPx)}" width="${r1(bw)}" height="${r1(y(acc) - yTopPx)}" fill="${colour}"/>`,
        );
        acc += n;
      }
    });
    // Markers.
    out.push(
      `<line x1="${r1(x(0))}" y1="${y0 - 2}" x2="${r1(x(0))}" y2="${base}" stroke="#000" stroke-width="1.5" stroke-dasharray="4,3"/>`,
    );
    const order = { exit: 0, tick: 1, switch: 2, done: 3 } as const;
    for (const m of [...row.markers].sort((a, b) => order[a.kind] - order[b.kind])) {
      const px = r1(x(m.atMs));
      if (m.kind === 'tick')
        out.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 7}" stroke="#333" stroke-width="0.7"/>`);
      else if (m.kind === 'exit')
        out.push(`<line x1="${px}" y1="${y0 - 2}" x2="${px}" y2="${base}" stroke="${COLOURS.exit}" stroke-width="3"/>`);
      else
        out.push(
          `<line x1="${px}" y1="${y0 - 2}" x2="${px}" y2="${base}" stroke="${m.kind === 'switch' ? COLOURS.switch : COLOURS.done}" stroke-width="2" stroke-dasharray="${m.kind === 'switch' ? '4,3' : '1.5,2.5'}"/>`,
        );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
