// The overlay side of the observing tools: `tsnet peers` (each remote VTEP of a network's tunnel
// port with its state, liveness and traffic) and `tsnet capture --underlay` (the VXLAN packets as the
// VTEP sends and receives them). The tunnel port is the network's VxlanPort (src/dataplane/
// vxlan-port.ts), found among the network's extra ports.
//
// Underlay capture joins two observers, both set only while a capture runs: the VTEP's (which
// remote, which UDP port, per packet, no bytes) and the switch's (the inner frame's bytes). Their
// order is fixed by the data path: for a frame leaving through the tunnel, the VTEP reports one
// 'encap' per copy during the port's output() and the switch reports 'forwarded'/'flooded' right
// after; for a frame from the tunnel, the VTEP reports 'decap' and then the switch reports what it
// did with the frame. The outer headers are synthesised (underlay-synth.ts) with the real addresses
// and ports: the source port of a sent packet is the send socket the flow hash picks, as the VTEP does.
import { execFile } from 'node:child_process';
import type { Port, PortCounters } from '../dataplane/port.js';
import type { Switch } from '../dataplane/switch.js';
import { VxlanPort } from '../dataplane/vxlan-port.js';
import type { Vtep, VtepEvent, VtepObserver } from '../dataplane/vtep.js';
import type { UdpEndpointStats } from '../native/udp.js';
import { flowSlot, innerFlowHash } from '../dataplane/vxlan-flow-hash.js';
import { unavailable, conflict } from '../errors.js';
import type { PcapWriter } from '../wire/pcap.js';
import type { NetworkObserveInput, NetworkPortsLike } from './network-view.js';
import { switchTap } from './switch-tap.js';
import type { ObserveSession } from './trace-session.js';
import { synthesiseVxlanPacket } from './underlay-synth.js';
import { summariseFrame } from './frame-summary.js';
import type { CompiledFilter } from './trace-filter.js';
import { plainNaming, type PortNaming } from './port-naming.js';
import type { SwitchEvent } from '../dataplane/switch.js';

const NONE: readonly string[] = [];

function innerMatches(filter: CompiledFilter, naming: PortNaming, ev: SwitchEvent): boolean {
  const ctx = {
    action: ev.action,
    inNames: ev.inPort ? naming.describe(ev.inPort).names : NONE,
    outNames: ev.outPort ? naming.describe(ev.outPort).names : NONE,
  };
  return filter.test(summariseFrame(ev.buf!, ev.off, ev.len), ctx);
}

/** What the cluster knows about a host (src/control/cluster.ts ClusterHost fits). */
export interface HostLiveness {
  vtep: string;
  hostname?: string;
  state: 'up' | 'down';
  lastSeen?: number;
  rttMs?: number;
}

export interface PeerRow {
  /** "ip:port" */
  vtep: string;
  host: string;
  /** 'up' | 'down' from discovery; 'static' for a --peer without discovery */
  state: string;
  /** ISO time, or null */
  lastSeen: string | null;
  rttMs: number | null;
  /** the inner MTU the tunnel port clamps TCP to (the overlay's path MTU budget) */
  mtu: number;
  /** remote endpoints the control plane placed behind this VTEP */
  endpoints: number;
  /** MACs the switch has at this VTEP (static and learned) */
  macs: number;
  /** per-peer traffic, when the tunnel port counts it per remote (null otherwise) */
  txFrames: number | null;
  rxFrames: number | null;
  drops: number | null;
}

export interface PeersView {
  network: string;
  driver: string;
  /** set when there is nothing to list, e.g. "no peers: bridge network" */
  message?: string;
  tunnelPort?: string;
  vni?: number;
  /** the tunnel port's totals over all peers */
  totals?: PortCounters;
  /** the VTEP's underlay socket counters (batches, GSO/GRO, busy-poll windows and look-ahead;
   *  shared by every overlay network of the daemon), null while it is not started */
  underlay?: UdpEndpointStats | null;
  peers: PeerRow[];
}

/** A tunnel port that counts per remote (optional capability of the tunnel port). */
interface PerPeerCounters {
  peerCounters(index: number): PortCounters | null;
}

