// The VXLAN tunnel endpoint of one daemon (RFC 7348): one UDP socket listening on port 4789 (by
// default) for every network, demultiplexing received packets by VNI to that network's tunnel port
// (vxlan-port.ts), plus a small pool of send sockets whose kernel-chosen ephemeral ports (32768-60999
// on Linux, like kernel VXLAN's source ports) are picked per inner flow (vxlan-flow-hash.ts), so one
// flow keeps one outer 5-tuple and different flows spread over ECMP paths (RFC 7348 section 5).
// Used by the control plane (one per daemon) and by `tsnet switch`.
//
// Receive rules (RFC 7348 section 5): reserved bits are ignored; a packet shorter than the VXLAN
// header plus an inner Ethernet header, without the I flag, with a VNI no network uses, or from an
// address that is not a member VTEP of that network is dropped and counted by reason. Nothing else
// happens: no reply, no log line unless an observer is set.
//
// I/O goes through the native addon (src/native/udp.ts), not dgram: datagrams arrive in bursts read
// with recvmmsg into one buffer allocated at start (each at HEADROOM in its slot; with UDP GRO the
// kernel may coalesce a train of datagrams from one sender into one slot, split here by its
// segment size). send() is a synchronous sendto from the caller's buffer, so the caller may reuse
// it at once. queue() defers the datagram to flushSends(), called at the end of the burst (tunnel
// port flush): a burst to one destination then leaves in one system call, runs of equal-sized
// datagrams as one UDP GSO message, so the kernel handles one packet per run instead of one per
// datagram. Nothing is allocated per packet. After traffic the event loop busy-polls for
// busyPollUs (see udp.ts).
import { isIP } from 'node:net';
import { badRequest, conflict, forbidden, internal, TsnetError } from '../errors.js';
import { UDP_EAGAIN, UDP_GRO_MAX_DATAGRAM, UDP_META_INTS, UDP_SEND_BATCH_MAX, UdpEndpoint, UdpOpenError, UdpReadBatch, type UdpEndpointStats } from '../native/udp.js';
import { ETH_HEADER_LEN, VXLAN_FLAG_I, VXLAN_HEADER_LEN, VXLAN_PORT, vxlanVni } from '../wire/index.js';
import { HEADROOM } from './port.js';
import { atIoTurnEnd, enterIoTurn, leaveIoTurn } from './io-turn.js';
import { DestCache, SourceNames } from './vtep-addresses.js';

// ---- from the spec (RFC 7348 section 5) ----
/** The shortest packet we accept: the VXLAN header and an inner Ethernet header. */
export const VXLAN_MIN_PACKET = VXLAN_HEADER_LEN + ETH_HEADER_LEN;
export { VXLAN_PORT };

// ---- our choice ----
/** Send sockets in the source-port pool: enough for flows to spread, few enough to be cheap. */
export const DEFAULT_SEND_SOCKETS = 8;
/** Socket buffer sizes asked for (the kernel caps them at net.core.[rw]mem_max). A large send buffer
 *  keeps sendto from returning EAGAIN (counted as 'tx-would-block'). */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;
/** Busy-poll window after traffic, microseconds. Chosen by bench/e2e (`--paths tinc,tsnet --rounds 1`,
 *  three alternating pairs of 0 and 300 us, 2026-11-28): prober p50 111-173 us with 300 against
 *  171-198 with 0, udp-rr 190-247 against 264-312, ping at a 2 ms interval unchanged (its gaps are
 *  longer than the window). It covers the peer's wakeup and turnaround, so the reply to a packet just
 *  sent is read while we still poll; the native side yields the CPU on every idle turn, so a runnable
 *  peer is not held up, and pauses busy-polling while other processes compete for the CPU
 *  (native/udp_endpoint.c, bench/README.md). Longer windows (`--busy-poll`, the bench's tsnet-poll
 *  path at 2500 us) also bridge gaps between packets, for up to a CPU per switch under traffic. */
