// TAP devices for the data plane: open (by name, kernel-chosen, persistent, or re-attached from
// inside a container's network namespace), a batched reader woken by libuv once per burst of
// frames, and non-blocking writes that report "would block" instead of throwing (the caller
// counts the drop). The only TypeScript that touches the native addon; the switch's TAP port
// (src/dataplane) is built on TapDevice. Control-path failures throw TsnetError (./tap-errors.ts).
import { TsnetError } from '../errors.js';
import { isNativeFailure, loadNative, type NativeReaderHandle, type NativeReaderStats, type TsnetNative } from './addon.js';
import { EAGAIN, checkTapName, errnoName, tapError } from './tap-errors.js';

// Our choice: the same value as HEADROOM in src/dataplane/port.ts (src/native must not import the
// data plane): room for outer Ethernet + IPv6 + UDP + VXLAN in front of every frame read.
export const TAP_DEFAULT_HEADROOM = 96;
// Our choice: frames per read batch (wireguard-go reads up to 128; bench/tap-read.ts).
export const TAP_DEFAULT_BATCH_FRAMES = 64;
// Our choice: the largest frame we accept, a 9000-byte jumbo MTU plus Ethernet/VLAN headers, rounded.
export const TAP_MAX_FRAME = 9216;

export interface TapOpenOptions {
  /** Interface name (1-15 bytes); omitted or '' lets the kernel choose (tap0, tap1...). */
  name?: string;
  /** true: TUNSETPERSIST on (the interface outlives close()); false: off; omitted: unchanged. */
  persist?: boolean;
  /** Open from inside this network namespace (/var/run/netns/NAME or /proc/PID/ns/net). */
  netnsPath?: string;
  /** Re-attach only: fail with ETAP_NOT_FOUND instead of creating a new device. Needs a name. */
  attach?: boolean;
}

/** Memory for one TAP reader, allocated once: `frames` slots of `slotSize` bytes; frame i is at
 *  offset(i) with its length in lengths[i]; the `headroom` bytes before it are free for
 *  in-place encapsulation. */
export class TapReadBatch {
  readonly buffer: Buffer;
  readonly lengths: Int32Array;
  readonly frames: number;
  readonly slotSize: number;
  readonly headroom: number;

  constructor(frames = TAP_DEFAULT_BATCH_FRAMES, slotSize = TAP_DEFAULT_HEADROOM + TAP_MAX_FRAME, headroom = TAP_DEFAULT_HEADROOM) {
    if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`TapReadBatch frames must be a positive integer, got ${frames}`);
    if (!Number.isInteger(headroom) || headroom < 0) throw new RangeError(`TapReadBatch headroom must be a non-negative integer, got ${headroom}`);
    if (!Number.isInteger(slotSize) || slotSize <= headroom) throw new RangeError(`TapReadBatch slotSize must be an integer above headroom, got ${slotSize}`);
    this.frames = frames;
    this.slotSize = slotSize;
    this.headroom = headroom;
    this.buffer = Buffer.alloc(frames * slotSize);
    this.lengths = new Int32Array(frames);
  }

  /** Offset of frame i in `buffer`. */
  offset(i: number): number {
    return i * this.slotSize + this.headroom;
  }
}

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
    const r = native.open(name, persist, opts.netnsPath ?? null, opts.attach === true);
    if (isNativeFailure(r)) throw tapError(r, { op: 'open', name: name || undefined, netnsPath: opts.netnsPath });
    return new TapDevice(native, r.fd, r.name, opts.netnsPath);
  }

  /** The interface name when it was opened (see currentName() after a rename). */
  readonly name: string;
  readonly fd: number;
  /** The namespace it was opened from, if not ours. */
  readonly netnsPath: string | undefined;
  /** errno name of the last write failure other than "would block" (e.g. 'EIO' while the
   *  interface is down), null if none. */
  lastWriteError: string | null = null;

  readonly #native: TsnetNative;
  #closed = false;
  #reader: NativeReaderHandle | null = null;
  #lastStats: TapReaderStats | null = null;

  private constructor(native: TsnetNative, fd: number, name: string, netnsPath: string | undefined) {
    this.#native = native;
    this.fd = fd;
    this.name = name;
    this.netnsPath = netnsPath;
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
   *  frames 0..count-1 are in `batch` until onBatch returns. onError is called once if the device
   *  fails (ETAP_GONE when its namespace is deleted); reading has then stopped. */
  startReading(batch: TapReadBatch, onBatch: (count: number) => void, onError: (err: TsnetError) => void): void {
    this.#assertOpen('read');
    if (this.#reader) throw new TsnetError('ETAP_ALREADY_READING', 'conflict', `TAP device "${this.name}" already has a reader; call stopReading() first.`);
    const r = this.#native.readerStart(this.fd, batch.buffer, batch.lengths, batch.frames, batch.slotSize, batch.headroom, onBatch, (errno, syscall) => {
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

  /** Counters of the current (or last) reader: wakeups, batches, frames, drops. */
  readerStats(): TapReaderStats | null {
    return this.#reader ? strip(this.#native.readerStats(this.#reader)) : this.#lastStats;
  }

  /** Writes one frame. false = not sent (queue full, device down or closed): count a drop. */
  write(buf: Buffer, off: number, len: number): boolean {
    if (this.#closed) return false;
    const n = this.#native.write(this.fd, buf, off, len);
    if (n >= 0) return true;
    if (n !== -EAGAIN) this.lastWriteError = errnoName(-n);
    return false;
  }

  /** Writes frames buf[offsets[i], +lengths[i]) for i < count in one call; returns how many were
   *  written (it stops at the first that could not be): count - result are drops. */
  writeBatch(buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number): number {
    if (this.#closed) return 0;
    const written = this.#native.writeBatch(this.fd, buf, offsets, lengths, count);
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
  return { wakeups: s.wakeups, batches: s.batches, frames: s.frames, drops: s.drops };
}
