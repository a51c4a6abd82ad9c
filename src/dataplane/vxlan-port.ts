// The tunnel Port of one overlay network (kind 'vxlan'): a table of remote VTEPs (index -> address,
// port), encapsulation in place (the 8-byte VXLAN header is written into the headroom in front of the
// frame, convention 2) and head-end replication of broadcast, multicast and unknown-unicast frames
// to every member VTEP, rate-limited by a token bucket. Frames received by the VTEP (vtep.ts) come
// out of this port tagged with the sender's remote index, so the switch learns "inner source MAC ->
// VTEP" as the fallback to the static entries the control plane sets (convention 6) through
// addRemoteEndpoint, which also fills the network's proxy-ARP table (overlay-arp-proxy.ts).
// TCP MSS is clamped both ways (overlay-mss-clamp.ts) so a path narrower than the containers' MTU
// does not black-hole TCP. Used by the control plane for every overlay network and by `tsnet switch`.
import { isIP } from 'node:net';
import { badRequest, conflict, notFound } from '../errors.js';
import { VXLAN_HEADER_LEN, VXLAN_PORT, VXLAN_VNI_MAX, parseIpv4, writeVxlanHeader } from '../wire/index.js';
import { macValue } from './mac.js';
import { ArpProxyTable } from './overlay-arp-proxy.js';
import { clampMss, MSS_CLAMPED } from './overlay-mss-clamp.js';
import { TokenBucket } from './overlay-token-bucket.js';
import { sealDropReason, SEAL_AAD_LEN, SEAL_OVERHEAD, type OverlaySealer } from './overlay-crypto.js';
import { countDrop, newCounters, REMOTE_ALL, type FrameSink, type Port, type PortCounters } from './port.js';
import { flowSlot, innerFlowHash } from './vxlan-flow-hash.js';
import type { Vtep, VtepTunnel } from './vtep.js';

// ---- from the spec ----
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14): what the tunnel costs of the
 *  underlay MTU (RFC 7348 section 4.3 assumes the underlay carries it; Linux uses 50 as well). */
export const VXLAN_OVERHEAD_IPV4 = 50;
export const VXLAN_OVERHEAD_IPV6 = 70;

// ---- our choice ----
export const DEFAULT_UNDERLAY_MTU = 1500;
export const DEFAULT_INNER_MTU = DEFAULT_UNDERLAY_MTU - VXLAN_OVERHEAD_IPV4;
/** Flooded frames per second per network, and the burst after a quiet time: far above what ARP and
 *  DHCP need, far below what a broadcast storm produces (each flooded frame costs one copy per peer). */
export const DEFAULT_FLOOD_RATE_PER_SEC = 2000;
export const DEFAULT_FLOOD_BURST = 500;
/** Bytes of the send arena an encrypted port seals a burst into (its packets then leave together at
 *  flush, like plain ones): a full send batch (64) of 1500-byte frames sealed twice over; jumbo
 *  frames wrap it sooner, which only sends earlier. Chosen by bench/e2e tsnet-daemon-sealed (64 B
 *  packet rate: one sendto per sealed packet before). */
export const SEAL_ARENA_BYTES = 256 * 1024;

/** What the tunnel port needs from the switch it is attached to (a Switch from switch.ts fits). */
export interface OverlaySwitch extends FrameSink {
  addPort(port: Port): void;
  removePort(port: Port): void;
  setStatic(mac: number | string, port: Port, remote?: number): void;
  removeStatic(mac: number | string): boolean;
  flushFdb(opts?: { port?: Port; remote?: number }): number;
}

export interface VxlanPortOptions {
  vtep: Vtep;
  vni: number;
  /** Port name (default "vxlan<VNI>"). */
  name?: string;
  /** Inner MTU the underlay path carries (underlay MTU minus VXLAN_OVERHEAD_IPV4): the TCP MSS of SYNs
   *  crossing the tunnel is clamped to it minus IP+TCP headers, whatever MTU the containers have.
   *  Default 1450 (a 1500 underlay). */
  mtu?: number;
  /** Clamp TCP MSS (default true). */
  mssClamp?: boolean;
  floodRatePerSec?: number;
  floodBurst?: number;
  /** Milliseconds, monotonic (default performance.now), for the flood token bucket. */
  clock?: () => number;
  /** `-o encrypted` networks: seals every packet sent and opens every packet received
   *  (overlay-crypto.ts); unsealed or failing packets are dropped and counted ('crypto-*'). */
  sealer?: OverlaySealer;
}

export interface VxlanPeer {
  index: number;
  address: string;
  port: number;
}

