// The VTEP's underlay UDP sockets through the native addon (native/udp_endpoint.c): a listening
// socket plus a pool of send sockets, a receiver woken by libuv once per burst that fills a
// UdpReadBatch with recvmmsg (no Buffer, address string or event per datagram, unlike dgram), sendto
// straight from a caller's Buffer, batched sends of a burst in one sendmmsg with UDP GSO for runs of
// equal-sized datagrams (native/udp_gso.c), UDP GRO on receive when the slots hold 64 KB, and a
// busy-poll window that keeps the event loop polling for a few tens of microseconds after traffic
// so replies skip a scheduler wakeup. The only TypeScript
// that touches these addon functions; used by src/dataplane/vtep.ts.
import { TsnetError } from '../errors.js';
import { isNativeFailure, loadNative, type NativeFailure } from './addon.js';
import { errnoName } from './tap-errors.js';

// ---- our choice ----
/** Datagrams per recvmmsg batch (bench/results/e2e.md, 64 B packet rate; like the TAP reader's 64). */
export const UDP_DEFAULT_BATCH_FRAMES = 64;
/** Room in front of every received datagram (same as HEADROOM in src/dataplane/port.ts). */
export const UDP_DEFAULT_HEADROOM = 96;
/** Largest datagram we accept: a 9000-byte jumbo inner frame plus VXLAN, rounded. */
export const UDP_MAX_DATAGRAM = 9216 + 64;
/** Slot space that turns UDP GRO on: the largest datagram train the kernel coalesces (from the
 *  kernel: one IP packet's payload, net/ipv4/udp_offload.c). */
export const UDP_GRO_MAX_DATAGRAM = 65535;
/** Datagrams in one sendBatch call (native/udp_endpoint.h UDP_SEND_BATCH_MAX). */
export const UDP_SEND_BATCH_MAX = 64;
/** Int32 words of metadata per slot, as written by native/udp_endpoint.c. */
export const UDP_META_INTS = 8;
export const UDP_MAX_POOL = 64;

// errno values (Linux, asm-generic/errno-base.h)
export const UDP_EAGAIN = 11;
export const UDP_EBADF = 9;

/** Handle of an open endpoint (a napi external). */
export type UdpHandle = object & { readonly __tsnetUdp?: never };

export interface UdpEndpointStats {
  wakeups: number;
  batches: number;
  packets: number;
  /** datagrams received but dropped (larger than a slot) */
  drops: number;
  sent: number;
  sendErrors: number;
  busyPollWindows: number;
  /** busy-poll windows ended early because the CPU was contended (busy-polling then pauses) */
  busyPollContended: number;
  /** look-ahead windows opened just before a periodic burst was due (native/busy_poll.c) */
  busyPollAheadWindows: number;
  /** bursts that arrived inside a look-ahead window (found the thread polling) */
  busyPollAheadHits: number;
  /** bursts the look-ahead missed, by why: busy-polling was in a hold-off (CPU contended), no burst
   *  was predicted (no steady period yet), or it came before or after the window */
  busyPollAheadMissHoldoff: number;
  busyPollAheadMissUnpredicted: number;
  busyPollAheadMissEarly: number;
  busyPollAheadMissLate: number;
  /** messages sent with UDP GSO (each a run of equal-sized datagrams) */
  gsoSends: number;
  /** received slots holding a train the kernel coalesced (UDP GRO) */
  groPackets: number;
}

/** The addon's UDP functions (see native/udp_endpoint.c for each one's contract). */
export interface UdpNative {
  udpOpen(family: 4 | 6, address: string, port: number, poolSize: number, rcvbuf: number, sndbuf: number):
    { handle: UdpHandle; port: number; poolPorts: number[] } | NativeFailure;
  udpSockaddr(family: 4 | 6, address: string, port: number): Buffer | NativeFailure;
  udpSend(handle: UdpHandle, slot: number, buf: Buffer, off: number, len: number, sockaddr: Buffer): number;
  udpSendBatch(handle: UdpHandle, slot: number, buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number,
    sockaddr: Buffer): number;
  udpLastSendErrno(handle: UdpHandle): number;
  udpStartReading(handle: UdpHandle, buffer: Buffer, meta: Int32Array, frames: number, slotSize: number, headroom: number,
    onBatch: (count: number) => void, onError: (errno: number, syscall: string) => void): NativeFailure | undefined;
  udpSetBusyPoll(handle: UdpHandle, windowUs: number, aheadUs: number): void;
  udpBurstPeriodTrace(toleranceNs: number, times: Float64Array, onTime: Float64Array, dues: Float64Array): void;
  udpStats(handle: UdpHandle): UdpEndpointStats;
  udpClose(handle: UdpHandle): void;
}

/** What the look-ahead's period tracker (native/burst_period.c) expects after each of `timesNs`
 *  (burst times in ns, ascending; onTime[i]: burst i found the thread polling, default false): when
 *  the next burst is due, 0 while the bursts do not look periodic. A fresh tracker, fed made-up
 *  times: for tests. */
export function traceBurstPeriod(toleranceNs: number, timesNs: readonly number[], onTime: readonly boolean[] = []): number[] {
  const dues = new Float64Array(timesNs.length);
  const flags = Float64Array.from(timesNs, (_, i) => (onTime[i] ? 1 : 0));
  loadUdpNative().udpBurstPeriodTrace(toleranceNs, Float64Array.from(timesNs), flags, dues);
  return Array.from(dues);
}

export function loadUdpNative(): UdpNative {
  const n = loadNative() as unknown as Partial<UdpNative>;
  if (typeof n.udpOpen !== 'function') {
    throw new TsnetError('ENATIVE_LOAD', 'internal', 'the native addon has no UDP functions; rebuild it with `node scripts/build-native.mjs`.');
  }
  return n as UdpNative;
}

