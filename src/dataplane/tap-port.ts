// A switch Port over a TAP device (src/native/tap.ts). Native code wakes us once per burst with
// up to `batch.frames` frames read into one TapReadBatch at HEADROOM (so a VXLAN port can
// encapsulate them in place); we hand each to the sink and end the burst with sink.flush()
// (convention 4). output() writes one frame; a full device queue is counted as 'tx-would-block'.
// Used by the control plane for every container endpoint and by `tsnet switch`.
//
// On a TAP opened with offloads (TSO, USO + checksum offload, device.offload) the container's kernel
// hands over TCP super-frames of up to 64 KB, UDP super-frames (a socket's UDP_SEGMENT send, gso_type
// UDP_L4) and frames whose L4 checksum is left for us (virtio header NEEDS_CSUM). A partial checksum
// is completed in place; a super-frame goes to the switch whole, with the offset of its virtio header
// (port.ts `vnet`): the switch hands it as it is to another offload TAP (acceptsOffload: written once
// with its header, no cutting, no merging) and cuts it into MSS- or gso_size-sized segments
// (software GSO, gso-segmenter.ts) for any other port. The other way, plain frames the
// switch outputs to an offload TAP (MTU-sized segments from the tunnel) go through a TCP coalescer
// (tcp-coalescer.ts, userspace GRO): consecutive segments of one flow in a burst become one
// super-frame, written once with a GSO virtio header, and a UDP coalescer (udp-coalescer.ts) does
// the same for consecutive datagrams of one UDP flow (gso_type UDP_L4; the container's kernel cuts
// them apart again at its UDP layer); at most one of the two has a frame pending, so the order of
// frames is kept. flush() (the end of the switch's burst) writes what is pending.
//
// Read-back: a write to a TAP makes the container's kernel process the frame inline, and its
// answer (an ICMP echo reply, an ARP reply, a TCP ACK) is often queued on the TAP before the write
// returns. After a turn that wrote to this TAP the port reads it once more (device.readNow), so such
// an answer goes on in the same loop turn instead of the next, which costs a loop iteration and,
// when another busy-polling process shares the CPU, a yield to it (bench/README.md, "One ping
// round trip"). When nothing is queued the read-back is one read() returning EAGAIN.
import { asTsnetError, type TsnetError } from '../errors.js';
import { TapReadBatch, type TapDevice, type TapReaderStats } from '../native/tap.js';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_LEN,
  vnetCsumOffset, vnetCsumStart, vnetFlags, vnetGsoType,
} from '../wire/virtio-net-hdr.js';
import { countDrop, HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port, type PortCounters } from './port.js';
import { atIoTurnEnd, enterIoTurn, leaveIoTurn } from './io-turn.js';
import { completeChecksum } from './gso-segmenter.js';
import { TcpCoalescer, type CoalescedOutput } from './tcp-coalescer.js';
import { UdpCoalescer, mergeableUdp } from './udp-coalescer.js';

/** What a write behind a virtio-net header came to. */
const WRITE_OK = 1;
const WRITE_WOULD_BLOCK = 0;
const WRITE_FAILED = -1;
type WriteResult = typeof WRITE_OK | typeof WRITE_WOULD_BLOCK | typeof WRITE_FAILED;

/** The part of TapDevice a TapPort uses (a TapDevice always fits). */
export type TapDeviceLike = Pick<TapDevice, 'name' | 'startReading' | 'stopReading' | 'readNow' | 'readerStats' | 'write' | 'writeGso' | 'close' | 'closed' | 'offload' | 'uso'>;

/** Software offload counters of a TAP port with offloads (zero otherwise). */
export interface TapOffloadStats {
  /** super-frames read from the device, TCP and UDP (passed to the switch whole) */
  superFrames: number;
  /** of those, UDP super-frames (a container's UDP_SEGMENT send, gso_type UDP_L4, through USO) */
  udpSuperFrames: number;
  /** super-frames written to the device as they came from another offload TAP */
  passedThrough: number;
  /** frames whose checksum we completed (NEEDS_CSUM without GSO) */
  checksums: number;
  /** TCP super-frames written (coalesced from two or more segments output to this port) */
  coalescedFrames: number;
  /** segments merged into them */
  coalescedSegments: number;
  /** UDP super-frames written (coalesced from two or more datagrams output to this port) */
  udpCoalescedFrames: number;
  /** datagrams merged into them */
  udpCoalescedDatagrams: number;
}

/** What `inspect` and `tsnet switch` show of an offload TAP port: its counters, and whether the kernel
 *  took USO (udpSegmentation false on Linux < 6.2: a container's UDP_SEGMENT sends reach us cut into
 *  datagrams, and datagrams go into the container one by one, not merged). */
