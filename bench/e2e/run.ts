// End-to-end benchmark of the L2 paths between two containers on two "hosts" (namespaces): veth
// (floor), kernel bridge + VXLAN, tinc 1.0 switch mode, tsnet's switch. Builds every path, then runs
// R rounds visiting the paths in turn (A B C D A B C D ...), each round measuring ping, the raw-socket
// prober, UDP request/response, TCP throughput and 64 B UDP packet rate with CPU per packet. Writes
// e2e.md, e2e.json and SVG/PNG charts, and removes every namespace, process and temp dir it made,
// also on SIGINT or failure. Run as root: node dist/bench/e2e/run.js [--quick] (see --help).
import { mkdirSync } from 'node:fs';
import { TsnetError, asTsnetError, forbidden } from '../../src/errors.js';
import { writeCharts } from './charts.js';
import { splitHostCpus, pinProcess, type HostCpus } from './host-cpus.js';
import { load1, machineInfo } from './machine.js';
import { startIperfServer, tcpThroughput, udpPacketRate } from './measure-iperf.js';
import { udpGsoThroughput } from './measure-udp-gso.js';
import { PING_INTERVAL_S, pingLatency, proberLatency, startUdpEcho, udpRrLatency, type LatencyRun } from './measure-latency.js';
import { FIRST_ROUND_WARMUP_PINGS, USAGE, WARMUP_PINGS, parseOptions, type Options } from './options.js';
import { ALL_PATHS, type BenchPath, type PathHandle } from './paths/index.js';
import type { BusyPollCounters } from './paths/path.js';
import { wakeupLatency } from './measure-wakeup.js';
import { LOSS_STAGES, type LossStage } from './loss-stages.js';
import { startInterruptionTrace, type Interruptions } from './measure-interruptions.js';
import { cleanupNow, installCleanupHandlers, run, sh, type Daemon } from './proc.js';
import { LATENCY_KINDS, evaluateGoals, type BenchReport, type LatencyKind, type PathSummary, type RoundResult } from './results.js';
import { printSummary, writeReport } from './report.js';
import { cdfPoints, median, medianLatency, type LatencyStats } from './stats.js';
import { INNER_B, INNER_MTU, UNDERLAY_MTU, VNI, VXLAN_PORT, inContainer, makeTopology, type Topology } from './topology.js';

// Our choice: how long a path may take to pass its first overlay ping.
const READY_TIMEOUT_MS = 30_000;

interface ActivePath {
  path: BenchPath;
  topo: Topology;
  handle: PathHandle;
  helpers: Daemon[];
  rounds: RoundResult[];
  samples: Record<LatencyKind, number[]>;
  failed?: string;
}

