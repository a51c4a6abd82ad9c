// TAP devices for the data plane: open (by name, kernel-chosen, persistent, or re-attached from
// inside a container's network namespace; optionally with TSO/checksum offloads, so frames carry a
// virtio_net_hdr and may be 64 KB TCP super-frames), a batched reader woken by libuv once per burst
// of frames packed into one buffer, and non-blocking writes that report "would block" instead of
// throwing (the caller counts the drop). The only TypeScript that touches the native addon; the switch's TAP port
// (src/dataplane) is built on TapDevice. Control-path failures throw TsnetError (./tap-errors.ts).
import { TsnetError } from '../errors.js';
import { VIRTIO_NET_HDR_LEN } from '../wire/virtio-net-hdr.js';
import { isNativeFailure, loadNative, type NativeReaderHandle, type NativeReaderStats, type TsnetNative } from './addon.js';
import { EAGAIN, checkTapName, errnoName, tapError } from './tap-errors.js';

// Our choice: the same value as HEADROOM in src/dataplane/port.ts (src/native must not import the
// data plane): room for outer Ethernet + IPv6 + UDP + VXLAN in front of every frame read.
export const TAP_DEFAULT_HEADROOM = 96;
// Our choice: frames per read batch (wireguard-go reads up to 128; bench/tap-read.ts).
export const TAP_DEFAULT_BATCH_FRAMES = 64;
// Our choice: the largest frame we accept, a 9000-byte jumbo MTU plus Ethernet/VLAN headers, rounded.
export const TAP_MAX_FRAME = 9216;

// The virtio_net_hdr in front of every frame read from or written to an offload TAP (its fields:
// src/wire/virtio-net-hdr.ts), little-endian (host order; we never use TUNSETVNETBE).
export const VNET_HDR_LEN = VIRTIO_NET_HDR_LEN;

// From the kernel: with TSO the TAP hands us one IP packet of up to 65535 bytes (IP total length)
// behind an Ethernet header and possibly a VLAN tag (14 + 4).
export const TAP_MAX_OFFLOAD_FRAME = 65535 + 14 + 4;
// Our choice: read buffer of an offload TAP. 256 KB holds 3 maximal super-frames (~196 KB of TCP
// payload, ~135 MSS segments, the same order as the 64-128 frame batches of bench/tap-read.ts) plus
// the headroom + TAP_MAX_OFFLOAD_FRAME + 1 that must stay free before each read; or ~120 MTU-sized
// frames, or over 1000 small ones. It stays well inside the 2 MB L2 cache of each core here, next
// to the segments the data plane cuts out of it; a bigger buffer adds latency, not throughput.
export const TAP_OFFLOAD_BATCH_BYTES = 256 * 1024;
// Our choice: frame count cap per offload batch (wireguard-go's IdealBatchSize): bounds one
// callback's work when a burst of small frames (ACKs) would otherwise fill 256 KB with ~1500.
export const TAP_OFFLOAD_BATCH_FRAMES = 128;

export interface TapOpenOptions {
  /** Interface name (1-15 bytes); omitted or '' lets the kernel choose (tap0, tap1...). */
  name?: string;
  /** true: TUNSETPERSIST on (the interface outlives close()); false: off; omitted: unchanged. */
  persist?: boolean;
  /** Open from inside this network namespace (/var/run/netns/NAME or /proc/PID/ns/net). */
  netnsPath?: string;
  /** Re-attach only: fail with ETAP_NOT_FOUND instead of creating a new device. Needs a name. */
  attach?: boolean;
  /** true: IFF_VNET_HDR + TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN: reads may be TCP super-frames of up to
   *  TAP_MAX_OFFLOAD_FRAME with a virtio_net_hdr before them, writes carry one. false/omitted: plain
   *  frames, and any offloads a persistent TAP still had are cleared. */
  offload?: boolean;
}

