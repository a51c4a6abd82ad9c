// Per-switch frame-processing latency, measured per burst without touching the switch: a port's
// sink (the switch) is wrapped by a MeteredSink that notes the time of the first input() of a burst,
// counts the frames, and when the port ends the burst with flush() (which makes the switch write its
// batched output) records (elapsed / frames): the mean processing time per frame of that burst,
// one histogram sample per burst. Two clock reads per burst; nothing allocated per frame.
//
// Samples go to a perf_hooks RecordableHistogram (percentiles for `tsnet stats` and the dashboard)
// and to fixed cumulative buckets (the Prometheus histogram in src/daemon/metrics.ts).
// The meters of a switch hang off the switch object in a WeakMap (data attached to the switch,
// read by the stats view); LatencyMeters.sync() wraps newly attached ports.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { FrameSink, Port } from '../dataplane/port.js';
import type { Switch } from '../dataplane/switch.js';

// ---- our choice ----
/** Bucket upper bounds in nanoseconds for the Prometheus histogram (0.25 us .. 1 ms per frame). */
export const LATENCY_BUCKETS_NS = [250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000, 1_000_000];
/** Histogram range: 1 ns to 10 s, 2 significant figures (1%: finer than the 0.01 us the views show
 *  for anything above 1 us). Reading a percentile walks the histogram's counts, ~3k of them at 2
 *  figures against ~25k at 3, which made each stats or inspect request hold the daemon's thread
 *  (and the frames behind it) ~60 us longer; the mean comes from sumNs (bench/daemon-api-load.ts,
 *  bench/README.md "What the API costs the daemon's data plane"). */
const HIST_LOWEST_NS = 1;
const HIST_HIGHEST_NS = 10_000_000_000;
const HIST_FIGURES = 2;

/** Ports that feed the switch directly when nothing else is said (see LatencyMeters.sync). */
const METERED_KINDS = new Set(['tap', 'pcap-iface', 'memory']);

export class SwitchLatency {
  readonly histogram: RecordableHistogram = createHistogram({ lowest: HIST_LOWEST_NS, highest: HIST_HIGHEST_NS, figures: HIST_FIGURES });
  /** cumulative counts per LATENCY_BUCKETS_NS bound (+Inf is `bursts`) */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_NS.length);
  bursts = 0;
  frames = 0;
  /** sum of the recorded samples, nanoseconds */
  sumNs = 0;

  record(perFrameNs: number, frames: number): void {
    const v = Math.max(HIST_LOWEST_NS, Math.round(perFrameNs));
    this.histogram.record(v);
    this.bursts++;
    this.frames += frames;
    this.sumNs += v;
    const b = this.buckets;
    for (let i = b.length - 1; i >= 0 && v <= LATENCY_BUCKETS_NS[i]!; i--) b[i]!++;
  }

  /** A plain summary in microseconds (for stats views and the dashboard). */
  summary(): LatencySummary {
    const h = this.histogram;
    const us = (ns: number) => Math.round(ns / 10) / 100;
    if (this.bursts === 0) return { bursts: 0, frames: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, maxUs: 0 };
    return {
      bursts: this.bursts,
      frames: this.frames,
      meanUs: us(this.sumNs / this.bursts),
      p50Us: us(h.percentile(50)),
      p90Us: us(h.percentile(90)),
      p99Us: us(h.percentile(99)),
      maxUs: us(h.max),
    };
  }
}

export interface LatencySummary {
  /** samples: one per burst, each the burst's mean time per frame */
  bursts: number;
  frames: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

class MeteredSink implements FrameSink {
  private t0 = 0;
  private n = 0;
  constructor(readonly next: FrameSink, private readonly lat: SwitchLatency) {}

  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet = -1): void {
    if (this.n === 0) this.t0 = performance.now();
    this.n++;
    this.next.input(port, buf, off, len, remote, vnet);
  }

  flush(): void {
    this.next.flush?.();
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    this.lat.record(((performance.now() - this.t0) * 1e6) / n, n);
  }
}

const bySwitch = new WeakMap<Switch, SwitchLatency>();

/** The latency meter of a switch, or undefined if nobody measures it. */
export function latencyOf(sw: Switch): SwitchLatency | undefined {
  return bySwitch.get(sw);
}

/** Latency summary for a stats view: null when the switch is not measured. */
export function latencySummaryOf(sw: Switch): LatencySummary | null {
  return bySwitch.get(sw)?.summary() ?? null;
}

export class LatencyMeters {
  private readonly wrapped = new WeakMap<Port, MeteredSink>();

  /**
   * Measures this switch: wraps the sink of every attached port (again each call, so ports attached
   * since the last call are covered). `sinkFor` says what each port's sink is without the meter
   * (the switch, or a driver's wrapper in front of it such as the overlay's ARP-proxy ingress), or
   * null to leave a port alone; by default ports of kind tap, pcap-iface and memory feed the switch
   * directly and others are left alone. Synchronous: no frame is lost.
   */
  sync(sw: Switch, sinkFor: (port: Port) => FrameSink | null = (p) => (METERED_KINDS.has(p.kind) ? sw : null)): SwitchLatency {
    let lat = bySwitch.get(sw);
    if (lat === undefined) {
      lat = new SwitchLatency();
      bySwitch.set(sw, lat);
    }
    for (const p of sw.ports()) {
      const next = sinkFor(p);
      if (next === null) continue;
      let m = this.wrapped.get(p);
      if (m === undefined || m.next !== next) {
        m = new MeteredSink(next, lat);
        this.wrapped.set(p, m);
      }
      p.setSink(m);
    }
    return lat;
  }
}