export interface VxlanRemoteEndpoint {
  mac: number;
  /** IPv4 address as a number, or -1 if none */
  ip: number;
  remote: number;
}

export interface VxlanPortStats {
  /** SYN segments whose MSS was lowered, on encapsulation and decapsulation. */
  mssClampedTx: number;
  mssClampedRx: number;
  /** Frames replicated to all peers (each counted once). */
  floods: number;
}

export class VxlanPort implements Port, VtepTunnel {
  readonly kind = 'vxlan' as const;
  readonly name: string;
  readonly vni: number;
  readonly counters: PortCounters = newCounters();
  readonly stats: VxlanPortStats = { mssClampedTx: 0, mssClampedRx: 0, floods: 0 };
  /** Proxy-ARP answers for remote endpoints (see overlay-ingress.ts). */
  readonly arp = new ArpProxyTable();
  readonly mtu: number;
  /** Encryption of this network's packets, or null (see VxlanPortOptions.sealer). */
  readonly sealer: OverlaySealer | null;
  private readonly vtep: Vtep;
  private readonly clamp: boolean;
  private readonly bucket: TokenBucket;
  private sink: FrameSink | null = null;
  private sw: OverlaySwitch | null = null;
  private closed = false;
  // peer table: parallel arrays indexed by remote index; freed slots are reused
  private readonly addrs: string[] = [];
  private readonly ports: number[] = [];
  private readonly used: boolean[] = [];
  private active: number[] = [];
  private readonly byAddr = new Map<string, number>();
  private readonly endpoints = new Map<number, VxlanRemoteEndpoint>();
  private readonly peerRemovedHooks: Array<(peer: VxlanPeer) => void> = [];
  /** Sealed packets wait here for the VTEP's flush (null when not encrypted); the next is sealed
   *  at arenaEnd, the one of this output lies at [sealedOff, sealedOff + sealedLen). */
  private readonly arena: Buffer | null;
  private arenaEnd = 0;
  private sealedOff = 0;
  private sealedLen = 0;
  /** Frames went to the sink since the last endBurst() (the VTEP calls it at the end of a burst). */
  private rxPending = false;

