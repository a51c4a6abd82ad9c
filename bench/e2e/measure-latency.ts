// Latency measurements of the end-to-end benchmark, all run from container A towards container B:
// ping with per-packet times parsed from its output, the raw-socket prober (bench/prober.ts) and the
// UDP request/response client (udp-rr-client.ts) against the echo server in B.
import { internal } from '../../src/errors.js';
import { run, runOk, startDaemon, type Daemon } from './proc.js';
import { latencyStats, type LatencyStats } from './stats.js';
import { INNER_B, inContainer, type Topology } from './topology.js';
import { distFile } from './where.js';

// Our choice: ping interval (root may go lower, 2 ms keeps the path idle between probes) and the
// UDP port of the echo server.
export const PING_INTERVAL_S = 0.002;
export const UDP_ECHO_PORT = 7777;
// Our choice: a probe with no reply after this long counts as lost (the prober and UDP client move on).
export const LOSS_TIMEOUT_MS = 200;

export interface LatencyRun {
  stats: LatencyStats;
  samplesUs: number[];
  /** ping only: the CPU ping itself used, in cores (CPU seconds per second of the run) */
  clientCores?: number;
}

/** ping in bash, which prints its children's CPU times (`times`, second line) to stderr after it. */
const PING_WITH_TIMES = 'ping "$@"; rc=$?; times >&2; exit $rc';

/** The children's user + system CPU seconds from bash's `times` output (its last line, e.g.
 *  "0m0.380s 0m0.610s"), or null if it is not there. */
export function parseChildTimes(out: string): number | null {
  const lines = out.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1]?.trim() ?? '');
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

const PING_LINE = /icmp_seq=(\d+) .*time=([\d.]+) ms/;

/** Parses per-packet RTTs (us) out of ping's output, ignoring duplicates. */
export function parsePing(out: string): number[] {
  const seen = new Set<number>();
  const rtt: number[] = [];
  for (const line of out.split('\n')) {
    const m = PING_LINE.exec(line);
    if (!m || line.includes('DUP!') || seen.has(Number(m[1]))) continue;
    seen.add(Number(m[1]));
    rtt.push(Number(m[2]) * 1000);
  }
  return rtt;
}

export async function pingLatency(t: Topology, size: number, count: number): Promise<LatencyRun> {
  const timeoutMs = count * PING_INTERVAL_S * 1000 * 3 + 30_000;
  const started = performance.now();
  const r = await run('ip', inContainer(t, 'A', 'bash', '-c', PING_WITH_TIMES, 'ping',
    '-n', '-i', String(PING_INTERVAL_S), '-c', String(count), '-s', String(size), '-W', '1', INNER_B), timeoutMs);
  const wallS = (performance.now() - started) / 1000;
  const samples = parsePing(r.stdout);
  if (samples.length === 0) throw internal('EBENCH_PING', `ping over ${t.path} got no reply: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  const cpuS = parseChildTimes(r.stderr);
  return { stats: latencyStats(samples, count - samples.length), samplesUs: samples, ...(cpuS === null ? {} : { clientCores: cpuS / wallS }) };
}

interface SampleJson {
  sent: number;
  received: number;
  rttUs: number[];
}

function parseSamples(tool: string, out: string): SampleJson {
  try {
    const j = JSON.parse(out) as SampleJson;
    if (Array.isArray(j.rttUs)) return j;
  } catch {
    /* fall through */
  }
  throw internal('EBENCH_OUTPUT', `${tool} printed no result: ${out.trim().slice(-300)}`);
}

export async function proberLatency(t: Topology, size: number, count: number): Promise<LatencyRun> {
  const out = await runOk('ip', inContainer(t, 'A', process.execPath, distFile('bench', 'prober.js'), '--dst', INNER_B, '--count', String(count), '--size', String(size), '--timeout-ms', String(LOSS_TIMEOUT_MS)), count * 20 + 60_000);
  const j = parseSamples('prober', out);
  return { stats: latencyStats(j.rttUs, j.sent - j.received), samplesUs: j.rttUs };
}

/** Starts the UDP echo server in container B; stop it with the returned daemon. */
export async function startUdpEcho(t: Topology): Promise<Daemon> {
  const d = startDaemon(`udp echo (${t.path})`, 'ip', inContainer(t, 'B', process.execPath, distFile('bench', 'e2e', 'udp-echo-server.js'), '--port', String(UDP_ECHO_PORT)));
  await d.waitForOutput(/ready/, 15_000);
  return d;
}

export async function udpRrLatency(t: Topology, count: number): Promise<LatencyRun> {
  const out = await runOk('ip', inContainer(t, 'A', process.execPath, distFile('bench', 'e2e', 'udp-rr-client.js'), '--dst', INNER_B, '--port', String(UDP_ECHO_PORT), '--count', String(count), '--timeout-ms', String(LOSS_TIMEOUT_MS)), count * 20 + 60_000);
  const j = parseSamples('udp-rr-client', out);
  return { stats: latencyStats(j.rttUs, j.sent - j.received), samplesUs: j.rttUs };
}
