// Result shapes of the end-to-end benchmark (filled by run.ts, written by report.ts and charts.ts),
// the reference numbers from the issue and tsnet's goals against the best tinc measured.
import type { PacketRate } from './measure-iperf.js';
import type { Interruptions } from './measure-interruptions.js';
import type { UdpGsoRun } from './measure-udp-gso.js';
import type { LossStage } from './loss-stages.js';
import type { PathId } from './paths/index.js';
import type { LatencyStats } from './stats.js';

export const LATENCY_KINDS = ['ping56', 'ping1400', 'prober56', 'prober1400', 'udpRr'] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

export const LATENCY_TITLES: Record<LatencyKind, string> = {
  ping56: 'ICMP ping, 56 B payload (ping -i 0.002)',
  ping1400: 'ICMP ping, 1400 B payload (ping -i 0.002)',
  prober56: 'ICMP raw-socket prober, 56 B (hrtime, back to back)',
  prober1400: 'ICMP raw-socket prober, 1400 B (hrtime, back to back)',
  udpRr: 'UDP request/response, 64 B (node client/server, hrtime)',
};

export interface RoundResult {
  path: PathId;
  round: number;
  latency: Record<LatencyKind, LatencyStats>;
  tcpGbps: number;
  packetRate: PacketRate;
  /** UDP from a UDP_SEGMENT sender (measure-udp-gso.ts); absent in results from before it existed. */
  udpGso?: UdpGsoRun;
  /** The CPU ping itself used during the ping56 run, in cores (iputils ping busy-waits below 10 ms). */
  pingCores?: number;
  /** tsnet paths: bursts met by a busy-poll look-ahead window during the ping56 run, per host. */
  lookAhead?: { pings: number; hitsA: number; hitsB: number; holdoffA: number; holdoffB: number; burstsA: number; burstsB: number };
  /** Other tasks' long runs on the CPUs during the ping56 run (measure-interruptions.ts); absent without tracefs. */
  interruptions?: Interruptions;
}

export interface PathSummary {
  path: PathId;
  label: string;
  status: 'measured' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  roundsMeasured: number;
  /** Medians over rounds (absent unless measured). */
  latency?: Record<LatencyKind, LatencyStats>;
  tcpGbps?: number;
  /** UDP_SEGMENT sender: Gbit/s received and sent (medians over rounds). */
  udpGsoGbps?: number;
  udpGsoSentGbps?: number;
  pps?: number;
  sentPps?: number;
  lostPct?: number;
  switchCpuUsPerPkt?: number | null;
  softirqUsPerPkt?: number;
  machineCpuUsPerPkt?: number;
  /** ping's own CPU during ping56, cores (median over rounds). */
  pingCores?: number;
  /** Packet-rate run: % of the packets sent that were lost at each stage (median over rounds). */
  lostAtPct?: Record<LossStage, number>;
  /** Pooled over all rounds, compact: [value us, cumulative fraction]. */
  cdf?: Record<LatencyKind, Array<[number, number]>>;
}

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  tinc: string;
  iperf3: string;
  commit: string;
  /** 1-minute load average when the run started and ended (other work on the machine skews results). */
  load1Start: number;
  load1End: number;
}

export interface BenchReport {
  machine: MachineInfo;
  options: {
    quick: boolean;
    rounds: number;
    pingCount: number;
    probes: number;
    seconds: number;
    paths: string[];
    /** --pin-hosts: the CPUs of host A and host B (absent or null: the scheduler placed everything) */
    hostCpus?: { A: string; B: string } | null;
  };
  topology: { underlayMtu: number; innerMtu: number; vni: number; vxlanPort: number };
  paths: PathSummary[];
  rounds: RoundResult[];
  /** The machine's wake-up latency per round and its median (measure-wakeup.ts); null without cyclictest. */
  wakeup: { rounds: LatencyStats[]; median: LatencyStats } | null;
  goals: Goal[];
}

/** Numbers quoted in the issue, for comparison only (never asserted). */
export const ISSUE_REFERENCE = {
  tinc: { pingP50Us: 66, pingP999Us: 1500, tcpGbps: 0.9, pps: 50_000 },
  kernel: { pingP50Us: 14, pingP999Us: 28, tcpGbps: 14, pps: 118_000 },
} as const;

export interface Goal {
  name: string;
  /** What was compared, e.g. "62 us vs 0.75 x 80 us". */
  detail: string;
  met: boolean | null;
}

/** tsnet's goals from the issue, judged on ping 56 B, TCP and 64 B UDP medians, for each tsnet path
 *  measured (its defaults, `tsnet-poll` with a longer busy-poll window, the full daemon, and the daemon with
 *  an encrypted network); names carry the path.
 *  The peer is the best tinc measured for each metric: tinc with its default cipher and digest or
 *  `tinc-plain` with both off, whichever is faster there (the issue: win against the best userspace peer);
 *  the encrypted daemon is held against tinc with its cipher (peersOf). */
