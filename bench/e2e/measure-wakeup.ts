// The machine's floor for any path that sleeps: how late a thread that sleeps for the ping interval
// wakes up. `cyclictest` (rt-tests) with one SCHED_OTHER thread at nice 0, like the switches, and
// --default-system so it does not pin /dev/cpu_dma_latency or otherwise tune the machine the paths
// run on. Every userspace path wakes at least one sleeping thread per round trip (tinc and tsnet
// both, the UDP echo server for udpRr), so this single wake-up's tail is a floor for their tails;
// the kernel paths' ping is answered inside ping's own sendto and never waits for a wake-up.
import { run } from './proc.js';
import { latencyStats, type LatencyStats } from './stats.js';

// Our choice: histogram range in us (1 us buckets); a wake-up later than this counts at the run's
// max, which cyclictest reports exactly.
const HISTOGRAM_RANGE_US = 50_000;

const BUCKET_LINE = /^(\d+)\s+(\d+)\s*$/;
const OVERFLOW_LINE = /^# Histogram Overflows:\s*(\d+)/m;
const MAX_LINE = /^# Max Latencies:\s*(\d+)/m;

/** Wake-up latencies (us) out of cyclictest's -h output: one sample per wake-up, the overflows at the max. */
export function parseCyclictest(out: string): number[] {
  const samples: number[] = [];
  for (const line of out.split('\n')) {
    const m = BUCKET_LINE.exec(line);
    if (!m) continue;
    const us = Number(m[1]);
    for (let n = Number(m[2]); n > 0; n--) samples.push(us);
  }
  const overflows = Number(OVERFLOW_LINE.exec(out)?.[1] ?? 0);
  const max = Number(MAX_LINE.exec(out)?.[1] ?? NaN);
  for (let n = 0; n < overflows && Number.isFinite(max); n++) samples.push(max);
  return samples;
}

/** `count` wake-ups at `intervalUs`; null when cyclictest is not installed (apt-get install rt-tests). */
export async function wakeupLatency(count: number, intervalUs: number): Promise<LatencyStats | null> {
  const args = ['--default-system', '-q', '-m', '-t', '1', '-i', String(intervalUs), '-l', String(count), '-h', String(HISTOGRAM_RANGE_US)];
  let r;
  try {
    r = await run('cyclictest', args, (count * intervalUs) / 1000 + 30_000);
  } catch {
    return null;
  }
  const samples = parseCyclictest(r.stdout);
  if (r.code !== 0 || samples.length === 0) return null;
  return latencyStats(samples, 0);
}