export type TapOffloadView = TapOffloadStats & { udpSegmentation: boolean };

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
  readonly offloadStats: TapOffloadStats = {
    superFrames: 0, udpSuperFrames: 0, passedThrough: 0, checksums: 0, coalescedFrames: 0, coalescedSegments: 0, udpCoalescedFrames: 0, udpCoalescedDatagrams: 0,
  };
  /** Offload TAPs only: merges the TCP segments of a burst output to this port... */
  private readonly coalescer: TcpCoalescer | null;
  /** ...and its UDP datagrams (writing through udpOutput, which counts them apart). */
  private readonly udpCoalescer: UdpCoalescer | null;
  /** Only where the kernel took USO (a kernel without it refuses UDP_L4 writes, device.uso); off
   *  after a UDP super-frame could not be written all the same. */
  private udpCoalescing: boolean;
  /** A read-back is due at the end of this turn (see the header). */
  private readBackArmed = false;
  private readonly readBack = (): void => {
    this.readBackArmed = false;
    if (!this.closed) this.device.readNow();
  };

  constructor(readonly device: TapDeviceLike, opts: TapPortOptions) {
    this.name = opts.name ?? device.name;
    this.onError = opts.onError ?? (() => {});
    this.closeDevice = opts.closeDevice ?? true;
    this.batch = opts.batch ?? TapReadBatch.forDevice(device, HEADROOM);
    this.coalescer = device.offload ? new TcpCoalescer(this) : null;
    this.udpCoalescer = device.offload ? new UdpCoalescer(this.udpOutput) : null;
    this.udpCoalescing = device.uso;
    device.startReading(this.batch, (count: number) => this.onBatch(count), (err: TsnetError) => this.onError(err));
  }

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  private onBatch(count: number): void {
    enterIoTurn();
    try {
      this.receiveBurst(count);
    } finally {
      leaveIoTurn();
    }
  }

  private receiveBurst(count: number): void {
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
      const gsoType = vnetGsoType(buf, hdr) & ~VIRTIO_NET_HDR_GSO_ECN;
      if (gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
        o.superFrames++;
        if (gsoType === VIRTIO_NET_HDR_GSO_UDP_L4) o.udpSuperFrames++;
        c.rxFrames++;
        c.rxBytes += len;
        sink.input(this, buf, off, len, REMOTE_NONE, hdr); // whole: the switch cuts it where needed
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

  get acceptsOffload(): boolean {
    return this.device.offload;
  }

  output(buf: Buffer, off: number, len: number, _remote: number, vnet = -1): void {
    if (this.closed) {
      countDrop(this.counters, 'closed');
      return;
    }
    const co = this.coalescer;
    const uco = this.udpCoalescer;
    if (co === null || uco === null) {
      this.writeFrame(buf, off, len);
      return;
    }
    if (vnet >= 0) {
      co.flush(); // what is pending came first
      uco.flush();
      if (this.writeWithHeader(buf, vnet, buf, off, len, 1, len) === WRITE_OK) this.offloadStats.passedThrough++;
      return;
    }
    const u = this.udpCoalescing ? mergeableUdp(buf, off, len) : -1;
    if (u >= 0) {
      co.flush();
      uco.add(buf, off, len, u);
    } else {
      uco.flush();
      co.add(buf, off, len);
    }
  }

  /** Ends a burst of output(): writes the pending super-frame. */
  flush(): void {
    if (this.closed) return;
    this.coalescer?.flush();
    this.udpCoalescer?.flush();
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
    this.armReadBack();
  }

  /** Reads the device once more when this turn ends (outside a turn, e.g. a test writing
   *  directly, there is no read-back). */
  private armReadBack(): void {
    if (!this.readBackArmed) this.readBackArmed = atIoTurnEnd(this.readBack);
  }

  /** The UDP coalescer's output: plain frames as any, super-frames counted as UDP ones. */
  private readonly udpOutput: CoalescedOutput = {
    writeFrame: (buf, off, len) => this.writeFrame(buf, off, len),
    writeSuperFrame: (hdr, hdrOff, buf, off, len, datagrams, bytes) => {
      const r = this.writeWithHeader(hdr, hdrOff, buf, off, len, datagrams, bytes);
      if (r === WRITE_FAILED) this.udpCoalescing = false; // a kernel that refuses UDP_L4 super-frames: one by one from now on (these count as tx-error)
      if (r !== WRITE_OK) return;
      this.offloadStats.udpCoalescedFrames++;
      this.offloadStats.udpCoalescedDatagrams += datagrams;
    },
  };

  /** A coalesced TCP super-frame (CoalescedOutput): counted as the segments it was made of. */
  writeSuperFrame(hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number, segments: number, segmentBytes: number): void {
    if (this.writeWithHeader(hdr, hdrOff, buf, off, len, segments, segmentBytes) !== WRITE_OK) return;
    this.offloadStats.coalescedFrames++;
    this.offloadStats.coalescedSegments += segments;
  }

  /** Writes a frame behind a virtio-net header; counts it as `frames` frames of `bytes` in all. */
  private writeWithHeader(hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number, frames: number, bytes: number): WriteResult {
    const c = this.counters;
    let ok: boolean;
    try {
      ok = this.device.writeGso(hdr, buf, off, len, hdrOff);
    } catch (err) {
      this.writeFailed(err, frames);
      return WRITE_FAILED;
    }
    if (!ok) {
      c.drops['tx-would-block'] = (c.drops['tx-would-block'] ?? 0) + frames;
      return WRITE_WOULD_BLOCK;
    }
    c.txFrames += frames;
    c.txBytes += bytes;
    this.armReadBack();
    return WRITE_OK;
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
    this.udpCoalescer?.drop();
    if (this.device.closed) return;
    this.device.stopReading();
    if (this.closeDevice) this.device.close();
  }
}

/** The software offload counters of a port if it is a TAP port with offloads, else null (views). */
export function offloadStatsOf(port: Port): TapOffloadView | null {
  return port instanceof TapPortImpl && port.device.offload ? { udpSegmentation: port.device.uso, ...port.offloadStats } : null;
}

/** A TAP port's reader counters (wakeups, batches, frames, drops, and readNowFrames: frames read
 *  back at the end of the turn that wrote); null for other ports. */
export function readerStatsOf(port: Port): TapReaderStats | null {
  return port instanceof TapPortImpl ? port.device.readerStats() : null;
}

/** Wraps an open TAP device as a switch port and starts reading from it. */
export function createTapPort(device: TapDeviceLike, opts: TapPortOptions = {}): TapPort {
  return new TapPortImpl(device, opts);
}