  constructor(opts: VxlanPortOptions) {
    if (!Number.isInteger(opts.vni) || opts.vni < 0 || opts.vni > VXLAN_VNI_MAX) {
      throw badRequest('EVXLAN_BAD_VNI', `VNI must be an integer from 0 to ${VXLAN_VNI_MAX}, got ${opts.vni}.`);
    }
    const mtu = opts.mtu ?? DEFAULT_INNER_MTU;
    if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
      throw badRequest('EVXLAN_BAD_MTU', `the overlay MTU must be an integer from 576 to 65535, got ${mtu}.`);
    }
    this.vtep = opts.vtep;
    this.vni = opts.vni;
    this.name = opts.name ?? `vxlan${opts.vni}`;
    this.mtu = mtu;
    this.clamp = opts.mssClamp ?? true;
    this.sealer = opts.sealer ?? null;
    this.arena = this.sealer === null ? null : Buffer.alloc(SEAL_ARENA_BYTES);
    this.bucket = new TokenBucket({
      ratePerSec: opts.floodRatePerSec ?? DEFAULT_FLOOD_RATE_PER_SEC,
      burst: opts.floodBurst ?? DEFAULT_FLOOD_BURST,
      clock: opts.clock,
    });
    opts.vtep.attach(this);
  }

  // ---------------------------------------------------------------- control path

  /** Attaches this port to the network's switch; static entries and peer removal then reach it. */
  attach(sw: OverlaySwitch): void {
    sw.addPort(this);
    this.sw = sw;
  }

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  /** Adds a member VTEP (idempotent; a new port number replaces the old one); returns its index. */
  addPeer(address: string, port: number = VXLAN_PORT): number {
    if (isIP(address) === 0) {
      throw badRequest('EVXLAN_BAD_PEER', `"${address}" is not an IP address; give peers as IP or IP:PORT, like 10.200.0.2:4789.`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw badRequest('EVXLAN_BAD_PEER', `peer port must be an integer from 1 to 65535, got ${port}.`);
    }
    const family = isIP(address) as 4 | 6;
    if (!this.vtep.families.includes(family)) {
      throw badRequest(
        'EVXLAN_PEER_FAMILY',
        `peer ${address} is an IPv${family} address but this host's VTEP speaks IPv${this.vtep.families[0]} only; bind the VTEP to an IPv${family} address of this host or to :: for both (tsnet daemon --vxlan-bind, tsnet switch --listen) to reach it.`,
      );
    }
    const known = this.byAddr.get(address);
    if (known !== undefined) {
      this.ports[known] = port;
      return known;
    }
    let i = this.used.indexOf(false);
    if (i < 0) i = this.used.length;
    this.addrs[i] = address;
    this.ports[i] = port;
    this.used[i] = true;
    this.byAddr.set(address, i);
    this.rebuildActive();
    return i;
  }

  /** Removes a member VTEP: its remote endpoints, the switch's entries pointing at it, then the hooks
   *  run. Returns false if it was not a member. */
  removePeer(address: string): boolean {
    const i = this.byAddr.get(address);
    if (i === undefined) return false;
    const peer: VxlanPeer = { index: i, address, port: this.ports[i] };
    for (const ep of [...this.endpoints.values()]) {
      if (ep.remote === i) this.removeRemoteEndpoint(ep.mac);
    }
    this.sw?.flushFdb({ port: this, remote: i });
    this.byAddr.delete(address);
    this.used[i] = false;
    this.addrs[i] = '';
    this.rebuildActive();
    for (const fn of this.peerRemovedHooks) fn(peer);
    return true;
  }

  /** Runs `fn` after a peer is removed (e.g. an owner that keeps its own per-remote state). */
  onPeerRemoved(fn: (peer: VxlanPeer) => void): void {
    this.peerRemovedHooks.push(fn);
  }

  peers(): VxlanPeer[] {
    const out: VxlanPeer[] = [];
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) out.push({ index: i, address: this.addrs[i], port: this.ports[i] });
    return out;
  }

  peer(index: number): VxlanPeer | null {
    return this.used[index] ? { index, address: this.addrs[index], port: this.ports[index] } : null;
  }

  remoteIndexOf(address: string): number {
    return this.byAddr.get(address) ?? -1;
  }

  /** An endpoint on another host (from the control plane): a static FDB entry MAC -> that VTEP and,
   *  with an IPv4 address, a proxy-ARP entry. Adds the VTEP as a peer if needed. */
  addRemoteEndpoint(mac: string | number, ip: string | null, vtep: string, vtepPort: number = VXLAN_PORT): void {
    if (this.sw === null) {
      throw conflict('EVXLAN_NOT_ATTACHED', `tunnel port ${this.name} is not attached to a switch; attach it before adding remote endpoints.`);
    }
    const m = macValue(mac);
    const ipNum = ip === null ? -1 : parseIpv4(ip);
    const old = this.endpoints.get(m);
    if (old !== undefined && old.ip >= 0) this.arp.delete(old.ip);
    const remote = this.addPeer(vtep, vtepPort);
    this.sw.setStatic(m, this, remote);
    if (ipNum >= 0) this.arp.set(ipNum, m);
    this.endpoints.set(m, { mac: m, ip: ipNum, remote });
  }

  /** Forgets a remote endpoint (static FDB entry and proxy-ARP entry). Throws EVXLAN_NO_ENDPOINT. */
  removeRemoteEndpoint(mac: string | number): void {
    const m = macValue(mac);
    const ep = this.endpoints.get(m);
    if (ep === undefined) {
      throw notFound('EVXLAN_NO_ENDPOINT', `no remote endpoint with MAC ${typeof mac === 'string' ? mac : m.toString(16)} on ${this.name}.`);
    }
    this.endpoints.delete(m);
    if (ep.ip >= 0) this.arp.delete(ep.ip);
    this.sw?.removeStatic(m);
  }

  remoteEndpoints(): VxlanRemoteEndpoint[] {
    return [...this.endpoints.values()].map((e) => ({ ...e }));
  }

  /** Detaches from the VTEP and the switch. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vtep.detach(this);
    const sw = this.sw;
    this.sw = null;
    sw?.removePort(this);
    this.sink = null;
  }

  private rebuildActive(): void {
    const a: number[] = [];
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) a.push(i);
    this.active = a;
  }

  // ---------------------------------------------------------------- hot path

  countDrop(reason: string): void {
    countDrop(this.counters, reason);
  }

  private dropTx(reason: string): void {
    countDrop(this.counters, reason);
    this.vtep.drop(reason);
    if (this.vtep.observed) this.vtep.trace('drop', this.vni, '', 0, 0, reason, -1);
  }

  /** Encapsulates in place and sends to `remote`, or to every peer for REMOTE_ALL. */
  output(buf: Buffer, off: number, len: number, remote: number): void {
    if (this.closed) {
      this.dropTx('closed');
      return;
    }
    if (off < VXLAN_HEADER_LEN) {
      this.dropTx('no-headroom');
      return;
    }
    if (remote === REMOTE_ALL) {
      const active = this.active;
      if (active.length === 0) return; // nobody to replicate to: not a drop
      if (!this.bucket.tryTake()) {
        this.dropTx('flood-rate-limit');
        return;
      }
      this.stats.floods++;
      if (!this.prepare(buf, off, len)) return;
      const slot = flowSlot(innerFlowHash(buf, off, len), this.vtep.sendSlots);
      for (let k = 0; k < active.length; k++) this.sendTo(active[k], slot, buf, off, len);
      return;
    }
    if (remote < 0 || remote >= this.used.length || !this.used[remote]) {
      this.dropTx('unknown-remote');
      return;
    }
    if (!this.prepare(buf, off, len)) return;
    this.sendTo(remote, flowSlot(innerFlowHash(buf, off, len), this.vtep.sendSlots), buf, off, len);
  }

  /** False if the frame was dropped (it could not be sealed). */
  private prepare(buf: Buffer, off: number, len: number): boolean {
    if (this.clamp && clampMss(buf, off, len, this.mtu) === MSS_CLAMPED) this.stats.mssClampedTx++;
    writeVxlanHeader(buf, off - VXLAN_HEADER_LEN, this.vni);
    // ---- encryption: the sealed packet goes to the arena (buf stays plain for other ports)
    const sealer = this.sealer;
    const arena = this.arena;
    if (sealer !== null && arena !== null) {
      if (this.arenaEnd + len + VXLAN_HEADER_LEN + SEAL_OVERHEAD > arena.length) {
        this.vtep.flushSends(); // what is queued from the arena leaves before it is written over
        this.arenaEnd = 0;
      }
      const n = sealer.seal(buf, off - VXLAN_HEADER_LEN, len + VXLAN_HEADER_LEN, arena, this.arenaEnd);
      if (n < 0) {
        this.dropTx(sealDropReason(n));
        return false;
      }
      this.sealedOff = this.arenaEnd;
      this.sealedLen = n;
      this.arenaEnd += n;
    }
    return true;
  }

  private sendTo(i: number, slot: number, buf: Buffer, off: number, len: number): void {
    // datagrams wait for flush() (one system call per burst): plain ones in the frame's own buffer,
    // sealed ones in the arena
    const arena = this.arena;
    const sent = arena === null
      ? this.vtep.queue(slot, buf, off - VXLAN_HEADER_LEN, len + VXLAN_HEADER_LEN, this.ports[i], this.addrs[i])
      : this.vtep.queue(slot, arena, this.sealedOff, this.sealedLen, this.ports[i], this.addrs[i]);
    if (!sent) {
      countDrop(this.counters, 'not-started');
      return;
    }
    this.counters.txFrames++;
    this.counters.txBytes += len;
    if (this.vtep.observed) this.vtep.trace('encap', this.vni, this.addrs[i], this.ports[i], len, '', i);
  }

  /** Ends a burst of output(): the queued datagrams leave together. */
  flush(): void {
    this.vtep.flushSends();
  }

  /** A decapsulated frame from member `remote` (called by the VTEP). */
  receive(buf: Buffer, off: number, len: number, remote: number): void {
    // ---- encryption: authenticate and decrypt in place; the frame then starts after the seal header
    if (this.sealer !== null) {
      const n = this.sealer.open(buf, off - VXLAN_HEADER_LEN, len + VXLAN_HEADER_LEN, remote, this.addrs[remote]);
      if (n < 0) {
        const reason = sealDropReason(n);
        countDrop(this.counters, reason);
        this.vtep.drop(reason);
        if (this.vtep.observed) this.vtep.trace('drop', this.vni, this.addrs[remote], this.ports[remote], len, reason, remote);
        return;
      }
      off = off - VXLAN_HEADER_LEN + SEAL_AAD_LEN;
      len = n;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += len;
    const sink = this.sink;
    if (sink === null || this.closed) {
      countDrop(this.counters, 'no-sink');
      return;
    }
    if (this.clamp && clampMss(buf, off, len, this.mtu) === MSS_CLAMPED) this.stats.mssClampedRx++;
    this.rxPending = true;
    sink.input(this, buf, off, len, remote);
  }

  /** The VTEP's received burst ended: flush the switch once for all its frames. */
  endBurst(): void {
    if (!this.rxPending) return;
    this.rxPending = false;
    this.sink?.flush?.();
  }
}

/** Builds the tunnel port of one network and registers its VNI with the VTEP. */
export function createVxlanPort(opts: VxlanPortOptions): VxlanPort {
  return new VxlanPort(opts);
}
