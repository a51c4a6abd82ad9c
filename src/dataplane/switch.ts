// The learning L2 switch: one per network. Ports (TAP, VXLAN tunnel, memory, wrappers) deliver
// frames to it as its FrameSink; it validates, learns the source, and forwards to the known port
// or floods with split horizon. Created by the control plane (one per Network) and by `tsnet
// switch`; the control plane adds static FDB entries for remote endpoints (convention 6).
//
// Hot path rules (DEVELOPERS.md): synchronous, never throws on a bad frame (drops are counted by
// reason), allocates nothing per frame (no observer set), and batches output: every port that
// got output during a burst is flushed once when the input port calls flush().
// Room left for a per-switch processing-latency histogram: it would wrap the body of input().
import { conflict, notFound } from '../errors.js';
import { Fdb, LEARN_ADDED, LEARN_MOVED, monotonicMs } from './fdb.js';
import { MAC_GROUP_BIT, macValue } from './mac.js';
import { countDrop, HEADROOM, newCounters, REMOTE_ALL, REMOTE_NONE, type FrameSink, type Port, type PortCounters } from './port.js';
import { segmenterFor, type GsoSegmenter } from './gso-segmenter.js';
import { vnetGsoSize } from '../wire/virtio-net-hdr.js';
import type { FdbEntryView, FdbKind, FdbStats } from './fdb.js';

// ---- from the spec (IEEE 802.3 section 3.1.1) ----
/** Destination (6) + source (6) + EtherType/length (2): anything shorter is a runt. */
export const ETH_HEADER_LEN = 14;
const ETH_SRC_OFF = 6;

// ---- our choice ----
/** The clock is read at the first frame of a burst and again after this many frames: a clock
 *  read per frame returns a boxed double (16 B/frame measured by bench/switch.ts). */
const CLOCK_EVERY_FRAMES = 64;

/** Drop reasons counted by the switch (per switch and per input port). */
export type SwitchDropReason = 'runt' | 'bad-source' | 'hairpin' | 'no-output' | 'unknown-port';

export interface SwitchOptions {
  name: string;
  /** Milliseconds; injected so tests drive aging. Default: monotonic (performance.now). */
  clock?: () => number;
  /** Learned entries age out after this long (default 300 s). */
  agingMs?: number;
  /** Maximum learned MACs (default 16384); static entries are not limited. */
  maxMacs?: number;
}

/** Switch-level counters; live object, read it any time. */
export interface SwitchCounters {
  rxFrames: number;
  rxBytes: number;
  /** Frames sent to the one port their destination is known on. */
  forwarded: number;
  /** Frames flooded (broadcast, multicast, unknown unicast) to at least one port. */
  flooded: number;
  /** Copies sent while flooding (a tunnel port's head-end replication counts once). */
  floodCopies: number;
  learned: number;
  moved: number;
  dropped: Record<string, number>;
  /** TCP and UDP super-frames (from a TAP with offloads) cut into segments for a port that takes plain frames */
  segmented: number;
  /** the segments made from them */
  segments: number;
}

export type SwitchAction = 'learned' | 'moved' | 'forwarded' | 'flooded' | 'dropped';

/**
 * What the observer sees. One object is reused for every event: copy what you keep. The frame
 * bytes (buf, off, len) are valid only during the call.
 */
export interface SwitchEvent {
  switchName: string;
  action: SwitchAction;
  inPort: Port | null;
  inRemote: number;
  /** Drop reason, or '' */
  reason: string;
  /** Output port of 'forwarded' / new port of 'learned' and 'moved', else null. */
  outPort: Port | null;
  outRemote: number;
  /** Ports a 'flooded' frame went to. */
  count: number;
  buf: Buffer | null;
  off: number;
  len: number;
}

export type SwitchObserver = (ev: SwitchEvent) => void;

export interface FdbEntry {
  port: Port;
  remote: number;
  kind: FdbKind;
  ageMs: number;
}