/** Memory for one receiver, allocated once: datagram i is at offset(i) (after `headroom` free
 *  bytes), its length at meta[i * UDP_META_INTS] (-1: dropped), then family (4|6), source port,
 *  the source address words (IPv4: one word, host order; IPv6: four big-endian words) and, at
 *  word 7, the segment size of a coalesced train (UDP GRO; 0 for a single datagram). Slots of at
 *  least UDP_GRO_MAX_DATAGRAM bytes after the headroom turn GRO on. */
export class UdpReadBatch {
  readonly buffer: Buffer;
  readonly meta: Int32Array;

  constructor(readonly frames = UDP_DEFAULT_BATCH_FRAMES, readonly slotSize = UDP_DEFAULT_HEADROOM + UDP_MAX_DATAGRAM,
    readonly headroom = UDP_DEFAULT_HEADROOM) {
    if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`UdpReadBatch frames must be a positive integer, got ${frames}`);
    if (!Number.isInteger(headroom) || headroom < 0) throw new RangeError(`UdpReadBatch headroom must be a non-negative integer, got ${headroom}`);
    if (!Number.isInteger(slotSize) || slotSize <= headroom) throw new RangeError(`UdpReadBatch slotSize must be an integer above headroom, got ${slotSize}`);
    this.buffer = Buffer.alloc(frames * slotSize);
    this.meta = new Int32Array(frames * UDP_META_INTS);
  }

  offset(i: number): number {
    return i * this.slotSize + this.headroom;
  }
}

export interface UdpOpenOptions {
  /** IP literal to bind ('0.0.0.0', '::', or an address of this host). */
  address: string;
  /** Port of the listening socket (0: kernel-chosen). */
  port: number;
  /** Send sockets on kernel-chosen ports bound to the same address (0..64). */
  poolSize?: number;
  recvBufferBytes?: number;
  sendBufferBytes?: number;
}

/** A failed open: the errno name ('EADDRINUSE', ...) and the syscall, for the caller to map. */
export class UdpOpenError extends Error {
  constructor(readonly errno: number, readonly code: string, readonly syscall: string) {
    super(`${syscall} failed: ${code}`);
  }
}

export class UdpEndpoint {
  /** Opens and binds the sockets. Throws UdpOpenError (the caller maps bind errors to its own). */
  static open(opts: UdpOpenOptions, native: UdpNative = loadUdpNative()): UdpEndpoint {
    const family = opts.address.includes(':') ? 6 : 4;
    const pool = opts.poolSize ?? 0;
    const r = native.udpOpen(family, opts.address, opts.port, pool, opts.recvBufferBytes ?? 0, opts.sendBufferBytes ?? 0);
    if (isNativeFailure(r)) throw new UdpOpenError(r.errno, errnoName(r.errno), r.syscall);
    return new UdpEndpoint(native, r.handle, family, opts.address, r.port, r.poolPorts);
  }

  #closed = false;

  private constructor(private readonly native: UdpNative, private readonly handle: UdpHandle, readonly family: 4 | 6,
    readonly address: string, readonly port: number, readonly poolPorts: readonly number[]) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** The sockaddr bytes of a destination, to pass to send(). Null if `address` is not an IP literal. */
  sockaddr(address: string, port: number): Buffer | null {
    const r = this.native.udpSockaddr(this.family, address, port);
    return isNativeFailure(r) ? null : r;
  }

  /** Sends buf[off, off+len) from pool socket `slot` (-1 or no pool: the listening socket).
   *  Returns bytes sent or -errno (-UDP_EAGAIN: socket buffer full). */
  send(slot: number, buf: Buffer, off: number, len: number, sockaddr: Buffer): number {
    return this.native.udpSend(this.handle, slot, buf, off, len, sockaddr);
  }

  /** Sends datagrams i < count, each buf[offsets[i], +lengths[i]), to one destination from pool
   *  socket `slot`, in one system call; runs of equal-sized datagrams go as one UDP GSO message.
   *  The buffer may be reused on return. Returns how many were sent (in order); see lastSendErrno. */
  sendBatch(slot: number, buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number, sockaddr: Buffer): number {
    return this.native.udpSendBatch(this.handle, slot, buf, offsets, lengths, count, sockaddr);
  }

  /** errno of the first failure in the last sendBatch (UDP_EAGAIN: socket buffer full), 0 if none. */
  lastSendErrno(): number {
    return this.native.udpLastSendErrno(this.handle);
  }

  /** Starts the receiver on the listening socket (once): onBatch(count) runs once per burst with
   *  datagrams 0..count-1 in `batch`, valid until it returns. onError runs if the socket fails. */
  startReading(batch: UdpReadBatch, onBatch: (count: number) => void, onError: (errno: number, syscall: string) => void): void {
    const r = this.native.udpStartReading(this.handle, batch.buffer, batch.meta, batch.frames, batch.slotSize, batch.headroom, onBatch, onError);
    if (isNativeFailure(r)) {
      throw new TsnetError('EVTEP_READ', 'internal', `starting the VTEP receiver failed (${r.syscall}: ${errnoName(r.errno)}); restart tsnet.`);
    }
  }

  /** Busy-poll window after each send or receive, and the look-ahead before a periodic burst, in
   *  microseconds (0: off; native/busy_poll.c). */
  setBusyPoll(windowUs: number, aheadUs: number): void {
    this.native.udpSetBusyPoll(this.handle, Math.max(0, Math.floor(windowUs)), Math.max(0, Math.floor(aheadUs)));
  }

  stats(): UdpEndpointStats {
    return this.native.udpStats(this.handle);
  }

  /** Closes every socket; safe to call twice and from inside onBatch. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.native.udpClose(this.handle);
  }
}