function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function waitForOverlay(t: Topology, h: PathHandle): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const dead = h.switches.find((s) => !s.alive());
    if (dead) throw new TsnetError('EBENCH_SWITCH_EXIT', 'unavailable', `the ${t.path} switch on host ${dead.host} exited: ${dead.log().trim().slice(-600)}`);
    const r = await run('ip', inContainer(t, 'A', 'ping', '-n', '-c', '1', '-W', '1', INNER_B), 5000);
    if (r.code === 0) return;
    if (Date.now() > deadline) {
      const logs = h.switches.map((s) => `host ${s.host}: ${s.log().trim().slice(-300)}`).join('; ');
      throw new TsnetError('EBENCH_NOT_READY', 'unavailable', `container A cannot ping B over ${t.path} after ${READY_TIMEOUT_MS / 1000} s${logs ? ` (${logs})` : ''}.`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function setUp(path: BenchPath, cpus: HostCpus | undefined): Promise<ActivePath> {
  const topo = makeTopology(path.id, cpus);
  const handle = await path.setup(topo);
  if (cpus) for (const s of handle.switches) pinProcess(cpus, s.host, s.pid);
  const a: ActivePath = { path, topo, handle, helpers: [], rounds: [], samples: { ping56: [], ping1400: [], prober56: [], prober1400: [], udpRr: [] } };
  try {
    await waitForOverlay(topo, handle);
    a.helpers.push(await startIperfServer(topo), await startUdpEcho(topo));
  } catch (err) {
    await tearDown(a);
    throw err;
  }
  return a;
}

async function tearDown(a: ActivePath): Promise<void> {
  await Promise.all(a.helpers.map((d) => d.stop()));
  await a.handle.stop();
}

function checkSwitches(a: ActivePath, when: string): void {
  for (const s of a.handle.switches) {
    if (!s.alive()) throw new TsnetError('EBENCH_SWITCH_EXIT', 'unavailable', `the ${a.topo.path} switch on host ${s.host} exited ${when}: ${s.log().trim().slice(-600)}`);
  }
}

/** Error text on one line (tool output often spans several). */
function oneLine(err: unknown): string {
  return asTsnetError(err).message.replace(/\s*\n\s*/g, ' / ');
}

async function measureRound(a: ActivePath, round: number, o: Options): Promise<RoundResult> {
  const t = a.topo;
  checkSwitches(a, 'before the round');
  const warmup = round === 1 ? FIRST_ROUND_WARMUP_PINGS : WARMUP_PINGS;
  await run('ip', inContainer(t, 'A', 'ping', '-n', '-q', '-i', String(PING_INTERVAL_S), '-c', String(warmup), '-W', '1', INNER_B), 30_000 + warmup * 10);
  const runs: Record<LatencyKind, () => Promise<LatencyRun>> = {
    ping56: () => pingLatency(t, 56, o.pingCount),
    ping1400: () => pingLatency(t, 1400, o.pingCount),
    prober56: () => proberLatency(t, 56, o.probes),
    prober1400: () => proberLatency(t, 1400, o.probes),
    udpRr: () => udpRrLatency(t, o.probes),
  };
  const latency = {} as RoundResult['latency'];
  let lookAhead: RoundResult['lookAhead'];
  let pingCores: number | undefined;
  let interruptions: Interruptions | null = null;
  for (const kind of LATENCY_KINDS) {
    const before = kind === 'ping56' ? await a.handle.busyPollCounters?.() : undefined;
    const trace = kind === 'ping56' ? startInterruptionTrace() : null;
    const r = await runs[kind]();
    if (trace) interruptions = trace.stop();
    latency[kind] = r.stats;
    a.samples[kind].push(...r.samplesUs);
    if (kind === 'ping56') pingCores = r.clientCores;
    if (before) lookAhead = lookAheadDelta(before, await a.handle.busyPollCounters!(), o.pingCount);
  }
  const tcpGbps = await tcpThroughput(t, o.seconds);
  const packetRate = await udpPacketRate(t, o.seconds, a.handle.switches);
  const udpGso = await udpGsoThroughput(t, o.seconds);
  checkSwitches(a, 'during the round');
  return { path: a.path.id, round, latency, tcpGbps, packetRate, udpGso, ...(pingCores === undefined ? {} : { pingCores }), ...(lookAhead ? { lookAhead } : {}), ...(interruptions ? { interruptions } : {}) };
}

/** Bursts the look-ahead met on each host between two readings of the switches' counters. */
function lookAheadDelta(before: readonly BusyPollCounters[], after: readonly BusyPollCounters[], pings: number): RoundResult['lookAhead'] {
  const delta = (host: 'A' | 'B', k: 'aheadHits' | 'aheadMissHoldoff' | 'aheadBursts') =>
    (after.find((c) => c.host === host)?.[k] ?? 0) - (before.find((c) => c.host === host)?.[k] ?? 0);
  return {
    pings,
    hitsA: delta('A', 'aheadHits'),
    hitsB: delta('B', 'aheadHits'),
    holdoffA: delta('A', 'aheadMissHoldoff'),
    holdoffB: delta('B', 'aheadMissHoldoff'),
    burstsA: delta('A', 'aheadBursts'),
    burstsB: delta('B', 'aheadBursts'),
  };
}

/** Per stage, the median over rounds of the share of sent packets lost there. */
function lostAtPct(r: readonly RoundResult[]): Record<LossStage, number> {
  const out = {} as Record<LossStage, number>;
  for (const stage of LOSS_STAGES) {
    out[stage] = median(r.map((x) => (x.packetRate.packets > 0 ? (100 * x.packetRate.lostAt[stage]) / x.packetRate.packets : NaN)));
  }
  return out;
}

function summarize(a: ActivePath): PathSummary {
  const r = a.rounds;
  const base = { path: a.path.id, label: a.path.label, roundsMeasured: r.length };
  if (r.length === 0) return { ...base, status: 'failed', reason: a.failed ?? 'no round completed' };
  const latency = {} as NonNullable<PathSummary['latency']>;
  const cdf = {} as NonNullable<PathSummary['cdf']>;
  for (const kind of LATENCY_KINDS) {
    latency[kind] = medianLatency(r.map((x) => x.latency[kind]));
    cdf[kind] = cdfPoints(a.samples[kind], 400);
  }
  const sw = r.map((x) => x.packetRate.switchCpuUsPerPkt);
  return {
    ...base,
    status: a.failed ? 'failed' : 'measured',
    ...(a.failed ? { reason: `${a.failed} (after ${r.length} round(s); medians are over those)` } : {}),
    latency,
    tcpGbps: median(r.map((x) => x.tcpGbps)),
    udpGsoGbps: median(r.map((x) => x.udpGso?.gbps ?? NaN)),
    udpGsoSentGbps: median(r.map((x) => x.udpGso?.sentGbps ?? NaN)),
    pps: median(r.map((x) => x.packetRate.pps)),
    sentPps: median(r.map((x) => x.packetRate.sentPps)),
    lostPct: median(r.map((x) => x.packetRate.lostPct)),
    switchCpuUsPerPkt: sw.every((v) => v === null) ? null : median(sw.filter((v): v is number => v !== null)),
    softirqUsPerPkt: median(r.map((x) => x.packetRate.softirqUsPerPkt)),
    ...(r.every((x) => x.pingCores !== undefined) ? { pingCores: median(r.map((x) => x.pingCores!)) } : {}),
    machineCpuUsPerPkt: median(r.map((x) => x.packetRate.machineCpuUsPerPkt)),
    ...(r.every((x) => x.packetRate.lostAt) ? { lostAtPct: lostAtPct(r) } : {}),
    cdf,
  };
}

async function main(): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    const e = asTsnetError(err);
    console.log(e.code === 'EBENCH_HELP' ? USAGE : `bench: ${e.message}`);
    return e.code === 'EBENCH_HELP' ? 0 : 2;
  }
  if (process.getuid?.() !== 0) throw forbidden('EBENCH_ROOT', 'the end-to-end benchmark creates network namespaces: run it as root.');
  for (const tool of ['ip', 'ping', 'iperf3', 'python3']) sh('sh', ['-c', `command -v ${tool} || { echo "${tool} is missing: apt-get install iproute2 iputils-ping iperf3 python3" >&2; exit 1; }`]);
  installCleanupHandlers();
  mkdirSync(o.outDir, { recursive: true });
  const machine = machineInfo();
  const cpus = o.pinHosts ? splitHostCpus() : undefined;
  log(`tsnet e2e bench${o.quick ? ' (quick)' : ''}: ${o.rounds} round(s), paths ${o.paths.join(' ')}, out ${o.outDir}${cpus ? `, host A on CPU ${cpus.A}, host B on CPU ${cpus.B}` : ''}`);

  const summaries = new Map<string, PathSummary>();
  const active: ActivePath[] = [];
  for (const id of o.paths) {
    const path = ALL_PATHS.find((p) => p.id === id)!;
    const why = path.unavailable();
    if (why) {
      log(`${id}: ${o.pathsExplicit ? 'cannot run' : 'skipped'}: ${why}`);
      summaries.set(id, { path: id, label: path.label, status: o.pathsExplicit ? 'failed' : 'skipped', reason: why, roundsMeasured: 0 });
      continue;
    }
    log(`${id}: setting up`);
    try {
      active.push(await setUp(path, cpus));
      log(`${id}: ready`);
    } catch (err) {
      const msg = oneLine(err);
      log(`${id}: setup failed: ${msg}`);
      summaries.set(id, { path: id, label: path.label, status: 'failed', reason: `setup failed: ${msg}`, roundsMeasured: 0 });
    }
  }

  const wakeups: LatencyStats[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const w = await wakeupLatency(o.pingCount, PING_INTERVAL_S * 1e6);
    if (w) {
      wakeups.push(w);
      log(`round ${round}/${o.rounds}: machine wake-up after ${PING_INTERVAL_S * 1000} ms asleep: p50 ${w.p50} us, p99.9 ${w.p999} us (cyclictest)`);
    } else if (round === 1) log('cyclictest (rt-tests) is not installed: no wake-up floor in the report');
    for (const a of active) {
      if (a.failed) continue;
      log(`round ${round}/${o.rounds}: ${a.path.id}`);
      try {
        const r = await measureRound(a, round, o);
        a.rounds.push(r);
        log(`  ${a.path.id}: ping56 p50 ${r.latency.ping56.p50.toFixed(0)} us, TCP ${r.tcpGbps.toFixed(2)} Gbit/s, ${Math.round(r.packetRate.pps)} pps`);
      } catch (err) {
        a.failed = oneLine(err);
        log(`  ${a.path.id}: failed: ${a.failed}`);
        await tearDown(a);
      }
    }
  }
  for (const a of active) {
    if (!a.failed) await tearDown(a);
    summaries.set(a.path.id, summarize(a));
  }
  cleanupNow();

  const paths = o.paths.map((id) => summaries.get(id)!);
  const report: BenchReport = {
    machine: { ...machine, load1End: load1() },
    options: { quick: o.quick, rounds: o.rounds, pingCount: o.pingCount, probes: o.probes, seconds: o.seconds, paths: o.paths, hostCpus: cpus ?? null },
    topology: { underlayMtu: UNDERLAY_MTU, innerMtu: INNER_MTU, vni: VNI, vxlanPort: VXLAN_PORT },
    paths,
    rounds: active.flatMap((a) => a.rounds),
    wakeup: wakeups.length ? { rounds: wakeups, median: medianLatency(wakeups) } : null,
    goals: evaluateGoals(paths, wakeups.length ? medianLatency(wakeups) : null, [...active.flatMap((a) => a.rounds)]),
  };
  const charts = writeCharts(o.outDir, paths, o.png);
  const files = writeReport(o.outDir, report, charts);
  log(`wrote ${files.md}, ${files.json} and ${charts.length} chart file(s)`);
  printSummary(report);
  return paths.some((p) => p.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exit(code);
  },
  (err: unknown) => {
    const e = asTsnetError(err);
    console.error(`bench: ${e.message}`);
    cleanupNow();
    process.exit(e.category === 'forbidden' ? 5 : 1);
  },
);