export interface Switch extends FrameSink {
  readonly name: string;
  readonly counters: SwitchCounters;
  readonly fdbStats: FdbStats;
  /** Attaches a port (the switch becomes its sink). Throws EPORTEXISTS for a duplicate name. */
  addPort(port: Port): void;
  /** Detaches a port and forgets every FDB entry (learned and static) pointing at it; does not close it. */
  removePort(port: Port): void;
  ports(): Port[];
  /** The switch's counters for one attached port (what the switch received from / sent to it). */
  portCounters(port: Port): PortCounters;
  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet?: number): void;
  flush(): void;
  /** A static FDB entry (from the control plane); learning never overrides it. */
  setStatic(mac: number | string, port: Port, remote?: number): void;
  removeStatic(mac: number | string): boolean;
  lookup(mac: number | string): FdbEntry | null;
  fdbEntries(): FdbEntryView[];
  /** Forgets learned entries (all, or of one port, or of one (port, remote)); returns how many. */
  flushFdb(opts?: { port?: Port; remote?: number }): number;
  /** Removes expired learned entries; returns how many. The owner may call it periodically. */
  sweep(): number;
  /** Null turns tracing off (zero cost). */
  setObserver(fn: SwitchObserver | null): void;
  /** Detaches and closes every port. */
  close(): void;
}

/** What the switch keeps per attached port; this is also the FDB's port type. */
class Attached {
  readonly counters: PortCounters = newCounters();
  dirty = false;
  constructor(readonly port: Port) {}
  get name(): string {
    return this.port.name;
  }
}

class LearningSwitch implements Switch {
  readonly name: string;
  readonly counters: SwitchCounters = {
    rxFrames: 0, rxBytes: 0, forwarded: 0, flooded: 0, floodCopies: 0, learned: 0, moved: 0, dropped: {}, segmented: 0, segments: 0,
  };
  private readonly clock: () => number;
  private readonly fdb: Fdb<Attached>;
  private readonly byPort = new Map<Port, Attached>();
  private attached: Attached[] = [];
  private readonly dirty: Attached[] = [];
  private dirtyCount = 0;
  private flushing = false;
  private tick = 0;
  private tickLeft = 0;
  private observer: SwitchObserver | null = null;
  private readonly ev: SwitchEvent;
  // ---- the frame being switched, if it is a super-frame (port.ts `vnet`), and its segments
  private vnet = -1;
  private frameSeq = 0;
  private segmentedSeq = -1;
  private segmentCount = 0;
  private segmentsOut = false;
  private segmenter: GsoSegmenter | null = null;

  constructor(opts: SwitchOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? monotonicMs;
    this.fdb = new Fdb<Attached>({ clock: this.clock, agingMs: opts.agingMs, maxMacs: opts.maxMacs });
    this.ev = {
      switchName: this.name, action: 'dropped', inPort: null, inRemote: REMOTE_NONE, reason: '',
      outPort: null, outRemote: REMOTE_NONE, count: 0, buf: null, off: 0, len: 0,
    };
  }

  get fdbStats(): FdbStats {
    return this.fdb.stats;
  }

