// Writes the end-to-end benchmark's results (bench/e2e/run.ts calls it): e2e.json with everything,
// e2e.md with a metric x path table (medians over rounds), the issue's reference numbers, tsnet's goals
// with met / not met, machine info and links to the charts. Also prints the goals to stdout.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from '../plot.js';
import { ISSUE_REFERENCE, LATENCY_KINDS, type BenchReport, type PathSummary } from './results.js';
import { LATENCY_KEYS } from './stats.js';
import { FIRST_ROUND_WARMUP_PINGS, WARMUP_PINGS } from './options.js';
import { PING_INTERVAL_S } from './measure-latency.js';
import { LONG_RUN_US } from './measure-interruptions.js';
import { LOSS_STAGES, LOSS_STAGE_TITLES } from './loss-stages.js';

const KEY_NAMES: Record<(typeof LATENCY_KEYS)[number], string> = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9', max: 'max' };

function cell(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : fmt(v);
}

function refCell(v: number | undefined): string {
  return v === undefined ? '' : fmt(v);
}

function metricRows(measured: readonly PathSummary[]): string[][] {
  const rows: string[][] = [];
  for (const kind of LATENCY_KINDS) {
    for (const k of LATENCY_KEYS) {
      const ref = kind === 'ping56' && k === 'p50' ? 'pingP50Us' : kind === 'ping56' && k === 'p999' ? 'pingP999Us' : undefined;
      rows.push([
        `${kind} ${KEY_NAMES[k]} (us)`,
        ...measured.map((p) => cell(p.latency?.[kind][k])),
        refCell(ref && ISSUE_REFERENCE.tinc[ref]),
        refCell(ref && ISSUE_REFERENCE.kernel[ref]),
      ]);
    }
    rows.push([`${kind} lost (of ${fmt(medianCount(measured, kind))})`, ...measured.map((p) => cell(p.latency?.[kind].lost)), '', '']);
  }
  rows.push(["ping's own CPU during ping56 (cores)", ...measured.map((p) => cell(p.pingCores)), '', '']);
  rows.push(['TCP throughput (Gbit/s)', ...measured.map((p) => cell(p.tcpGbps)), fmt(ISSUE_REFERENCE.tinc.tcpGbps), fmt(ISSUE_REFERENCE.kernel.tcpGbps)]);
  rows.push(['UDP, UDP_SEGMENT sender, 1400 B, received (Gbit/s)', ...measured.map((p) => cell(p.udpGsoGbps)), '', '']);
  rows.push(['UDP, UDP_SEGMENT sender, sent (Gbit/s)', ...measured.map((p) => cell(p.udpGsoSentGbps)), '', '']);
  rows.push(['UDP 64 B received (pps)', ...measured.map((p) => cell(p.pps)), fmt(ISSUE_REFERENCE.tinc.pps), fmt(ISSUE_REFERENCE.kernel.pps)]);
  rows.push(['UDP 64 B sent (pps)', ...measured.map((p) => cell(p.sentPps)), '', '']);
  rows.push(['UDP 64 B lost (%)', ...measured.map((p) => cell(p.lostPct)), '', '']);
  rows.push(['switch CPU per packet (us)', ...measured.map((p) => cell(p.switchCpuUsPerPkt)), '', '']);
  rows.push(['machine softirq per packet (us)', ...measured.map((p) => cell(p.softirqUsPerPkt)), '', '']);
  rows.push(['machine busy CPU per packet (us)', ...measured.map((p) => cell(p.machineCpuUsPerPkt)), '', '']);
  return rows;
}