export function evaluateGoals(paths: readonly PathSummary[], wakeup: LatencyStats | null, rounds: readonly RoundResult[] = []): Goal[] {
  const get = (id: PathId) => paths.find((p) => p.path === id && p.status === 'measured');
  const variants = (['tsnet', 'tsnet-poll', 'tsnet-daemon', 'tsnet-daemon-sealed'] as const).filter((id) => get(id) !== undefined);
  return (variants.length ? variants : (['tsnet'] as const)).flatMap((id) => {
    const peers = peersOf(id).map(get).filter((p): p is PathSummary => p !== undefined);
    const goals = goalsOf(id, get(id), peers, wakeup);
    const perRound = p50RatiosPerRound(id, peers.map((p) => p.path), rounds);
    if (perRound.length > 1) {
      const met = perRound.filter((r) => r <= 0.75).length;
      const p50Goal = goals.find((g) => g.name.endsWith(P50_GOAL))!;
      p50Goal.detail += `; rounds meeting it: ${met} of ${perRound.length} (x ${perRound.map((r) => r.toFixed(2)).join(', ')})`;
    }
    return goals;
  });
}

/** Per round, a tsnet path's ping56 p50 over the faster tinc's in the same round. */
export function p50RatiosPerRound(id: PathId, peers: readonly PathId[], rounds: readonly RoundResult[]): number[] {
  const out: number[] = [];
  for (const r of rounds) {
    if (r.path !== id) continue;
    const peer = Math.min(...rounds.filter((x) => x.round === r.round && peers.includes(x.path)).map((x) => x.latency.ping56.p50));
    if (Number.isFinite(peer) && peer > 0) out.push(r.latency.ping56.p50 / peer);
  }
  return out;
}

const P50_GOAL = 'ping p50 <= 0.75 x tinc';

/** The userspace peers a tsnet path's goals compare with (paths/tinc.ts): both tincs for paths that
 *  carry frames in the clear, tinc with its cipher and digest for the encrypted daemon. */
export function peersOf(id: PathId): readonly PathId[] {
  return id === 'tsnet-daemon-sealed' ? ['tinc'] : ['tinc', 'tinc-plain'];
}

/** The peer with the best value of one metric (lowest or highest), and that value. */
export function bestPeer(
  peers: readonly PathSummary[],
  value: (p: PathSummary) => number | undefined,
  better: 'lower' | 'higher',
): { path: PathId; value: number } | undefined {
  let best: { path: PathId; value: number } | undefined;
  for (const p of peers) {
    const v = value(p);
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || (better === 'lower' ? v < best.value : v > best.value)) best = { path: p.path, value: v };
  }
  return best;
}

function goalsOf(id: PathId, ts: PathSummary | undefined, peers: readonly PathSummary[], wakeup: LatencyStats | null): Goal[] {
  const f = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const goal = (what: string, a: number | undefined, b: number | undefined, ok: (a: number, b: number) => boolean, detail: string): Goal => {
    const name = `${id}: ${what}`;
    if (!ts) return { name, detail: `${id} path not measured`, met: null };
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return { name, detail: `${detail} (missing data)`, met: null };
    return { name, detail, met: ok(a, b) };
  };
  const tsP50 = ts?.latency?.ping56.p50;
  const tsP999 = ts?.latency?.ping56.p999;
  const p50Peer = bestPeer(peers, (p) => p.latency?.ping56.p50, 'lower');
  const tcpPeer = bestPeer(peers, (p) => p.tcpGbps, 'higher');
  const ppsPeer = bestPeer(peers, (p) => p.pps, 'higher');
  const by = (peer: { path: PathId } | undefined) => (peer ? ` (${peer.path})` : '');
  return [
    goal(P50_GOAL, tsP50, p50Peer?.value, (a, b) => a <= 0.75 * b, `${f(tsP50)} us vs 0.75 x ${f(p50Peer?.value)} us${by(p50Peer)} = ${f((p50Peer?.value ?? NaN) * 0.75)} us`),
    goal('ping p99.9 < 300 us', tsP999, 300, (a, b) => a < b, `${f(tsP999)} us${wakeup ? ` (one wake-up on this machine: p99.9 ${f(wakeup.p999)} us)` : ''}`),
    goal('TCP >= 2 x tinc', ts?.tcpGbps, tcpPeer?.value, (a, b) => a >= 2 * b, `${f(ts?.tcpGbps)} vs 2 x ${f(tcpPeer?.value)} Gbit/s${by(tcpPeer)}`),
    goal('64 B pps >= 1.5 x tinc', ts?.pps, ppsPeer?.value, (a, b) => a >= 1.5 * b, `${f(ts?.pps)} vs 1.5 x ${f(ppsPeer?.value)} pps${by(ppsPeer)}`),
  ];
}