  // ---------------------------------------------------------------- hot path

  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet = -1): void {
    if (vnet < 0 && this.vnet < 0) {
      this.switchFrame(port, buf, off, len, remote);
      return;
    }
    const outer = this.vnet; // a port's output may feed this switch again (memory pairs)
    this.vnet = vnet;
    if (vnet >= 0) this.frameSeq++;
    this.switchFrame(port, buf, off, len, remote);
    this.vnet = outer;
  }

  private switchFrame(port: Port, buf: Buffer, off: number, len: number, remote: number): void {
    const a = this.byPort.get(port);
    this.counters.rxFrames++;
    this.counters.rxBytes += len;
    if (a === undefined) {
      this.drop(null, port, buf, off, len, remote, 'unknown-port');
      return;
    }
    a.counters.rxFrames++;
    a.counters.rxBytes += len;
    if (len < ETH_HEADER_LEN) {
      this.drop(a, port, buf, off, len, remote, 'runt');
      return;
    }
    const s = off + ETH_SRC_OFF;
    if ((buf[s] & MAC_GROUP_BIT) !== 0) {
      this.drop(a, port, buf, off, len, remote, 'bad-source');
      return;
    }
    if (this.tickLeft === 0) {
      this.tick = this.clock() | 0;
      this.tickLeft = CLOCK_EVERY_FRAMES;
    }
    this.tickLeft--;
    const now = this.tick;
    const learnt = this.fdb.learn(
      (buf[s] << 16) | (buf[s + 1] << 8) | buf[s + 2],
      (buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5],
      a, remote, now);
    if (learnt === LEARN_ADDED) {
      this.counters.learned++;
      if (this.observer !== null) this.emit('learned', port, remote, '', port, remote, 0, buf, off, len);
    } else if (learnt === LEARN_MOVED) {
      this.counters.moved++;
      if (this.observer !== null) this.emit('moved', port, remote, '', port, remote, 0, buf, off, len);
    }
    if ((buf[off] & MAC_GROUP_BIT) !== 0) {
      this.flood(a, buf, off, len, remote);
      return;
    }
    const slot = this.fdb.find(
      (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2],
      (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5],
      now);
    if (slot < 0) {
      this.flood(a, buf, off, len, remote);
      return;
    }
    const out = this.fdb.portAt(slot);
    const outRemote = this.fdb.remoteAt(slot);
    if (out === a && outRemote === remote) {
      this.drop(a, port, buf, off, len, remote, 'hairpin');
      return;
    }
    this.send(out, buf, off, len, outRemote);
    this.counters.forwarded++;
    if (this.observer !== null) this.emit('forwarded', port, remote, '', out.port, outRemote, 1, buf, off, len);
  }

  flush(): void {
    // A port's flush may come back here (switches joined by memory pairs): the outer loop reads
    // dirtyCount live and so also flushes ports that got output meanwhile.
    this.tickLeft = 0;
    if (this.flushing) return;
    this.segmentsOut = false;
    this.flushing = true;
    for (let i = 0; i < this.dirtyCount; i++) {
      const a = this.dirty[i];
      a.dirty = false;
      a.port.flush?.();
    }
    this.dirtyCount = 0;
    this.flushing = false;
  }

  /** Split horizon: never back out of the input port, even to other remotes of a tunnel port. */
  private flood(from: Attached, buf: Buffer, off: number, len: number, remote: number): void {
    const ports = this.attached;
    let copies = 0;
    for (let i = 0; i < ports.length; i++) {
      const a = ports[i];
      if (a === from) continue;
      this.send(a, buf, off, len, REMOTE_ALL);
      copies++;
    }
    if (copies === 0) {
      this.drop(from, from.port, buf, off, len, remote, 'no-output');
      return;
    }
    this.counters.flooded++;
    this.counters.floodCopies += copies;
    if (this.observer !== null) this.emit('flooded', from.port, remote, '', null, REMOTE_ALL, copies, buf, off, len);
  }

  private send(a: Attached, buf: Buffer, off: number, len: number, remote: number): void {
    const vnet = this.vnet;
    if (vnet >= 0) {
      if (a.port.acceptsOffload !== true) {
        this.sendSegments(a, buf, off, len, remote, vnet);
        return;
      }
      a.port.output(buf, off, len, remote, vnet);
    } else {
      a.port.output(buf, off, len, remote);
    }
    a.counters.txFrames++;
    a.counters.txBytes += len;
    this.markDirty(a);
  }

  /** A super-frame to a port that takes plain frames: cut once per frame (a flood reuses the cut),
   *  after flushing what the segments of an earlier super-frame in this burst are still queued in. */
  private sendSegments(a: Attached, buf: Buffer, off: number, len: number, remote: number, vnet: number): void {
    if (this.segmentedSeq !== this.frameSeq) {
      if (this.segmentsOut) this.flush();
      const seg = segmenterFor(this.segmenter, vnetGsoSize(buf, vnet), HEADROOM);
      this.segmenter = seg;
      this.segmentedSeq = this.frameSeq;
      this.segmentCount = seg.segment(buf, off, len, vnet);
      if (this.segmentCount > 0) {
        this.counters.segmented++;
        this.counters.segments += this.segmentCount;
      }
    }
    const n = this.segmentCount;
    if (n < 0) {
      countDrop(a.counters, 'bad-offload');
      const dropped = this.counters.dropped;
      dropped['bad-offload'] = (dropped['bad-offload'] ?? 0) + 1;
      return;
    }
    const seg = this.segmenter as GsoSegmenter;
    const sbuf = seg.buffer;
    for (let k = 0; k < n; k++) {
      const slen = seg.lengths[k];
      a.counters.txFrames++;
      a.counters.txBytes += slen;
      a.port.output(sbuf, seg.offsets[k], slen, remote);
    }
    this.segmentsOut = true;
    this.markDirty(a);
  }

  private markDirty(a: Attached): void {
    if (!a.dirty) {
      a.dirty = true;
      this.dirty[this.dirtyCount++] = a;
    }
  }

  private drop(a: Attached | null, port: Port, buf: Buffer, off: number, len: number, remote: number, reason: SwitchDropReason): void {
    const dropped = this.counters.dropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    if (a !== null) countDrop(a.counters, reason);
    if (this.observer !== null) this.emit('dropped', port, remote, reason, null, REMOTE_NONE, 0, buf, off, len);
  }

  private emit(action: SwitchAction, inPort: Port, inRemote: number, reason: string, outPort: Port | null,
    outRemote: number, count: number, buf: Buffer, off: number, len: number): void {
    const ev = this.ev;
    ev.action = action;
    ev.inPort = inPort;
    ev.inRemote = inRemote;
    ev.reason = reason;
    ev.outPort = outPort;
    ev.outRemote = outRemote;
    ev.count = count;
    ev.buf = buf;
    ev.off = off;
    ev.len = len;
    try {
      (this.observer as SwitchObserver)(ev);
    } catch {
      // an observer must never break forwarding; a throwing observer is switched off
      this.observer = null;
    }
    ev.buf = null;
  }

  // ---------------------------------------------------------------- control path

  addPort(port: Port): void {
    if (this.byPort.has(port)) return;
    for (const a of this.attached) {
      if (a.port.name === port.name) {
        throw conflict('EPORTEXISTS', `switch ${this.name} already has a port named ${port.name}; remove it first or pick another name.`);
      }
    }
    const a = new Attached(port);
    this.byPort.set(port, a);
    this.attached = [...this.attached, a];
    port.setSink(this);
  }

  removePort(port: Port): void {
    const a = this.byPort.get(port);
    if (a === undefined) return;
    port.setSink(null);
    this.byPort.delete(port);
    this.attached = this.attached.filter((x) => x !== a);
    this.fdb.flushPort(a, { includeStatic: true });
    // a removed port must not be flushed later by a burst in progress
    const kept = this.dirty.slice(0, this.dirtyCount).filter((x) => x !== a);
    for (let i = 0; i < this.dirtyCount; i++) this.dirty[i] = kept[i];
    this.dirtyCount = kept.length;
    a.dirty = false;
  }

  ports(): Port[] {
    return this.attached.map((a) => a.port);
  }

  portCounters(port: Port): PortCounters {
    return this.mustAttached(port).counters;
  }

  setStatic(mac: number | string, port: Port, remote: number = REMOTE_NONE): void {
    this.fdb.setStatic(mac, this.mustAttached(port), remote);
  }

  removeStatic(mac: number | string): boolean {
    return this.fdb.removeStatic(mac);
  }

  lookup(mac: number | string): FdbEntry | null {
    const e = this.fdb.lookup(macValue(mac));
    return e === null ? null : { port: e.port.port, remote: e.remote, kind: e.kind, ageMs: e.ageMs };
  }

  fdbEntries(): FdbEntryView[] {
    return this.fdb.entries();
  }

  flushFdb(opts: { port?: Port; remote?: number } = {}): number {
    if (opts.port === undefined) return this.fdb.flushLearned();
    return this.fdb.flushPort(this.mustAttached(opts.port), { remote: opts.remote });
  }

  sweep(): number {
    return this.fdb.sweep();
  }

  setObserver(fn: SwitchObserver | null): void {
    this.observer = fn;
  }

  close(): void {
    for (const a of this.attached) {
      this.removePort(a.port);
      a.port.close();
    }
  }

  private mustAttached(port: Port): Attached {
    const a = this.byPort.get(port);
    if (a === undefined) {
      throw notFound('EPORTNOTATTACHED', `port ${port.name} is not attached to switch ${this.name}; add it to the switch first.`);
    }
    return a;
  }
}

/** Builds an empty learning switch for one network. */
export function createSwitch(opts: SwitchOptions): Switch {
  return new LearningSwitch(opts);
}