function medianCount(measured: readonly PathSummary[], kind: (typeof LATENCY_KINDS)[number]): number {
  const c = measured.map((p) => (p.latency ? p.latency[kind].count + p.latency[kind].lost : NaN)).filter(Number.isFinite);
  return c.length ? Math.max(...c) : NaN;
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function renderMarkdown(r: BenchReport, charts: readonly string[]): string {
  const measured = r.paths.filter((p) => p.status === 'measured');
  const m = r.machine;
  const o = r.options;
  const lines: string[] = [
    `# tsnet end-to-end benchmark${o.quick ? ' (quick mode: smoke test, small counts)' : ''}`,
    '',
    `Date: ${m.date}. Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.tinc}, ${m.iperf3}, commit ${m.commit}. ` +
      `Load average (1 min) ${m.load1Start.toFixed(2)} at start, ${m.load1End.toFixed(2)} at end (the end value includes the bench's own load)${m.load1Start > 0.5 ? '; other work was running at the start, expect noise' : ''}.`,
    '',
    `Run: ${o.rounds} round(s), paths alternating ${o.paths.join(' ')}; per round ${o.pingCount} pings per size, ${o.probes} prober and UDP probes, iperf3 ${o.seconds} s per run. ` +
      `Every number is the median over rounds of that round's value. Underlay MTU ${r.topology.underlayMtu}, container MTU ${r.topology.innerMtu}, VNI ${r.topology.vni}, UDP ${r.topology.vxlanPort}. ` +
      placementNote(o.hostCpus),
    '',
    '## Paths',
    '',
    ...r.paths.map((p) => `- **${p.path}**: ${p.label}${p.status === 'measured' ? '' : ` — **${p.status}**: ${p.reason ?? ''}`}`),
    '',
    '## Results (medians over rounds)',
    '',
    ...table(['metric', ...measured.map((p) => p.path), 'issue: tinc', 'issue: kernel'], metricRows(measured)),
    '',
    ...lossSection(measured),
    ...wakeupSection(r),
    ...interruptionsSection(r),
    '## Rounds (ping56 p50, us)',
    '',
    ...roundsTable(r),
    '',
    '## tsnet goals (from the issue; reported, not asserted)',
    '',
    ...table(['goal', 'measured', 'result'], r.goals.map((g) => [g.name, g.detail, g.met === null ? 'not measured' : g.met ? 'met' : 'not met'])),
    '',
    '## Charts',
    '',
    ...charts.filter((c) => c.endsWith('.svg')).map((c) => `![${c}](${c})`),
    '',
    '## How it is measured',
    '',
    `- ping: \`ping -i 0.002 -c N -s SIZE\` from container A to B; per-packet times parsed from its lines (1 us resolution). iputils ping busy-waits between packets below a 10 ms interval; the CPU it used (bash's \`times\` after it, over the run's wall time) is the row "ping's own CPU during ping56". Each round starts with warm-up pings at the same interval (${FIRST_ROUND_WARMUP_PINGS} before the first round, ${WARMUP_PINGS} before the others; not recorded).`,
    '- prober: bench/prober.ts, raw ICMP socket in container A, process.hrtime.bigint() just before sendto and on reply, next request as soon as the reply arrives.',
    '- UDP request/response: node client in A, echo server in B, 64 B datagrams one at a time, hrtime stamps.',
    '- TCP: `iperf3 -c -t S -J`, receiver bits_per_second. Packet rate: `iperf3 -u -b 0 -l 64 -t S -J`, receiver packets/s = (packets - lost) / seconds.',
    '- Switch CPU per packet: utime+stime of both switching processes (/proc/PID/stat) over the packet-rate run divided by the packets delivered; n/a for kernel paths. ' +
      'Machine softirq and busy CPU per packet: /proc/stat deltas over the same run (include iperf3 and the kernel stack, so compare them between paths only).',
    '',
  ];
  return lines.join('\n');
}

/** One sentence on where the two hosts' processes ran. */
function placementNote(cpus: { A: string; B: string } | null | undefined): string {
  return cpus
    ? `Hosts pinned (--pin-hosts): host A's switch and container A's processes on CPU ${cpus.A}, host B's on CPU ${cpus.B}, for every path.`
    : 'Hosts not pinned: the scheduler placed both hosts\' processes on any CPU (both switches may share one; --pin-hosts keeps them apart).';
}

/** Where the 64 B packet-rate run lost its packets (loss-stages.ts), per path. */
function lossSection(measured: readonly PathSummary[]): string[] {
  const withStages = measured.filter((p) => p.lostAtPct);
  if (!withStages.length) return [];
  return [
    '## Where the 64 B packets were lost (% of the packets sent, median over rounds)',
    '',
    'Kernel counters read in the two containers before and after each packet-rate run, in inner packets for every path: container A\'s link refused the packet (its queue was full: the switch, tinc or the bridge did not take it in time), ' +
      'it left container A\'s link and never reached container B (lost in the switches, the tunnel or the underlay; what reached B is counted in datagrams at its UDP layer, since tsnet may write several as one super-frame), container B\'s link dropped it, or container B\'s UDP socket was full (the receiving iperf3 did not keep up). ' +
      'With iperf3 sending as fast as it can, every path loses packets somewhere; where shows which part ran out of CPU first.',
    '',
    ...table(['path', 'lost in all', ...LOSS_STAGES.map((s) => LOSS_STAGE_TITLES[s])], withStages.map((p) => [p.path, cell(p.lostPct), ...LOSS_STAGES.map((s) => cell(p.lostAtPct![s]))])),
    '',
  ];
}

/** The machine's wake-up latency (measure-wakeup.ts): per round and the median, with what it means. */
function wakeupSection(r: BenchReport): string[] {
  const w = r.wakeup;
  if (!w) return ['## The machine\'s wake-up floor', '', 'Not measured: cyclictest (rt-tests) is not installed.', ''];
  const rows = LATENCY_KEYS.map((k) => [`${KEY_NAMES[k]} (us)`, ...w.rounds.map((x) => cell(x[k])), cell(w.median[k])]);
  return [
    '## The machine\'s wake-up floor',
    '',
    `How late one thread wakes after sleeping ${PING_INTERVAL_S * 1000} ms (the ping interval): \`cyclictest --default-system -t 1 -i ${PING_INTERVAL_S * 1e6}\`, ` +
      `SCHED_OTHER at nice 0 like the switches, ${fmt(w.median.count)} wake-ups per round, run alone at the start of each round. ` +
      'Every userspace path wakes at least one sleeping thread per round trip (the switches, tinc, the UDP echo server), so none of them can be expected to have a tail below this one; ' +
      "the kernel paths' ping is answered inside ping's own sendto and waits for no wake-up. " +
      "The p50 includes the kernel's 50 us timer slack for normal threads (an I/O wake-up has none); the tail is the machine's.",
    '',
    ...table(['wake-up latency', ...w.rounds.map((_, i) => `round ${i + 1}`), 'median'], rows),
    '',
  ];
}

/** Other tasks' long runs on the CPUs during each ping56 run (measure-interruptions.ts), per path and
 *  round, and the tasks behind them over the whole run. */
function interruptionsSection(r: BenchReport): string[] {
  const traced = r.rounds.filter((x) => x.interruptions);
  const head = `## Other tasks holding a CPU during ping56 (runs >= ${LONG_RUN_US} us)`;
  if (traced.length === 0) return [head, '', 'Not measured: tracefs (/sys/kernel/tracing) is not available.', ''];
  const rounds = [...new Set(r.rounds.map((x) => x.round))].sort((a, b) => a - b);
  const paths = [...new Set(traced.map((x) => x.path))];
  const rows = paths.map((p) => [p, ...rounds.map((n) => {
    const i = traced.find((x) => x.path === p && x.round === n)?.interruptions;
    return i ? `${i.longRuns} (${i.displacing} preempting), longest ${fmt(i.longestUs)} us` : '';
  })]);
  const byTask = new Map<string, { runs: number; longestUs: number; totalMs: number }>();
  for (const t of traced.flatMap((x) => x.interruptions!.tasks)) {
    const a = byTask.get(t.comm) ?? { runs: 0, longestUs: 0, totalMs: 0 };
    byTask.set(t.comm, { runs: a.runs + t.runs, longestUs: Math.max(a.longestUs, t.longestUs), totalMs: a.totalMs + t.totalMs });
  }
  const top = [...byTask.entries()].sort((a, b) => b[1].totalMs - a[1].totalMs).slice(0, 6);
  return [
    head,
    '',
    'Tasks that are not part of the bench (anything but the switches, ping, tinc, iperf3 and their helpers), recorded with the scheduler\'s ' +
      'sched_switch events in a tracefs instance during each ping56 run: how many of their runs on a CPU lasted at least ' +
      `${LONG_RUN_US} us, how many of those began by preempting a runnable bench task, and the longest. A ping whose path needs a task on that CPU meanwhile ` +
      'waits up to that long, whatever the path (the kernel paths answer ping in softirq and need no task). Once more of these runs hit a path than ' +
      `the tail's share of the pings (p99.9 of ${r.options.pingCount}: ${Math.floor(r.options.pingCount / 1000)}), that tail percentile cannot be below their length.`,
    '',
    ...table(['path', ...rounds.map((n) => `round ${n}`)], rows),
    '',
    `Behind them, over all rounds and paths: ${top.map(([c, t]) => `${c} ${t.runs} run(s), longest ${fmt(t.longestUs)} us`).join('; ') || 'none'}.`,
    '',
  ];
}

/** ping56 p50 of every round per path; for tsnet paths also how many of the round's pings found the
 *  switches polling in a look-ahead window (native/busy_poll.c), host A / host B, and how many came
 *  while busy-polling was in a hold-off (CPU contended: no window opens); or, when fewer than
 *  half the pings started a burst, that the switches kept polling through most gaps (tsnet-poll's
 *  window is longer than the ping interval). */
function roundsTable(r: BenchReport): string[] {
  const rounds = [...new Set(r.rounds.map((x) => x.round))].sort((a, b) => a - b);
  const rows = r.paths
    .filter((p) => p.status !== 'skipped')
    .map((p) => [
      p.path,
      ...rounds.map((n) => {
        const x = r.rounds.find((y) => y.path === p.path && y.round === n);
        if (!x) return '';
        const la = x.lookAhead;
        if (!la) return cell(x.latency.ping56.p50);
        // switches that polled through most gaps between pings saw few bursts to predict
        if (la.burstsA + la.burstsB < la.pings) return `${cell(x.latency.ping56.p50)} (polling through most gaps: ${la.burstsA} / ${la.burstsB} bursts)`;
        return `${cell(x.latency.ping56.p50)} (look-ahead met ${pct(la.hitsA, la.pings)} / ${pct(la.hitsB, la.pings)}, in hold-off ${pct(la.holdoffA, la.pings)} / ${pct(la.holdoffB, la.pings)})`;
      }),
    ]);
  return table(['path', ...rounds.map((n) => `round ${n}`)], rows);
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : 'n/a';
}

export function writeReport(outDir: string, r: BenchReport, charts: readonly string[]): { md: string; json: string } {
  const md = join(outDir, 'e2e.md');
  const json = join(outDir, 'e2e.json');
  // Indented for reading, but each [value, fraction] CDF point kept on one line.
  const text = JSON.stringify(r, null, 1).replace(/\[\s*(-?[\d.e+-]+|null),\s*(-?[\d.e+-]+|null)\s*\]/g, '[$1,$2]');
  writeFileSync(json, text + '\n');
  writeFileSync(md, renderMarkdown(r, charts));
  return { md, json };
}

/** One console line per path and per goal. */
export function printSummary(r: BenchReport): void {
  for (const p of r.paths) {
    if (p.status !== 'measured') {
      console.log(`  ${p.path.padEnd(7)} ${p.status}: ${p.reason ?? ''}`);
      continue;
    }
    const l = p.latency!;
    console.log(
      `  ${p.path.padEnd(7)} ping56 p50 ${cell(l.ping56.p50)} p99.9 ${cell(l.ping56.p999)} us | prober p50 ${cell(l.prober56.p50)} us | ` +
        `udp-rr p50 ${cell(l.udpRr.p50)} us | TCP ${cell(p.tcpGbps)} Gbit/s | ${cell(p.pps)} pps (${cell(p.lostPct)}% lost) | switch ${cell(p.switchCpuUsPerPkt)} us/pkt`,
    );
  }
  if (r.wakeup) console.log(`  machine wake-up after ${PING_INTERVAL_S * 1000} ms asleep (cyclictest): p50 ${cell(r.wakeup.median.p50)} p99 ${cell(r.wakeup.median.p99)} p99.9 ${cell(r.wakeup.median.p999)} us`);
  for (const g of r.goals) console.log(`  goal: ${g.name}: ${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met'} (${g.detail})`);
}