export const DEFAULT_BUSY_POLL_US = 300;
/** Look-ahead before a periodic burst, microseconds: when bursts of traffic come at a steady period
 *  the VTEP wakes this long before the next one is due and polls until a quarter of this after it
 *  (native/busy_poll.c; only for periods >= 5 x this, so at most a quarter of a CPU). Chosen in the
 *  bench/e2e topology (two tsnet switches, 4000 warm-up pings, then 2000 pings at 2 ms, alternating
 *  pairs, 2026-11-28): ping p50 107-118 us with 250 against 134-138 with 380 and 205-216 without;
 *  120 met fewer pings (the timer's wakeup on this VM is 30-100 us late, so a short look-ahead
 *  opens after the packet came: p50 154-221). */
export const DEFAULT_BUSY_POLL_AHEAD_US = 250;
/** Receive slots: each holds a 64 KB datagram train (UDP GRO), so 32 of them are 2 MB for the
 *  whole daemon. 32 coalesced trains per recvmmsg is up to ~1400 datagrams per wakeup. */
export const RECEIVE_SLOTS = 32;

export type VtepDropReason = 'truncated' | 'no-i-flag' | 'unknown-vni' | 'not-member' | 'tx-error' | 'not-started'
  | 'tx-would-block' | 'bad-address' | 'oversize' | 'socket-error';

export interface VtepCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** drops by reason (VtepDropReason, plus 'flood-rate-limit' etc. reported by tunnel ports) */
  drops: Record<string, number>;
}

/** What a tunnel port (one network) offers the VTEP. */
export interface VtepTunnel {
  readonly vni: number;
  /** Index of the member VTEP with this address, or -1 if it is not a member. */
  remoteIndexOf(address: string): number;
  /** A decapsulated inner frame from member `remote`. */
  receive(buf: Buffer, off: number, len: number, remote: number): void;
  /** A packet for this network was dropped by the VTEP. */
  countDrop(reason: string): void;
  /** The end of a received burst in which this tunnel got frames (lets it flush its switch once). */
  endBurst?(): void;
}

/** Fills unused slots of the hit list (so it keeps one element type and holds no stale tunnel). */
const NO_TUNNEL: VtepTunnel = { vni: -1, remoteIndexOf: () => -1, receive: () => {}, countDrop: () => {} };

export type VtepAction = 'encap' | 'decap' | 'drop';

/** One reused object per VTEP: copy what you keep. */
export interface VtepEvent {
  action: VtepAction;
  vni: number;
  /** the remote VTEP (destination of 'encap', source of 'decap' and 'drop') */
  address: string;
  port: number;
  /** bytes of the inner frame ('encap', 'decap') or of the UDP payload ('drop') */
  len: number;
  /** drop reason, or '' */
  reason: string;
  /** remote index at the tunnel port, -1 if none */
  remote: number;
}

export type VtepObserver = (ev: VtepEvent) => void;

export interface VtepOptions {
  /** Address to bind (default '0.0.0.0'; an IPv6 address makes an IPv6 VTEP, and '::' a dual-stack
   *  one that speaks to IPv4 and IPv6 peers alike). */
  address?: string;
  /** UDP port to listen on (default 4789; 0 lets the kernel choose, for tests). */
  port?: number;
  /** Send sockets in the source-port pool (default 8; 0 sends from the listening socket). */
  sendSockets?: number;
  recvBufferBytes?: number;
  sendBufferBytes?: number;
  /** Busy-poll window after traffic in microseconds (default DEFAULT_BUSY_POLL_US; 0 = off, and no
   *  look-ahead either). */
  busyPollUs?: number;
  /** Look-ahead window before a periodic burst in microseconds (default DEFAULT_BUSY_POLL_AHEAD_US;
   *  0 = off). */
  busyPollAheadUs?: number;
}

