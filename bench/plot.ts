// A tiny SVG plotting module for benchmark reports (bench/e2e/charts.ts uses it): latency CDFs with a
// log-scaled x axis (linear or "tail" y axis) and bar charts with optional reference lines. Output is
// a standalone SVG string that any image viewer, rsvg-convert or a markdown renderer can show.
// No dependencies; no scripts or external fonts in the SVG.

export interface Series {
  name: string;
  /** [x, y] points, x > 0; for CDFs y is the cumulative fraction in (0, 1]. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface CdfOptions {
  title: string;
  xLabel: string;
  /** 'linear' = plain CDF 0..1; 'tail' = y = -log10(1 - q), so p90, p99, p99.9 are evenly spaced. */
  yScale?: 'linear' | 'tail';
  width?: number;
  height?: number;
}

export interface Bar {
  label: string;
  value: number;
  /** Text printed above the bar (default: value with 3 significant digits). */
  text?: string;
}

export interface RefLine {
  label: string;
  value: number;
}

export interface BarOptions {
  title: string;
  yLabel: string;
  refs?: readonly RefLine[];
  /** Log-scale y axis (useful when values span decades). */
  logY?: boolean;
  width?: number;
  height?: number;
}

// Our choice: look of the charts.
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'DejaVu Sans, Arial, sans-serif';
const MARGIN = { left: 70, right: 20, top: 40, bottom: 55 };
const TAIL_MAX = 4; // 99.99th percentile at the top of a tail plot

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Formats a number with about 3 significant digits and no trailing zeros. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return v.toExponential(2);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    text(width / 2, 22, title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** 1-2-5 ticks between lo and hi (both > 0) for a log axis. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/** Evenly spaced "nice" ticks from 0 to at least hi. */
function linearTicks(hi: number, n = 5): number[] {
  if (!(hi > 0)) return [0, 1];
  const raw = hi / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function legend(names: string[], x: number, y: number): string[] {
  const out: string[] = [];
  names.forEach((n, i) => {
    const yy = y + i * 16;
    out.push(`<line x1="${x}" y1="${yy}" x2="${x + 22}" y2="${yy}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2.5"/>`);
    out.push(text(x + 28, yy + 4, n));
  });
  const w = 40 + Math.max(0, ...names.map((n) => n.length)) * 7;
  out.unshift(`<rect x="${x - 6}" y="${y - 10}" width="${w}" height="${names.length * 16 + 6}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  return out;
}

/** A CDF chart: one line per series, log-scaled x (latency), legend bottom-right. */
export function cdfChart(series: readonly Series[], o: CdfOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 440;
  const tail = o.yScale === 'tail';
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0 && Number.isFinite(v));
  const body: string[] = [];
  if (xs.length === 0) {
    body.push(text(width / 2, height / 2, 'no samples', 'text-anchor="middle"'));
    return frame(width, height, o.title, body);
  }
  const lo = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  const X = (v: number) => MARGIN.left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const yOf = (q: number) => (tail ? Math.min(TAIL_MAX, -Math.log10(Math.max(1e-12, 1 - q))) / TAIL_MAX : q);
  const Y = (q: number) => MARGIN.top + ph - yOf(q) * ph;
  // grid and axes
  for (const t of logTicks(lo, hi)) {
    body.push(`<line x1="${X(t).toFixed(1)}" y1="${MARGIN.top}" x2="${X(t).toFixed(1)}" y2="${MARGIN.top + ph}" stroke="#e5e5e5"/>`);
    body.push(text(X(t), MARGIN.top + ph + 16, fmt(t), 'text-anchor="middle"'));
  }
  const yTicks: Array<[number, string]> = tail
    ? [[0, '0%'], [0.5, '50%'], [0.9, '90%'], [0.99, '99%'], [0.999, '99.9%'], [0.9999, '99.99%']]
    : [0, 0.25, 0.5, 0.75, 0.9, 1].map((q) => [q, `${Math.round(q * 100)}%`]);
  for (const [q, label] of yTicks) {
    body.push(`<line x1="${MARGIN.left}" y1="${Y(q).toFixed(1)}" x2="${MARGIN.left + pw}" y2="${Y(q).toFixed(1)}" stroke="#e5e5e5"/>`);
    body.push(text(MARGIN.left - 6, Y(q) + 4, label, 'text-anchor="end"'));
  }
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  body.push(text(MARGIN.left + pw / 2, height - 14, o.xLabel, 'text-anchor="middle"'));
  body.push(text(16, MARGIN.top + ph / 2, tail ? 'percentile (tail scale)' : 'fraction of packets', `text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + ph / 2})"`));
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] > 0 && Number.isFinite(p[0]));
    if (pts.length === 0) return;
    // A CDF is a step function: draw horizontal then vertical segments.
    let d = `M${X(pts[0][0]).toFixed(1)},${Y(0).toFixed(1)}`;
    let prevY = Y(0);
    for (const [x, q] of pts) {
      d += ` L${X(x).toFixed(1)},${prevY.toFixed(1)} L${X(x).toFixed(1)},${Y(q).toFixed(1)}`;
      prevY = Y(q);
    }
    body.push(`<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/>`);
  });
  const names = series.map((s) => s.name);
  const legendW = 40 + Math.max(0, ...names.map((n) => n.length)) * 7;
  body.push(...legend(names, MARGIN.left + pw - legendW - 8, MARGIN.top + ph - names.length * 16 - 4));
  return frame(width, height, o.title, body);
}

