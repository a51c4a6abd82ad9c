// Where the packets of the 64 B packet-rate run were lost (bench/e2e/measure-iperf.ts), from kernel
// counters read in the two containers just before and after the run, all in inner packets whatever
// the path: container A's link refused them (its queue was full: the switch, tinc or the bridge did
// not take them in time), they left container A's link but never reached container B (lost in
// the switches, the tunnel or the underlay, e.g. a tunnel socket that was not drained in time), container
// B's link dropped them, or container B's UDP socket had no room (the receiving iperf3 did not keep
// up: RcvbufErrors). What reached container B is counted in datagrams at its UDP layer (the Udp MIB),
// not in packets at its link: tsnet writes a burst of one flow's datagrams as one UDP_L4 super-frame,
// one packet for the link, which B's kernel cuts apart before UDP counts them. What the counters do
// not explain is reported as such. Link statistics and the UDP MIB are per network namespace, so
// each path's are its own.
import { sh } from './proc.js';
import type { Topology } from './topology.js';

export const LOSS_STAGES = ['sendingLink', 'betweenLinks', 'receivingLink', 'receiverSocket', 'unaccounted'] as const;
export type LossStage = (typeof LOSS_STAGES)[number];

export const LOSS_STAGE_TITLES: Record<LossStage, string> = {
  sendingLink: "container A's link refused",
  betweenLinks: 'between the containers (switches, tunnel, underlay)',
  receivingLink: "container B's link dropped",
  receiverSocket: "container B's UDP socket full",
  unaccounted: 'not in these counters',
};

export interface LossCounters {
  /** Container A, every link but lo: packets sent and packets dropped on transmit. */
  txPacketsA: number;
  txDroppedA: number;
  /** Container B, every link but lo: packets dropped on receive. */
  rxDroppedB: number;
  /** Container B's Udp MIB: datagrams that reached its UDP layer (InDatagrams + InErrors + NoPorts),
   *  and those of them dropped for want of receive-buffer room (RcvbufErrors, also in InErrors). */
  udpArrivedB: number;
  udpRcvbufErrorsB: number;
}

export interface UdpMib {
  inDatagrams: number;
  noPorts: number;
  inErrors: number;
  rcvbufErrors: number;
}

/** The Udp MIB counters we use from /proc/net/snmp text (0 when absent; UdpLite left out). */
export function parseUdpMib(snmp: string): UdpMib {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Udp: '));
  const names = lines[0]?.trim().split(/\s+/).slice(1) ?? [];
  const values = lines[1]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const get = (name: string) => {
    const i = names.indexOf(name);
    return i < 0 ? 0 : values[i] ?? 0;
  };
  return { inDatagrams: get('InDatagrams'), noPorts: get('NoPorts'), inErrors: get('InErrors'), rcvbufErrors: get('RcvbufErrors') };
}

export interface LinkTotals {
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  txDropped: number;
}

/** Packet and drop counts summed over the links of `ip -s -j link show` output, loopback left out. */
export function parseLinkTotals(json: string): LinkTotals {
  type Link = { ifname?: string; stats64?: { rx?: { packets?: number; dropped?: number }; tx?: { packets?: number; dropped?: number } } };
  const t: LinkTotals = { rxPackets: 0, rxDropped: 0, txPackets: 0, txDropped: 0 };
  for (const l of JSON.parse(json) as Link[]) {
    if (l.ifname === 'lo') continue;
    t.rxPackets += l.stats64?.rx?.packets ?? 0;
    t.rxDropped += l.stats64?.rx?.dropped ?? 0;
    t.txPackets += l.stats64?.tx?.packets ?? 0;
    t.txDropped += l.stats64?.tx?.dropped ?? 0;
  }
  return t;
}

function linkTotals(ns: string): LinkTotals {
  return parseLinkTotals(sh('ip', ['-n', ns, '-s', '-j', 'link', 'show']));
}

export function readLossCounters(t: Topology): LossCounters {
  const a = linkTotals(t.cA);
  const b = linkTotals(t.cB);
  const udp = parseUdpMib(sh('ip', ['netns', 'exec', t.cB, 'cat', '/proc/net/snmp']));
  return {
    txPacketsA: a.txPackets,
    txDroppedA: a.txDropped,
    rxDroppedB: b.rxDropped,
    udpArrivedB: udp.inDatagrams + udp.inErrors + udp.noPorts,
    udpRcvbufErrorsB: udp.rcvbufErrors,
  };
}

/** Packets lost at each stage between two readings; `lost` is what the receiver counted missing. */
export function lossStages(before: LossCounters, after: LossCounters, lost: number): Record<LossStage, number> {
  const d = (k: keyof LossCounters) => Math.max(0, after[k] - before[k]);
  const known = {
    sendingLink: d('txDroppedA'),
    betweenLinks: Math.max(0, d('txPacketsA') - d('udpArrivedB') - d('rxDroppedB')),
    receivingLink: d('rxDroppedB'),
    receiverSocket: d('udpRcvbufErrorsB'),
  };
  const sum = known.sendingLink + known.betweenLinks + known.receivingLink + known.receiverSocket;
  return { ...known, unaccounted: Math.max(0, lost - sum) };
}