/** '::' or another spelling of the IPv6 any-address (the caller has checked it is IPv6). */
const isAnyV6 = (address: string): boolean => /^[0:]+$/.test(address);

function bindError(err: UdpOpenError, address: string, port: number): TsnetError {
  const where = `${address}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return conflict('EVTEP_PORT_IN_USE', `UDP ${where} is already in use (a kernel vxlan device or another tsnet?); stop it or choose another --listen port.`);
    case 'EADDRNOTAVAIL':
      return badRequest('EVTEP_BAD_ADDRESS', `${address} is not an address of this host; bind the VTEP to one of its addresses or 0.0.0.0.`);
    case 'EACCES':
    case 'EPERM':
      return forbidden('EVTEP_PERMISSION', `not allowed to bind UDP ${where}; run as root or pick a port above 1023.`);
    default:
      return internal('EVTEP_BIND', `binding the VTEP socket to ${where} failed (${err.syscall}: ${err.code}); check the address and try again.`, err);
  }
}

export class Vtep {
  readonly counters: VtepCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: {} };
  private readonly bindAddress: string;
  /** The underlay families this VTEP speaks: its bind address's, both for '::' (dual-stack,
   *  native/udp_endpoint.c). A peer must be of one of them. */
  readonly families: ReadonlyArray<4 | 6>;
  private readonly bindPort: number;
  private readonly poolSize: number;
  private readonly recvBufferBytes: number;
  private readonly sendBufferBytes: number;
  private readonly busyPollUs: number;
  private readonly busyPollAheadUs: number;
  private ep: UdpEndpoint | null = null;
  private batch: UdpReadBatch | null = null;
  private readonly sources = new SourceNames();
  private readonly dests = new DestCache((address, port) => this.ep?.sockaddr(address, port) ?? null);
  private readonly tunnels = new Map<number, VtepTunnel>();
  private observer: VtepObserver | null = null;
  private readonly ev: VtepEvent = { action: 'drop', vni: 0, address: '', port: 0, len: 0, reason: '', remote: -1 };
  private readonly onBatch = (count: number): void => this.receiveBatch(count);
  private readonly onReadError = (): void => {
    this.drop('socket-error');
  };
  // ---- the send queue (queue/flushSends): datagrams of one buffer to one destination and slot
  private readonly qOffsets = new Int32Array(UDP_SEND_BATCH_MAX);
  private readonly qLengths = new Int32Array(UDP_SEND_BATCH_MAX);
  private qCount = 0;
  private qBuf: Buffer | null = null;
  private qDest: Buffer | null = null;
  private qSlot = 0;
  private qEnd = 0;
  private flushScheduled = false;
  // ---- tunnels that got frames in the current received burst (endBurst at its end)
  private readonly hit: VtepTunnel[] = [];
  private hitCount = 0;
  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.flushSends();
  };

  constructor(opts: VtepOptions = {}) {
    this.bindAddress = opts.address ?? '0.0.0.0';
    const fam = isIP(this.bindAddress);
    if (fam === 0) throw badRequest('EVTEP_BAD_ADDRESS', `"${this.bindAddress}" is not an IP address; give the VTEP an address like 10.200.0.1 or 0.0.0.0.`);
    this.families = fam === 4 ? [4] : isAnyV6(this.bindAddress) ? [4, 6] : [6];
    this.bindPort = opts.port ?? VXLAN_PORT;
    if (!Number.isInteger(this.bindPort) || this.bindPort < 0 || this.bindPort > 65535) {
      throw badRequest('EVTEP_BAD_PORT', `VTEP port must be an integer from 0 to 65535, got ${this.bindPort}.`);
    }
    this.poolSize = opts.sendSockets ?? DEFAULT_SEND_SOCKETS;
    if (!Number.isInteger(this.poolSize) || this.poolSize < 0 || this.poolSize > 64) {
      throw badRequest('EVTEP_BAD_POOL', `VTEP send sockets must be an integer from 0 to 64, got ${this.poolSize}.`);
    }
    this.recvBufferBytes = opts.recvBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    this.sendBufferBytes = opts.sendBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    this.busyPollUs = opts.busyPollUs ?? DEFAULT_BUSY_POLL_US;
    this.busyPollAheadUs = opts.busyPollAheadUs ?? DEFAULT_BUSY_POLL_AHEAD_US;
  }

  /** Binds the listening socket and the send pool. Throws EVTEP_PORT_IN_USE, EVTEP_BAD_ADDRESS... */
  async start(): Promise<void> {
    if (this.ep !== null) return;
    let ep: UdpEndpoint;
    try {
      ep = UdpEndpoint.open({
        address: this.bindAddress, port: this.bindPort, poolSize: this.poolSize,
        recvBufferBytes: this.recvBufferBytes, sendBufferBytes: this.sendBufferBytes,
      });
    } catch (err) {
      if (err instanceof UdpOpenError) throw bindError(err, this.bindAddress, this.bindPort);
      throw err;
    }
    const batch = this.batch ?? new UdpReadBatch(RECEIVE_SLOTS, HEADROOM + UDP_GRO_MAX_DATAGRAM + 1, HEADROOM);
    try {
      ep.setBusyPoll(this.busyPollUs, this.busyPollAheadUs);
      ep.startReading(batch, this.onBatch, this.onReadError);
    } catch (err) {
      ep.close();
      throw err;
    }
    this.batch = batch;
    this.ep = ep;
  }

  async stop(): Promise<void> {
    this.flushSends();
    const ep = this.ep;
    this.ep = null;
    ep?.close();
  }

  get started(): boolean {
    return this.ep !== null;
  }

  /** Counters of the native sockets (wakeups, batches, busy-poll windows...), null when stopped. */
  ioStats(): UdpEndpointStats | null {
    return this.ep?.stats() ?? null;
  }

  /** The bound address and port of the listening socket. */
  localAddress(): { address: string; port: number } {
    if (this.ep === null) throw internal('EVTEP_NOT_STARTED', 'the VTEP is not started; call start() first.');
    return { address: this.bindAddress, port: this.ep.port };
  }

  /** Source ports of the send pool (the listening port when there is no pool). */
  sourcePorts(): number[] {
    const ep = this.ep;
    if (ep === null) return [];
    return ep.poolPorts.length > 0 ? [...ep.poolPorts] : [ep.port];
  }

  /** Number of send slots a flow hash is spread over. */
  get sendSlots(): number {
    return Math.max(1, this.poolSize);
  }

  /** Routes packets with this VNI to the tunnel. Throws EVNI_IN_USE if another tunnel has it. */
  attach(tunnel: VtepTunnel): void {
    const cur = this.tunnels.get(tunnel.vni);
    if (cur !== undefined && cur !== tunnel) {
      throw conflict('EVNI_IN_USE', `VNI ${tunnel.vni} is already used by another network on this host; choose another --vni.`);
    }
    this.tunnels.set(tunnel.vni, tunnel);
  }

  detach(tunnel: VtepTunnel): void {
    if (this.tunnels.get(tunnel.vni) === tunnel) this.tunnels.delete(tunnel.vni);
  }

  setObserver(fn: VtepObserver | null): void {
    this.observer = fn;
  }

  get observed(): boolean {
    return this.observer !== null;
  }

  // ---------------------------------------------------------------- hot path

  /** Sends buf[off, off+len) (a VXLAN header and inner frame) from send slot `slot`, synchronously:
   *  the buffer may be reused on return. Returns false (and counts the drop) if the VTEP is not
   *  started; a failed sendto is counted here by reason ('tx-would-block', 'tx-error'). */
  send(slot: number, buf: Buffer, off: number, len: number, port: number, address: string): boolean {
    const ep = this.ep;
    const sa = this.destination(address, port);
    if (ep === null || sa === null) return ep !== null;
    if (this.qCount > 0) this.flushSends(); // keep the order of what was queued before
    this.counters.txPackets++;
    this.counters.txBytes += len;
    const n = ep.send(this.poolSize > 0 ? slot : -1, buf, off, len, sa);
    if (n < 0) this.drop(n === -UDP_EAGAIN ? 'tx-would-block' : 'tx-error');
    return true;
  }

  /** Like send(), but the datagram leaves at flushSends() (the end of the burst; the end of the
   *  I/O turn, or a microtask outside one, flushes what a caller left queued). buf[off, off+len) must stay unchanged
   *  until then: a datagram that does not lie after the queued ones in the same buffer, or goes
   *  elsewhere, flushes the queue first. */
  queue(slot: number, buf: Buffer, off: number, len: number, port: number, address: string): boolean {
    const sa = this.destination(address, port);
    if (sa === null) return this.ep !== null;
    const s = this.poolSize > 0 ? slot : -1;
    if (this.qCount > 0 && (buf !== this.qBuf || sa !== this.qDest || s !== this.qSlot || off < this.qEnd || this.qCount === UDP_SEND_BATCH_MAX)) {
      this.flushSends();
    }
    const i = this.qCount++;
    this.qOffsets[i] = off;
    this.qLengths[i] = len;
    this.qBuf = buf;
    this.qDest = sa;
    this.qSlot = s;
    this.qEnd = off + len;
    this.counters.txPackets++;
    this.counters.txBytes += len;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (!atIoTurnEnd(this.flushLater)) queueMicrotask(this.flushLater);
    }
    return true;
  }

  /** The sockaddr of address:port, or null after counting why nothing can go there
   *  ('not-started', 'bad-address'). */
  private destination(address: string, port: number): Buffer | null {
    if (this.ep === null) {
      this.drop('not-started');
      return null;
    }
    const sa = this.dests.get(address, port);
    if (sa === null) this.drop('bad-address');
    return sa;
  }

  /** Sends what queue() collected. */
  flushSends(): void {
    const count = this.qCount;
    if (count === 0) return;
    this.qCount = 0;
    const buf = this.qBuf as Buffer;
    const dest = this.qDest as Buffer;
    this.qBuf = null;
    this.qDest = null;
    const ep = this.ep;
    if (ep === null) {
      for (let i = 0; i < count; i++) this.drop('not-started');
      return;
    }
    if (count === 1) {
      const n = ep.send(this.qSlot, buf, this.qOffsets[0], this.qLengths[0], dest);
      if (n < 0) this.drop(n === -UDP_EAGAIN ? 'tx-would-block' : 'tx-error');
      return;
    }
    const sent = ep.sendBatch(this.qSlot, buf, this.qOffsets, this.qLengths, count, dest);
    if (sent < count) {
      const reason = ep.lastSendErrno() === UDP_EAGAIN ? 'tx-would-block' : 'tx-error';
      for (let i = sent; i < count; i++) this.drop(reason);
    }
  }

  /** One burst from the receiver: datagrams 0..count-1 of the read batch. */
  private receiveBatch(count: number): void {
    enterIoTurn();
    try {
      this.receiveDatagrams(count);
    } finally {
      this.endBurst();
      leaveIoTurn();
    }
  }

  /** Tells every tunnel that got frames in this burst that it ended (each flushes its switch once,
   *  so output ports see the whole burst: the TAP port coalesces TCP segments across it). */
  private endBurst(): void {
    const hit = this.hit;
    const n = this.hitCount;
    this.hitCount = 0;
    for (let i = 0; i < n; i++) {
      const t = hit[i];
      hit[i] = NO_TUNNEL;
      t.endBurst?.();
    }
  }

  private receiveDatagrams(count: number): void {
    const batch = this.batch;
    if (batch === null) return;
    const buf = batch.buffer;
    const meta = batch.meta;
    for (let i = 0; i < count; i++) {
      const m = i * UDP_META_INTS;
      const len = meta[m];
      if (len < 0) {
        this.counters.rxPackets++;
        this.drop('oversize');
        continue;
      }
      const address = meta[m + 1] === 4
        ? this.sources.ipv4(meta[m + 3])
        : this.sources.ipv6(meta[m + 3], meta[m + 4], meta[m + 5], meta[m + 6]);
      const off = batch.offset(i);
      const segment = meta[m + 7];
      if (segment > 0 && segment < len) {
        // a train coalesced by UDP GRO: datagrams of `segment` bytes, the last may be shorter. Only
        // the first has headroom in front; the others have the previous datagram, already handled
        // (frames from a tunnel never go back into a tunnel, so nothing encapsulates them in place).
        for (let p = 0; p < len; p += segment) {
          this.receiveAt(buf, off + p, Math.min(segment, len - p), address, meta[m + 2]);
          if (this.ep === null) return;
        }
        continue;
      }
      this.receiveAt(buf, off, len, address, meta[m + 2]);
      if (this.ep === null) return; // stopped from inside the burst
    }
  }

  /** Handles one received UDP payload as a burst of its own (exposed for tests). */
  receive(msg: Buffer, address: string, port: number): void {
    try {
      this.receiveAt(msg, 0, msg.length, address, port);
    } finally {
      this.endBurst();
    }
  }

  /** Handles the UDP payload buf[off, off+len) from address:port. */
  receiveAt(buf: Buffer, off: number, len: number, address: string, port: number): void {
    this.counters.rxPackets++;
    this.counters.rxBytes += len;
    if (len < VXLAN_MIN_PACKET) {
      this.rxDrop('truncated', null, 0, address, port, len);
      return;
    }
    if ((buf[off] & VXLAN_FLAG_I) === 0) {
      this.rxDrop('no-i-flag', null, 0, address, port, len);
      return;
    }
    const vni = vxlanVni(buf, off);
    const t = this.tunnels.get(vni);
    if (t === undefined) {
      this.rxDrop('unknown-vni', null, vni, address, port, len);
      return;
    }
    const remote = t.remoteIndexOf(address);
    if (remote < 0) {
      this.rxDrop('not-member', t, vni, address, port, len);
      return;
    }
    if (this.observer !== null) this.trace('decap', vni, address, port, len - VXLAN_HEADER_LEN, '', remote);
    this.noteHit(t);
    t.receive(buf, off + VXLAN_HEADER_LEN, len - VXLAN_HEADER_LEN, remote);
  }

  private noteHit(t: VtepTunnel): void {
    const hit = this.hit;
    for (let i = 0; i < this.hitCount; i++) if (hit[i] === t) return;
    hit[this.hitCount++] = t;
  }

  private rxDrop(reason: VtepDropReason, t: VtepTunnel | null, vni: number, address: string, port: number, len: number): void {
    this.drop(reason);
    if (t !== null) t.countDrop(reason);
    if (this.observer !== null) this.trace('drop', vni, address, port, len, reason, -1);
  }

  /** Counts a drop by reason (tunnel ports report theirs here too, so the VTEP has the totals). */
  drop(reason: string): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  /** Reports an event to the observer (callers check `observed` first to stay free when off). */
  trace(action: VtepAction, vni: number, address: string, port: number, len: number, reason: string, remote: number): void {
    const fn = this.observer;
    if (fn === null) return;
    const ev = this.ev;
    ev.action = action;
    ev.vni = vni;
    ev.address = address;
    ev.port = port;
    ev.len = len;
    ev.reason = reason;
    ev.remote = remote;
    try {
      fn(ev);
    } catch {
      this.observer = null; // a throwing observer must not break the data path
    }
  }
}

/** Builds a VTEP; call start() to bind it. */
export function createVtep(opts: VtepOptions = {}): Vtep {
  return new Vtep(opts);
}
