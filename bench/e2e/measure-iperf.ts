// Throughput and packet-rate measurements of the end-to-end benchmark with iperf3 (client in
// container A, server in container B): TCP bits/s, and 64-byte UDP at full speed (-b 0) with the
// receiver's packets/s and loss, where the lost ones were dropped (loss-stages.ts), plus CPU time per
// packet of the switching processes and the machine.
import { internal } from '../../src/errors.js';
import { processCpuUs, machineCpu } from './cpu.js';
import { lossStages, readLossCounters, type LossStage } from './loss-stages.js';
import { run, startDaemon, type Daemon } from './proc.js';
import type { SwitchProcess } from './paths/index.js';
import { INNER_B, inContainer, type Topology } from './topology.js';

// Our choice: iperf3 port and the UDP payload length of the packet-rate run (64 B from the issue).
export const IPERF_PORT = 5201;
export const PPS_PAYLOAD = 64;

export async function startIperfServer(t: Topology): Promise<Daemon> {
  const d = startDaemon(`iperf3 server (${t.path})`, 'ip', inContainer(t, 'B', 'iperf3', '-s', '--forceflush', '-p', String(IPERF_PORT)));
  await d.waitForOutput(/Server listening/, 15_000);
  return d;
}

interface IperfSum {
  seconds: number;
  bytes: number;
  bits_per_second: number;
  packets?: number;
  lost_packets?: number;
  lost_percent?: number;
}
interface IperfJson {
  error?: string;
  end?: { sum_received?: IperfSum; sum_sent?: IperfSum; sum?: IperfSum };
}

/** Runs the iperf3 client in container A; retries once (the server may still be busy with the last test). */
async function iperfClient(t: Topology, args: string[], seconds: number): Promise<IperfJson> {
  let last = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = await run('ip', inContainer(t, 'A', 'iperf3', '-c', INNER_B, '-p', String(IPERF_PORT), '-J', '-t', String(seconds), ...args), seconds * 1000 + 30_000);
    try {
      const j = JSON.parse(r.stdout) as IperfJson;
      if (!j.error && j.end?.sum_received) return j;
      last = j.error ?? 'no receiver summary';
    } catch {
      last = (r.stderr || r.stdout).trim().slice(-300);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw internal('EBENCH_IPERF', `iperf3 over ${t.path} failed: ${last}`);
}

/** TCP throughput in Gbit/s as seen by the receiver. */
export async function tcpThroughput(t: Topology, seconds: number): Promise<number> {
  const j = await iperfClient(t, [], seconds);
  return j.end!.sum_received!.bits_per_second / 1e9;
}

export interface PacketRate {
  /** Packets per second delivered to the receiver. */
  pps: number;
  sentPps: number;
  lostPct: number;
  /** Datagrams the receiver accounted for (received + lost by sequence number). */
  packets: number;
  delivered: number;
  /** utime+stime of all switching processes per delivered packet, or null when there are none. */
  switchCpuUsPerPkt: number | null;
  /** Per host: that host's switch CPU per packet it handled (A: sent, B: delivered). */
  switchCpuUsPerPktA: number | null;
  switchCpuUsPerPktB: number | null;
  /** Whole-machine softirq and busy time per delivered packet (includes iperf3 itself). */
  softirqUsPerPkt: number;
  machineCpuUsPerPkt: number;
  /** Packets counted lost at each stage (kernel counters before and after the run). */
  lostAt: Record<LossStage, number>;
}

export async function udpPacketRate(t: Topology, seconds: number, switches: readonly SwitchProcess[]): Promise<PacketRate> {
  const cpu0 = switches.map((s) => processCpuUs(s.pid));
  const m0 = machineCpu();
  const drops0 = readLossCounters(t);
  const j = await iperfClient(t, ['-u', '-b', '0', '-l', String(PPS_PAYLOAD)], seconds);
  const drops1 = readLossCounters(t);
  const m1 = machineCpu();
  const cpu1 = switches.map((s) => processCpuUs(s.pid));
  const rx = j.end!.sum_received!;
  const packets = rx.packets ?? 0;
  const lost = rx.lost_packets ?? 0;
  const delivered = packets - lost;
  const tx = j.end!.sum_sent;
  const cpuOf = (host: 'A' | 'B') =>
    switches.reduce((acc, s, i) => (s.host === host ? acc + (cpu1[i] - cpu0[i]) : acc), 0);
  const perPkt = (us: number, n: number) => (n > 0 ? us / n : NaN);
  const hasSwitch = switches.length > 0;
  return {
    pps: delivered / rx.seconds,
    sentPps: tx?.packets && tx.seconds ? tx.packets / tx.seconds : packets / rx.seconds,
    lostPct: rx.lost_percent ?? (packets > 0 ? (100 * lost) / packets : NaN),
    packets,
    delivered,
    switchCpuUsPerPkt: hasSwitch ? perPkt(cpuOf('A') + cpuOf('B'), delivered) : null,
    switchCpuUsPerPktA: hasSwitch ? perPkt(cpuOf('A'), tx?.packets ?? packets) : null,
    switchCpuUsPerPktB: hasSwitch ? perPkt(cpuOf('B'), delivered) : null,
    softirqUsPerPkt: perPkt(m1.softirqUs - m0.softirqUs, delivered),
    machineCpuUsPerPkt: perPkt(m1.busyUs - m0.busyUs, delivered),
    lostAt: lossStages(drops0, drops1, lost),
  };
}