/** A vertical bar chart with the value printed on each bar and dashed reference lines. */
export function barChart(bars: readonly Bar[], o: BarOptions): string {
  const width = o.width ?? Math.max(420, 120 + bars.length * 110);
  const height = o.height ?? 400;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const refs = o.refs ?? [];
  const values = [...bars.map((b) => b.value), ...refs.map((r) => r.value)].filter((v) => Number.isFinite(v) && v > 0);
  const body: string[] = [];
  const maxV = values.length ? Math.max(...values) : 1;
  let Y: (v: number) => number;
  let ticks: number[];
  if (o.logY && values.length) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
    const hi = 10 ** Math.ceil(Math.log10(maxV));
    Y = (v) => MARGIN.top + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
    ticks = logTicks(lo, hi);
  } else {
    ticks = linearTicks(maxV * 1.1);
    const top = ticks[ticks.length - 1];
    Y = (v) => MARGIN.top + ph - (Math.max(0, v) / top) * ph;
  }
  for (const t of ticks) {
    body.push(`<line x1="${MARGIN.left}" y1="${Y(t).toFixed(1)}" x2="${MARGIN.left + pw}" y2="${Y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    body.push(text(MARGIN.left - 6, Y(t) + 4, fmt(t), 'text-anchor="end"'));
  }
  const slot = pw / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const x = MARGIN.left + i * slot + slot * 0.2;
    const w = slot * 0.6;
    if (Number.isFinite(b.value) && b.value > 0) {
      const y = Y(b.value);
      body.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${(MARGIN.top + ph - y).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"/>`);
      body.push(text(x + w / 2, y - 5, b.text ?? fmt(b.value), 'text-anchor="middle"'));
    } else {
      body.push(text(x + w / 2, MARGIN.top + ph - 6, b.text ?? 'n/a', 'text-anchor="middle" fill="#888"'));
    }
    body.push(text(x + w / 2, MARGIN.top + ph + 16, b.label, 'text-anchor="middle"'));
  });
  for (const r of refs) {
    if (!(Number.isFinite(r.value) && r.value > 0)) continue;
    const y = Y(r.value);
    body.push(`<line x1="${MARGIN.left}" y1="${y.toFixed(1)}" x2="${MARGIN.left + pw}" y2="${y.toFixed(1)}" stroke="#555" stroke-dasharray="5,4"/>`);
    body.push(text(MARGIN.left + pw - 4, y - 4, r.label, 'text-anchor="end" fill="#555" font-size="11"'));
  }
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  body.push(text(16, MARGIN.top + ph / 2, o.yLabel, `text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + ph / 2})"`));
  return frame(width, height, o.title, body);
}