/** Geometry of a packed read batch; every field has a default (see TapReadBatch). */
export interface TapReadBatchOptions {
  /** Most frames per batch (default TAP_DEFAULT_BATCH_FRAMES). */
  frames?: number;
  /** Free bytes kept before every frame, at least VNET_HDR_LEN on an offload TAP (default TAP_DEFAULT_HEADROOM). */
  headroom?: number;
  /** Most bytes one read may return (default TAP_MAX_FRAME; TAP_MAX_OFFLOAD_FRAME on an offload TAP). */
  maxFrame?: number;
  /** Buffer size, at least headroom + maxFrame + 1 (default: room for `frames` maximal frames, each
   *  taking headroom + maxFrame + 1 bytes rounded up to 8). */
  bufferSize?: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Memory for one TAP reader, allocated once. Frames are PACKED: frame i is at offset(i) =
 *  offsets[i] with its length in lengths[i], and starts `headroom` bytes after the 8-byte aligned
 *  end of frame i-1; those headroom bytes are free for in-place encapsulation (on an offload TAP the
 *  last VNET_HDR_LEN of them hold the frame's virtio_net_hdr). Each read asks for maxFrame + 1
 *  bytes so that a longer frame (which the TAP would truncate) is recognised and dropped; a batch
 *  ends after `frames` frames or when less than headroom + maxFrame + 1 bytes remain.
 *  new TapReadBatch(frames, slotSize, headroom) keeps the old fixed-slot sizing: maxFrame =
 *  slotSize - headroom and room for `frames` maximal frames; new TapReadBatch({...}) takes any geometry. */
export class TapReadBatch {
  readonly buffer: Buffer;
  readonly lengths: Int32Array;
  readonly offsets: Int32Array;
  /** lengths then offsets in one array: what the native reader fills. */
  readonly meta: Int32Array;
  readonly frames: number;
  readonly headroom: number;
  readonly maxFrame: number;

  constructor(opts: TapReadBatchOptions);
  constructor(frames?: number, slotSize?: number, headroom?: number);
  constructor(a: number | TapReadBatchOptions = {}, slotSize?: number, headroom?: number) {
    let o: Required<TapReadBatchOptions>;
    if (typeof a === 'number' || slotSize !== undefined || headroom !== undefined) {
      const frames = typeof a === 'number' ? a : TAP_DEFAULT_BATCH_FRAMES;
      const room = headroom ?? TAP_DEFAULT_HEADROOM;
      const slot = slotSize ?? TAP_DEFAULT_HEADROOM + TAP_MAX_FRAME;
      if (!Number.isInteger(slot) || slot <= room) throw new RangeError(`TapReadBatch slotSize must be an integer above headroom, got ${slot}`);
      o = { frames, headroom: room, maxFrame: slot - room, bufferSize: frames * align8(slot + 1) };
    } else {
      const frames = a.frames ?? TAP_DEFAULT_BATCH_FRAMES;
      const room = a.headroom ?? TAP_DEFAULT_HEADROOM;
      const maxFrame = a.maxFrame ?? TAP_MAX_FRAME;
      o = { frames, headroom: room, maxFrame, bufferSize: a.bufferSize ?? frames * align8(room + maxFrame + 1) };
    }
    if (!Number.isInteger(o.frames) || o.frames < 1) throw new RangeError(`TapReadBatch frames must be a positive integer, got ${o.frames}`);
    if (!Number.isInteger(o.headroom) || o.headroom < 0) throw new RangeError(`TapReadBatch headroom must be a non-negative integer, got ${o.headroom}`);
    if (!Number.isInteger(o.maxFrame) || o.maxFrame < 1) throw new RangeError(`TapReadBatch maxFrame must be a positive integer, got ${o.maxFrame}`);
    const need = o.headroom + o.maxFrame + 1;
    if (!Number.isInteger(o.bufferSize) || o.bufferSize < need || o.bufferSize > 0x7fffffff) {
      throw new RangeError(`TapReadBatch bufferSize must hold headroom + maxFrame + 1 = ${need} bytes (and stay below 2 GB), got ${o.bufferSize}`);
    }
    this.frames = o.frames;
    this.headroom = o.headroom;
    this.maxFrame = o.maxFrame;
    this.buffer = Buffer.alloc(o.bufferSize);
    this.meta = new Int32Array(2 * o.frames);
    this.lengths = this.meta.subarray(0, o.frames);
    this.offsets = this.meta.subarray(o.frames);
    // Until the first read: where maximal frames would go (-1 past the buffer), so that a stand-in
    // device can fill frames at offset(i) the way the fixed-slot reader did.
    const stride = align8(need);
    for (let i = 0; i < o.frames; i++) this.offsets[i] = i * stride + need <= o.bufferSize ? i * stride + o.headroom : -1;
  }

  /** A batch for an offload TAP: TAP_OFFLOAD_BATCH_BYTES, TAP_OFFLOAD_BATCH_FRAMES, TAP_MAX_OFFLOAD_FRAME. */
  static forOffload(headroom: number = TAP_DEFAULT_HEADROOM): TapReadBatch {
    return new TapReadBatch({ frames: TAP_OFFLOAD_BATCH_FRAMES, headroom, maxFrame: TAP_MAX_OFFLOAD_FRAME, bufferSize: TAP_OFFLOAD_BATCH_BYTES });
  }

  /** The default batch for a device: forOffload() on an offload TAP, else the fixed-slot default. */
  static forDevice(device: { readonly offload: boolean }, headroom: number = TAP_DEFAULT_HEADROOM): TapReadBatch {
    return device.offload ? TapReadBatch.forOffload(headroom) : new TapReadBatch(TAP_DEFAULT_BATCH_FRAMES, headroom + TAP_MAX_FRAME, headroom);
  }

  /** headroom + maxFrame: the slot size of the old fixed-slot layout (a read needs one byte more). */
  get slotSize(): number {
    return this.headroom + this.maxFrame;
  }

  /** Offset of frame i in `buffer` (valid for i < the count given to onBatch). */
  offset(i: number): number {
    return this.offsets[i];
  }
}

/** An all-zero virtio_net_hdr: a plain frame whose checksums are complete (never written to). */
const ZERO_VNET_HDR = Buffer.alloc(VNET_HDR_LEN);

export type TapReaderStats = Omit<NativeReaderStats, 'active'>;

export class TapDevice {
  /** Opens or creates a TAP device. Throws TsnetError (ETAP_PERMISSION, ETAP_BAD_NAME, ETAP_BUSY,
   *  ETAP_NOT_FOUND, ETAP_NO_DRIVER, ENETNS_NOT_FOUND, ...). */
  static open(opts: TapOpenOptions = {}, native: TsnetNative = loadNative()): TapDevice {
    const name = opts.name ?? '';
    const bad = checkTapName(name);
    if (bad) throw bad;
    if (opts.attach && name === '') {
      throw new TsnetError('ETAP_BAD_NAME', 'bad-request', 'attaching to an existing TAP device needs its name.');
    }
    const persist = opts.persist === undefined ? -1 : opts.persist ? 1 : 0;
    const offload = opts.offload === true;
    const r = native.open(name, persist, opts.netnsPath ?? null, opts.attach === true, offload);
    if (isNativeFailure(r)) throw tapError(r, { op: 'open', name: name || undefined, netnsPath: opts.netnsPath });
    return new TapDevice(native, r.fd, r.name, opts.netnsPath, offload, r.uso);
  }

  /** The interface name when it was opened (see currentName() after a rename). */
  readonly name: string;
  readonly fd: number;
  /** The namespace it was opened from, if not ours. */
  readonly netnsPath: string | undefined;
  /** Opened with offloads: every read and write carries a VNET_HDR_LEN-byte virtio_net_hdr. */
  readonly offload: boolean;
  /** The kernel also took USO (Linux >= 6.2): reads may be UDP super-frames (gso_type UDP_L4), and so
   *  may writes. false on an older kernel, whose TAP refuses a written UDP_L4 frame (EINVAL). */
  readonly uso: boolean;
  /** errno name of the last write failure other than "would block" (e.g. 'EIO' while the
   *  interface is down), null if none. */
  lastWriteError: string | null = null;

  readonly #native: TsnetNative;
  #closed = false;
  #reader: NativeReaderHandle | null = null;
  #lastStats: TapReaderStats | null = null;

  private constructor(native: TsnetNative, fd: number, name: string, netnsPath: string | undefined, offload: boolean, uso: boolean) {
    this.#native = native;
    this.fd = fd;
    this.name = name;
    this.netnsPath = netnsPath;
    this.offload = offload;
    this.uso = uso;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get reading(): boolean {
    return this.#reader !== null;
  }

  /** The interface's name now (it changes when the TAP is renamed, e.g. to eth0 in a container). */
  currentName(): string {
    this.#assertOpen('name');
    const r = this.#native.ifName(this.fd);
    if (isNativeFailure(r)) throw tapError(r, { op: 'name', name: this.name, netnsPath: this.netnsPath });
    return r;
  }

  /** Starts delivering received frames: onBatch(count) is called on the event loop once per burst,
   *  frames 0..count-1 are in `batch` (at batch.offset(i)) until onBatch returns. On an offload TAP
   *  each frame's virtio_net_hdr is at batch.offset(i) - VNET_HDR_LEN; the batch needs headroom >=
   *  VNET_HDR_LEN and maxFrame >= TAP_MAX_OFFLOAD_FRAME (TapReadBatch.forDevice() fits), else
   *  RangeError. onError is called once if the device fails (ETAP_GONE when its namespace is
   *  deleted); reading has then stopped. */
  startReading(batch: TapReadBatch, onBatch: (count: number) => void, onError: (err: TsnetError) => void): void {
    this.#assertOpen('read');
    if (this.#reader) throw new TsnetError('ETAP_ALREADY_READING', 'conflict', `TAP device "${this.name}" already has a reader; call stopReading() first.`);
    if (this.offload && batch.headroom < VNET_HDR_LEN) {
      throw new RangeError(`offload TAP "${this.name}" needs a read batch with headroom >= ${VNET_HDR_LEN} for the virtio_net_hdr, got ${batch.headroom}`);
    }
    if (this.offload && batch.maxFrame < TAP_MAX_OFFLOAD_FRAME) {
      throw new RangeError(`offload TAP "${this.name}" needs a read batch with maxFrame >= ${TAP_MAX_OFFLOAD_FRAME} (TapReadBatch.forOffload()), got ${batch.maxFrame}`);
    }
    const vnet = this.offload ? VNET_HDR_LEN : 0;
    const r = this.#native.readerStart(this.fd, batch.buffer, batch.meta, batch.frames, batch.maxFrame, batch.headroom, vnet, onBatch, (errno, syscall) => {
      this.#detachReader();
      onError(tapError({ errno, syscall }, { op: 'read', name: this.name, netnsPath: this.netnsPath }));
    });
    if (isNativeFailure(r)) throw tapError(r, { op: 'read', name: this.name, netnsPath: this.netnsPath });
    this.#reader = r;
  }

  /** Stops the reader; safe to call when not reading and from inside onBatch/onError. */
  stopReading(): void {
    const h = this.#reader;
    if (!h) return;
    this.#native.readerStop(h);
    this.#detachReader();
  }

  /** Reads what the device has ready now and hands it to onBatch before returning (0 when not
   *  reading or called from inside onBatch); returns the frames delivered. For right after a write
   *  whose answer the container's kernel queued inline (an ICMP echo reply, an ARP reply, a TCP
   *  ACK): it is read in this loop turn instead of the next (native/tap_reader.c). */
  readNow(): number {
    return this.#reader ? this.#native.readerReadNow(this.#reader) : 0;
  }

  /** Counters of the current (or last) reader: wakeups, batches, frames, drops, readNowFrames. */
  readerStats(): TapReaderStats | null {
    return this.#reader ? strip(this.#native.readerStats(this.#reader)) : this.#lastStats;
  }

  /** Writes one complete frame (checksums filled in; on an offload TAP behind an all-zero
   *  virtio_net_hdr). false = not sent (queue full, device down or closed): count a drop. */
  write(buf: Buffer, off: number, len: number): boolean {
    if (this.#closed) return false;
    const n = this.offload ? this.#native.writeVnet(this.fd, ZERO_VNET_HDR, 0, buf, off, len) : this.#native.write(this.fd, buf, off, len);
    return this.#wrote(n);
  }

  /** Offload TAP only: writes one frame behind the virtio_net_hdr at hdr[hdrOff, +VNET_HDR_LEN)
   *  (e.g. a GSO super-frame with gso_type/gso_size, or NEEDS_CSUM with csum_start/offset) in one
   *  writev, copying nothing. false = not sent (queue full, device down, closed, or a header the
   *  kernel refused: lastWriteError 'EINVAL'): count a drop. Throws ETAP_NO_OFFLOAD on a plain TAP. */
  writeGso(hdr: Buffer, buf: Buffer, off: number, len: number, hdrOff = 0): boolean {
    if (this.#closed) return false;
    if (!this.offload) throw new TsnetError('ETAP_NO_OFFLOAD', 'internal', `TAP device "${this.name}" was opened without offload; open it with {offload: true} to write virtio_net_hdr frames.`);
    return this.#wrote(this.#native.writeVnet(this.fd, hdr, hdrOff, buf, off, len));
  }

  /** Writes frames buf[offsets[i], +lengths[i]) for i < count in one call (complete frames; on an
   *  offload TAP each behind an all-zero virtio_net_hdr); returns how many were written (it stops at
   *  the first that could not be): count - result are drops. */
  writeBatch(buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number): number {
    if (this.#closed) return 0;
    const written = this.offload
      ? this.#native.writeVnetBatch(this.fd, ZERO_VNET_HDR, 0, buf, offsets, lengths, count)
      : this.#native.writeBatch(this.fd, buf, offsets, lengths, count);
    if (written < count) {
      const e = this.#native.lastErrno();
      if (e !== 0 && e !== EAGAIN) this.lastWriteError = errnoName(e);
    }
    return written;
  }

  /** Turns persistence on (the interface outlives close()) or off (close() deletes it). */
  setPersist(persist: boolean): void {
    this.#assertOpen('persist');
    const r = this.#native.setPersist(this.fd, persist);
    if (r) throw tapError(r, { op: 'persist', name: this.name, netnsPath: this.netnsPath });
  }

  /** Stops reading and closes the fd; a non-persistent TAP disappears. Safe to call twice and
   *  from inside the reader's callbacks. */
  close(): void {
    if (this.#closed) return;
    this.stopReading();
    this.#closed = true;
    this.#native.close(this.fd); // Linux releases the fd even on error; nothing to retry
  }

  #wrote(n: number): boolean {
    if (n >= 0) return true;
    if (n !== -EAGAIN) this.lastWriteError = errnoName(-n);
    return false;
  }

  #detachReader(): void {
    const h = this.#reader;
    if (!h) return;
    this.#lastStats = strip(this.#native.readerStats(h));
    this.#reader = null;
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new TsnetError('ETAP_CLOSED', 'internal', `TAP device "${this.name}" is closed; cannot ${what} (open it again).`);
  }
}

function strip(s: NativeReaderStats): TapReaderStats {
  return { wakeups: s.wakeups, batches: s.batches, frames: s.frames, drops: s.drops, readNowFrames: s.readNowFrames };
}