/** The network's tunnel port, if it has one. */
export function tunnelPortOf(ports: NetworkPortsLike | undefined): VxlanPort | undefined {
  if (!ports) return undefined;
  for (const p of ports.extra) if (p instanceof VxlanPort) return p;
  for (const p of ports.sw.ports()) if (p instanceof VxlanPort) return p;
  return undefined;
}

/** The VTEP a tunnel port sends through (VxlanPort keeps it; read-only use). */
export function vtepOf(port: VxlanPort): Vtep {
  return (port as unknown as { vtep: Vtep }).vtep;
}

export function peersOf(input: NetworkObserveInput, hosts: HostLiveness[] = []): PeersView {
  const base = { network: input.name, driver: input.driver, peers: [] as PeerRow[] };
  if (input.driver !== 'overlay') return { ...base, message: 'no peers: bridge network' };
  const vx = tunnelPortOf(input.ports);
  if (!vx) return { ...base, message: 'no peers: the overlay has no tunnel port running (is the daemon part of a cluster, or were --peer addresses given?)' };
  const fdb = input.ports!.sw.fdbEntries().filter((e) => e.port === vx.name);
  const endpoints = vx.remoteEndpoints();
  const perPeer = typeof (vx as unknown as Partial<PerPeerCounters>).peerCounters === 'function' ? (vx as unknown as PerPeerCounters) : null;
  const peers = vx.peers().map((p): PeerRow => {
    const vtep = p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
    const h = hosts.find((x) => x.vtep === vtep || x.vtep === p.address || x.vtep.startsWith(`${p.address}:`));
    const c = perPeer?.peerCounters(p.index) ?? null;
    return {
      vtep,
      host: h?.hostname ?? '',
      state: h ? h.state : 'static',
      lastSeen: h?.lastSeen ? new Date(h.lastSeen).toISOString() : null,
      rttMs: h?.rttMs ?? null,
      mtu: vx.mtu,
      endpoints: endpoints.filter((e) => e.remote === p.index).length,
      macs: fdb.filter((e) => e.remote === p.index).length,
      txFrames: c ? c.txFrames : null,
      rxFrames: c ? c.rxFrames : null,
      drops: c ? Object.values(c.drops).reduce((a, b) => a + b, 0) : null,
    };
  });
  const totals: PortCounters = { ...vx.counters, drops: { ...vx.counters.drops } };
  return { ...base, tunnelPort: vx.name, vni: vx.vni, totals, underlay: vtepOf(vx).ioStats(), peers, ...(peers.length === 0 ? { message: 'no peers yet: no other host has joined this network' } : {}) };
}

// ---------------------------------------------------------------- underlay capture

/** One VTEP observer shared by every underlay capture on it (the VTEP has a single observer slot). */
const vtepSubs = new WeakMap<Vtep, VtepObserver[]>();

function subscribeVtep(vtep: Vtep, fn: VtepObserver): () => void {
  let subs = vtepSubs.get(vtep);
  if (subs === undefined) {
    if (vtep.observed) throw conflict('EVTEP_OBSERVED', 'the VTEP is already being observed by another tool; stop it and capture again.');
    subs = [];
    vtepSubs.set(vtep, subs);
  }
  subs.push(fn);
  if (subs.length === 1) {
    const list = subs;
    vtep.setObserver((ev) => {
      for (const s of list) s(ev);
    });
  }
  return () => {
    const i = subs!.indexOf(fn);
    if (i >= 0) subs!.splice(i, 1);
    if (subs!.length === 0) {
      vtep.setObserver(null);
      vtepSubs.delete(vtep);
    }
  };
}

/** The any-address of a peer's family: a dual-stack VTEP ('::') sends to IPv4 peers from IPv4. */
const anyOfFamily = (peer: string) => (peer.includes(':') ? '::' : '0.0.0.0');

/** The source address this host uses towards `peer` (`ip route get`), or null. */
function routeSource(peer: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('ip', ['-j', 'route', 'get', peer], { timeout: 5_000 }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        const r = JSON.parse(stdout) as Array<{ prefsrc?: string }>;
        resolve(r[0]?.prefsrc ?? null);
      } catch {
        resolve(null);
      }
    });
  });
}

export interface UnderlayContext {
  sw: Switch;
  vx: VxlanPort;
  vtep: Vtep;
  /** local address per peer address (the VTEP's bound address, or the route's source when bound to any) */
  localFor: Map<string, string>;
  /** local address towards a peer not in localFor (added after the capture started) */
  fallbackLocal(peer: string): string;
}

