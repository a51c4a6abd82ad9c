// A switch Port over a TAP device (src/native/tap.ts). Native code wakes us once per burst with
// up to `batch.frames` frames read into one TapReadBatch at HEADROOM (so a VXLAN port can
// encapsulate them in place); we hand each to the sink and end the burst with sink.flush()
// (convention 4). output() writes one frame; a full device queue is counted as 'tx-would-block'.
// Used by the control plane for every container endpoint and by `tsnet switch`.
//
// On a TAP opened with offloads (TSO + checksum offload, device.offload) the container's kernel
// hands over TCP super-frames of up to 64 KB and frames whose L4 checksum is left for us (virtio
// header NEEDS_CSUM). Every frame that leaves this port for the switch is plain: a super-frame is
// cut into MSS-sized segments (tcp-segmenter.ts, software GSO, one read for up to ~45 segments),
// a partial checksum is completed in place. The segments of one super-frame are flushed together,
// before the segmenter's buffer is reused. The other way, frames the switch outputs to an offload TAP
// (MTU-sized segments from the tunnel) go through a TCP coalescer (tcp-coalescer.ts, userspace GRO):
// consecutive segments of one flow in a burst become one super-frame, written once with a GSO
// virtio header; flush() (the end of the switch's burst) writes what is pending.
import { asTsnetError, type TsnetError } from '../errors.js';
import { TapReadBatch, type TapDevice } from '../native/tap.js';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_LEN,
  vnetCsumOffset, vnetCsumStart, vnetFlags, vnetGsoSize, vnetGsoType,
} from '../wire/virtio-net-hdr.js';
import { countDrop, HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port, type PortCounters } from './port.js';
import { ALIGN_SLACK, completeChecksum, SEGMENT_MAX_HEADERS, TcpSegmenter } from './tcp-segmenter.js';
import { TcpCoalescer, type CoalescedOutput } from './tcp-coalescer.js';

// ---- from the kernel ----
/** A TSO super-frame is one IP packet: at most this many payload bytes to cut. */
const MAX_SUPER_PAYLOAD = 65535;
/** The smallest MSS Linux sends (TCP_MIN_SND_MSS, include/net/tcp.h); a smaller gso_size gets
 *  slots for this one and is refused by the segmenter (too many segments). */
const MIN_MSS = 48;

/** The part of TapDevice a TapPort uses (a TapDevice always fits). */
export type TapDeviceLike = Pick<TapDevice, 'name' | 'startReading' | 'stopReading' | 'write' | 'writeGso' | 'close' | 'closed' | 'offload'>;

/** Software offload counters of a TAP port with offloads (zero otherwise). */
export interface TapOffloadStats {
  /** TCP super-frames read and cut into segments */
  superFrames: number;
  /** segments made from them */
  segments: number;
  /** frames whose checksum we completed (NEEDS_CSUM without GSO) */
  checksums: number;
  /** TCP super-frames written (coalesced from two or more segments output to this port) */
  coalescedFrames: number;
  /** segments merged into them */
  coalescedSegments: number;
}

export interface TapPortOptions {
  /** Port name (default: the device's interface name at open time). */
  name?: string;
  /** Called on read errors (e.g. the device vanished with its namespace) and the first write error. */
  onError?: (err: TsnetError) => void;
  /** Close the device when the port closes (default true); false leaves it to the caller. */
  closeDevice?: boolean;
  /** Read batch to use (default: TapReadBatch.forDevice(device, HEADROOM)). */
  batch?: TapReadBatch;
}

export interface TapPort extends Port {
  readonly device: TapDeviceLike;
  readonly closed: boolean;
  readonly offloadStats: TapOffloadStats;
}

class TapPortImpl implements TapPort, CoalescedOutput {
  readonly kind = 'tap' as const;
  readonly counters: PortCounters = newCounters();
  readonly name: string;
  closed = false;
  private sink: FrameSink | null = null;
  private readonly batch: TapReadBatch;
  private readonly onError: (err: TsnetError) => void;
  private readonly closeDevice: boolean;
  private writeErrorReported = false;
  readonly offloadStats: TapOffloadStats = { superFrames: 0, segments: 0, checksums: 0, coalescedFrames: 0, coalescedSegments: 0 };
  /** Made at the first super-frame, sized for its MSS; remade (bigger) only if the MSS grows. */
  private segmenter: TcpSegmenter | null = null;
  /** Offload TAPs only: merges the TCP segments of a burst output to this port. */
  private readonly coalescer: TcpCoalescer | null;

  constructor(readonly device: TapDeviceLike, opts: TapPortOptions) {
    this.name = opts.name ?? device.name;
    this.onError = opts.onError ?? (() => {});
    this.closeDevice = opts.closeDevice ?? true;
    this.batch = opts.batch ?? TapReadBatch.forDevice(device, HEADROOM);
    this.coalescer = device.offload ? new TcpCoalescer(this) : null;
    device.startReading(this.batch, (count: number) => this.onBatch(count), (err: TsnetError) => this.onError(err));
  }

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  private onBatch(count: number): void {
    const sink = this.sink;
    const batch = this.batch;
    const buf = batch.buffer;
    const lengths = batch.lengths;
    const c = this.counters;
    if (sink === null) {
      for (let i = 0; i < count; i++) countDrop(c, 'no-sink');
      return;
    }
    if (this.device.offload) {
      this.onOffloadBatch(sink, count);
      return;
    }
    for (let i = 0; i < count; i++) {
      const len = lengths[i];
      c.rxFrames++;
      c.rxBytes += len;
      sink.input(this, buf, batch.offset(i), len, REMOTE_NONE);
    }
    sink.flush?.();
  }

