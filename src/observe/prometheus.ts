// Writes the Prometheus text exposition format (version 0.0.4): families with # HELP and # TYPE,
// samples with escaped label values, histograms as _bucket{le=...}/_sum/_count. Used by the
// daemon's /metrics endpoint (src/daemon/metrics.ts). Pure: builds a string.

// ---- from the spec (Prometheus "Exposition formats", text format 0.0.4) ----
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function fmtLabels(l: Labels): string {
  const keys = Object.keys(l);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(l[k]!)}"`).join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Family {
  type: MetricType;
  help: string;
  lines: string[];
}

export class MetricsText {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: MetricType, help: string): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { type, help, lines: [] };
      this.families.set(name, f);
    }
    return f;
  }

  /** One sample of a counter or gauge. */
  add(name: string, type: 'counter' | 'gauge', help: string, labels: Labels, value: number): this {
    this.family(name, type, help).lines.push(`${name}${fmtLabels(labels)} ${fmtValue(value)}`);
    return this;
  }

  /** One histogram: cumulative counts per upper bound (same length as bounds), total count and sum. */
  histogram(name: string, help: string, labels: Labels, bounds: readonly number[], cumulative: ArrayLike<number>, count: number, sum: number): this {
    const f = this.family(name, 'histogram', help);
    for (let i = 0; i < bounds.length; i++) {
      f.lines.push(`${name}_bucket${fmtLabels({ ...labels, le: fmtValue(bounds[i]!) })} ${fmtValue(cumulative[i]!)}`);
    }
    f.lines.push(`${name}_bucket${fmtLabels({ ...labels, le: '+Inf' })} ${fmtValue(count)}`);
    f.lines.push(`${name}_sum${fmtLabels(labels)} ${fmtValue(sum)}`);
    f.lines.push(`${name}_count${fmtLabels(labels)} ${fmtValue(count)}`);
    return this;
  }

  /** Declares a family with no samples yet (so # HELP/# TYPE appear even with no networks). */
  declare(name: string, type: MetricType, help: string): this {
    this.family(name, type, help);
    return this;
  }

  toString(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines);
    }
    return out.join('\n') + '\n';
  }
}
