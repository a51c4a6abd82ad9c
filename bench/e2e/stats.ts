// Percentiles and medians for the end-to-end benchmark (bench/e2e/measure-*.ts and report.ts).
// Percentiles use the nearest-rank method on sorted samples, so p99.9 of 2000 samples is the 1998th.

export interface LatencyStats {
  /** Replies received (samples). */
  count: number;
  /** Requests without a reply. */
  lost: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

/** Nearest-rank percentile of ascending-sorted values (q in 0..1). */
export function percentileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function latencyStats(samplesUs: readonly number[], lost: number): LatencyStats {
  const s = [...samplesUs].sort((a, b) => a - b);
  return {
    count: s.length,
    lost,
    p50: percentileSorted(s, 0.5),
    p90: percentileSorted(s, 0.9),
    p99: percentileSorted(s, 0.99),
    p999: percentileSorted(s, 0.999),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/** Median of the finite values (mean of the middle two for an even count); NaN if none. */
export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Element-wise median of several LatencyStats (one per round). */
export function medianLatency(rounds: readonly LatencyStats[]): LatencyStats {
  return {
    count: median(rounds.map((r) => r.count)),
    lost: median(rounds.map((r) => r.lost)),
    p50: median(rounds.map((r) => r.p50)),
    p90: median(rounds.map((r) => r.p90)),
    p99: median(rounds.map((r) => r.p99)),
    p999: median(rounds.map((r) => r.p999)),
    max: median(rounds.map((r) => r.max)),
  };
}

/** A compact CDF: `points` (value, fraction) pairs at evenly spaced ranks plus the tail ranks. */
export function cdfPoints(samples: readonly number[], points = 200): Array<[number, number]> {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return [];
  const qs = new Set<number>();
  for (let i = 1; i <= points; i++) qs.add(i / points);
  for (const q of [0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999]) qs.add(q);
  return [...qs].sort((a, b) => a - b).map((q) => [percentileSorted(s, q), q]);
}