/** Finds the tunnel port and works out the local addresses before a capture starts. */
export async function prepareUnderlay(ports: NetworkPortsLike | undefined, networkName: string): Promise<UnderlayContext> {
  const vx = tunnelPortOf(ports);
  if (!vx) throw unavailable('EOVERLAY_NOT_RUNNING', `network ${networkName} has no tunnel port running, so nothing crosses the underlay yet.`);
  const vtep = vtepOf(vx);
  if (!vtep.started) throw unavailable('EVTEP_NOT_STARTED', `the VTEP of network ${networkName} is not started; check the daemon log.`);
  const bound = vtep.localAddress().address;
  const any = bound === '0.0.0.0' || bound === '::';
  const localFor = new Map<string, string>();
  const fallbackLocal = (peer: string) => (any ? anyOfFamily(peer) : bound);
  for (const p of vx.peers()) localFor.set(p.address, any ? (await routeSource(p.address)) ?? fallbackLocal(p.address) : bound);
  return { sw: ports!.sw, vx, vtep, localFor, fallbackLocal };
}

export interface UnderlayCaptureOptions {
  ctx: UnderlayContext;
  /** applied to the inner frame and what the switch did with it (see trace-filter.ts) */
  filter?: CompiledFilter;
  naming?: PortNaming;
  writer: PcapWriter;
  count?: number;
  onDone?(): void;
}

export function startUnderlayCapture(o: UnderlayCaptureOptions): ObserveSession {
  const { vx, vtep } = o.ctx;
  const localPort = vtep.localAddress().port;
  const local = (peer: string) => o.ctx.localFor.get(peer) ?? o.ctx.fallbackLocal(peer);
  let matched = 0;
  let stopped = false;
  let ipId = 0;
  // encaps reported by the VTEP for the frame the switch is sending now
  const pendAddr: string[] = [];
  const pendPort: number[] = [];
  let decapAddr = '';
  let decapPort = 0;

  const write = (src: string, srcPort: number, dst: string, dstPort: number, buf: Buffer, off: number, len: number) => {
    if (stopped) return;
    ipId = (ipId + 1) & 0xffff;
    const pkt = synthesiseVxlanPacket({ src, srcPort, dst, dstPort }, vx.vni, buf, off, len, ipId);
    o.writer.write(pkt, 0, pkt.length);
    matched++;
    if (o.count !== undefined && matched >= o.count) {
      stop();
      o.onDone?.();
    }
  };

  const onVtep = (ev: VtepEvent) => {
    if (ev.vni !== vx.vni) return;
    if (ev.action === 'encap') {
      pendAddr.push(ev.address);
      pendPort.push(ev.port);
    } else if (ev.action === 'decap') {
      decapAddr = ev.address;
      decapPort = ev.port;
    }
  };
  const unVtep = subscribeVtep(vtep, onVtep);
  const unSwitch = switchTap(o.ctx.sw).subscribe((ev) => {
    if (ev.buf === null || ev.action === 'learned' || ev.action === 'moved') return;
    if (o.filter && o.filter.text !== '' && !innerMatches(o.filter, o.naming ?? plainNaming, ev)) {
      pendAddr.length = 0;
      pendPort.length = 0;
      decapAddr = '';
      return;
    }
    if ((ev.inPort as Port | null) === vx) {
      if (decapAddr !== '') write(decapAddr, decapPort, local(decapAddr), localPort, ev.buf, ev.off, ev.len);
      decapAddr = '';
      return;
    }
    if (pendAddr.length === 0) return;
    const sport = vtep.sourcePorts()[flowSlot(innerFlowHash(ev.buf, ev.off, ev.len), vtep.sendSlots)] ?? localPort;
    for (let i = 0; i < pendAddr.length && !stopped; i++) write(local(pendAddr[i]!), sport, pendAddr[i]!, pendPort[i]!, ev.buf, ev.off, ev.len);
    pendAddr.length = 0;
    pendPort.length = 0;
  });
  function stop() {
    if (stopped) return;
    stopped = true;
    unVtep();
    unSwitch();
  }
  return {
    stop,
    get matched() {
      return matched;
    },
  };
}