  /** A burst from an offload TAP: every frame has its virtio header right before it. */
  private onOffloadBatch(sink: FrameSink, count: number): void {
    const batch = this.batch;
    const buf = batch.buffer;
    const lengths = batch.lengths;
    const c = this.counters;
    const o = this.offloadStats;
    for (let i = 0; i < count; i++) {
      const off = batch.offset(i);
      const len = lengths[i];
      const hdr = off - VIRTIO_NET_HDR_LEN;
      if ((vnetGsoType(buf, hdr) & ~VIRTIO_NET_HDR_GSO_ECN) !== VIRTIO_NET_HDR_GSO_NONE) {
        const seg = this.segmenterFor(vnetGsoSize(buf, hdr));
        const n = seg.segment(buf, off, len, hdr);
        if (n < 0) {
          countDrop(c, 'bad-offload');
          continue;
        }
        o.superFrames++;
        o.segments += n;
        const sbuf = seg.buffer;
        for (let k = 0; k < n; k++) {
          const slen = seg.lengths[k];
          c.rxFrames++;
          c.rxBytes += slen;
          sink.input(this, sbuf, seg.offsets[k], slen, REMOTE_NONE);
        }
        sink.flush?.(); // the segments must leave before the next super-frame reuses the slots
        continue;
      }
      if ((vnetFlags(buf, hdr) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
        if (!completeChecksum(buf, off, len, vnetCsumStart(buf, hdr), vnetCsumOffset(buf, hdr))) {
          countDrop(c, 'bad-offload');
          continue;
        }
        o.checksums++;
      }
      c.rxFrames++;
      c.rxBytes += len;
      sink.input(this, buf, off, len, REMOTE_NONE);
    }
    sink.flush?.();
  }

  /** A segmenter whose slots hold segments of `mss` payload bytes, enough of them for 64 KB. An
   *  MSS of 0 is left for segment() to reject. */
  private segmenterFor(mss: number): TcpSegmenter {
    const cur = this.segmenter;
    const m = Math.max(mss, MIN_MSS);
    let room = HEADROOM + ALIGN_SLACK + SEGMENT_MAX_HEADERS + m;
    let slots = Math.ceil(MAX_SUPER_PAYLOAD / m);
    if (cur !== null) {
      if (cur.segmentRoom >= room && cur.maxSegments >= slots) return cur;
      // grow in both dimensions, so flows with different MSSs do not make it reallocate in turn
      room = Math.max(room, cur.segmentRoom);
      slots = Math.max(slots, cur.maxSegments);
    }
    // rounded up so a slightly larger MSS later (a path MTU change) does not reallocate
    const seg = new TcpSegmenter(slots, (room + 63) & ~63, HEADROOM);
    this.segmenter = seg;
    return seg;
  }

  output(buf: Buffer, off: number, len: number, _remote: number): void {
    if (this.closed) {
      countDrop(this.counters, 'closed');
      return;
    }
    const co = this.coalescer;
    if (co !== null) co.add(buf, off, len);
    else this.writeFrame(buf, off, len);
  }

  /** Ends a burst of output(): writes the pending super-frame. */
  flush(): void {
    if (!this.closed) this.coalescer?.flush();
  }

  /** One plain frame to the device (CoalescedOutput; output() on a plain TAP). */
  writeFrame(buf: Buffer, off: number, len: number): void {
    const c = this.counters;
    let ok: boolean;
    try {
      ok = this.device.write(buf, off, len);
    } catch (err) {
      this.writeFailed(err, 1);
      return;
    }
    if (!ok) {
      countDrop(c, 'tx-would-block');
      return;
    }
    c.txFrames++;
    c.txBytes += len;
  }

  /** A coalesced super-frame (CoalescedOutput): counted as the segments it was made of. */
  writeSuperFrame(hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number, segments: number, segmentBytes: number): void {
    const c = this.counters;
    let ok: boolean;
    try {
      ok = this.device.writeGso(hdr, buf, off, len, hdrOff);
    } catch (err) {
      this.writeFailed(err, segments);
      return;
    }
    if (!ok) {
      c.drops['tx-would-block'] = (c.drops['tx-would-block'] ?? 0) + segments;
      return;
    }
    c.txFrames += segments;
    c.txBytes += segmentBytes;
    this.offloadStats.coalescedFrames++;
    this.offloadStats.coalescedSegments += segments;
  }

  private writeFailed(err: unknown, frames: number): void {
    const c = this.counters;
    c.drops['tx-error'] = (c.drops['tx-error'] ?? 0) + frames;
    if (!this.writeErrorReported) {
      this.writeErrorReported = true;
      this.onError(asTsnetError(err));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    this.coalescer?.drop();
    if (this.device.closed) return;
    this.device.stopReading();
    if (this.closeDevice) this.device.close();
  }
}

/** The software offload counters of a port if it is a TAP port with offloads, else null (views). */
export function offloadStatsOf(port: Port): TapOffloadStats | null {
  return port instanceof TapPortImpl && port.device.offload ? { ...port.offloadStats } : null;
}

/** Wraps an open TAP device as a switch port and starts reading from it. */
export function createTapPort(device: TapDeviceLike, opts: TapPortOptions = {}): TapPort {
  return new TapPortImpl(device, opts);
}
