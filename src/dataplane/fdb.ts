// The forwarding database (MAC table) of one switch: MAC -> (port, remote, kind, last seen).
// Used by switch.ts on every frame, and by the control plane through the switch for static
// entries of remote endpoints (convention 6: control plane first, learning as the fallback).
//
// Layout: entries live densely in parallel typed arrays (slot 0..size-1); an open-addressing
// index (linear probing, backward-shift deletion, load <= 1/2) maps a MAC to its slot. A MAC is
// handled as two 24-bit halves (mac.ts), so a lookup touches only small integers and allocates
// nothing. Learned entries age lazily when looked up and in sweep(); static entries never age
// and are never replaced by learning. Learned entries are capped (maxMacs); statics always fit.
//
// Time is a "tick": the clock's milliseconds wrapped to int32 (`clock() | 0`), so timestamps are
// small integers that never get boxed when passed around (a double `now` passed to a call that is
// not inlined costs a 16-byte heap number per frame: bench/switch.ts measured it). Ages are
// `(now - seen) | 0`; a negative age (older than 2^31 ms) counts as expired. An entry untouched
// for 2^32 ms (49 days) would look young again: call sweep() more often than that.
import { badRequest } from '../errors.js';
import { macHi, macJoin, macLo, macToString, macValue } from './mac.js';

// ---- our choice ----
/** Linux bridge default ageing_time (300 s). */
export const DEFAULT_AGING_MS = 300_000;
/** Learned MACs per switch before new ones are refused; bench/switch.ts measures up to 100k. */
export const DEFAULT_MAX_MACS = 16_384;
/** Slots allocated up front; the table doubles as it fills (allocation only when it grows). */
const INITIAL_SLOTS = 64;
/** When the table is full, try a sweep of expired entries at most this often. */
const FULL_SWEEP_INTERVAL_MS = 1_000;
/** Longest aging time ticks can express (2^31 - 1 ms, 24.8 days). */
export const MAX_AGING_MS = 0x7fff_ffff;

/** Default clock: monotonic milliseconds (wall-clock jumps must not age the table). */
export const monotonicMs = (): number => performance.now();

/** A clock reading as a tick (int32 milliseconds, wrapping). */
export function toTick(ms: number): number {
  return ms | 0;
}

const KIND_FREE = 0;
const KIND_LEARNED = 1;
const KIND_STATIC = 2;

/** Result of Fdb.learn(). */
export const LEARN_REFRESHED = 0; // already known at this (port, remote)
export const LEARN_ADDED = 1; // new entry (or an expired one re-learned)
export const LEARN_MOVED = 2; // known at another (port, remote): entry moved
export const LEARN_FULL = 3; // table full: not learned, counted in stats.overflow
export const LEARN_STATIC = 4; // a static entry for this MAC points elsewhere: not learned

export type FdbKind = 'learned' | 'static';

export interface FdbOptions {
  /** Milliseconds; injected so tests can drive aging. Default: monotonic (performance.now). */
  clock?: () => number;
  /** Age after which a learned entry is forgotten (default 300 s). */
  agingMs?: number;
  /** Maximum learned entries (default 16384). Static entries are not limited. */
  maxMacs?: number;
}

/** Cumulative counters of one FDB. */
export interface FdbStats {
  learned: number;
  moved: number;
  aged: number;
  /** New MACs not learned because the table was full. */
  overflow: number;
  /** Frames whose source MAC has a static entry on another (port, remote). */
  staticConflicts: number;
}

/** One entry, for display. */
export interface FdbEntryView {
  mac: string;
  port: string;
  remote: number;
  kind: FdbKind;
  ageMs: number;
}

/** One entry, for the control plane. */
export interface FdbLookup<P> {
  port: P;
  remote: number;
  kind: FdbKind;
  ageMs: number;
}

export class Fdb<P extends { readonly name: string }> {
  readonly agingMs: number;
  readonly maxMacs: number;
  readonly stats: FdbStats = { learned: 0, moved: 0, aged: 0, overflow: 0, staticConflicts: 0 };
  private readonly clock: () => number;
  private count = 0;
  private learnedCount = 0;
  private lastFullSweep = 0;
  private sweptWhenFull = false;
  // entries, by slot
  private cap = INITIAL_SLOTS;
  private hi = new Int32Array(INITIAL_SLOTS);
  private lo = new Int32Array(INITIAL_SLOTS);
  private rem = new Int32Array(INITIAL_SLOTS);
  private kind = new Uint8Array(INITIAL_SLOTS);
  private seen = new Int32Array(INITIAL_SLOTS);
  private owner: Array<P | null> = new Array<P | null>(INITIAL_SLOTS).fill(null);
  // index: slot + 1 per bucket, 0 = empty
  private index = new Int32Array(INITIAL_SLOTS * 2);
  private mask = INITIAL_SLOTS * 2 - 1;

  constructor(opts: FdbOptions = {}) {
    this.clock = opts.clock ?? monotonicMs;
    this.agingMs = opts.agingMs ?? DEFAULT_AGING_MS;
    this.maxMacs = opts.maxMacs ?? DEFAULT_MAX_MACS;
    if (!Number.isInteger(this.agingMs) || this.agingMs < 1 || this.agingMs > MAX_AGING_MS) {
      throw badRequest('EAGINGINVALID', `aging time ${this.agingMs} ms is out of range; use a whole number of milliseconds from 1 to ${MAX_AGING_MS}.`);
    }
    if (!Number.isInteger(this.maxMacs) || this.maxMacs < 0) {
      throw badRequest('EMAXMACSINVALID', `maximum MAC count ${this.maxMacs} is invalid; use a whole number, 0 or more.`);
    }
  }

  /** The FDB clock now, as a tick. */
  now(): number {
    return this.clock() | 0;
  }

  /** True if a learned entry last seen at `seen` is expired at `now` (both ticks). */
  private expired(now: number, seen: number): boolean {
    const age = (now - seen) | 0;
    return age > this.agingMs || age < 0;
  }

  /** Entries in the table (learned + static, including expired ones not yet swept). */
  get size(): number {
    return this.count;
  }

  /** Learned entries in the table. */
  get learnedSize(): number {
    return this.learnedCount;
  }

  // ---------------------------------------------------------------- hot path (no allocation)

  /** Slot of (hi, lo), or -1 if unknown or expired (an expired learned entry is removed). `now` is a tick. */
  find(hi: number, lo: number, now: number): number {
    const i = this.indexOf(hi, lo);
    if (i < 0) return -1;
    const slot = this.index[i] - 1;
    if (this.kind[slot] === KIND_LEARNED && this.expired(now, this.seen[slot])) {
      this.stats.aged++;
      this.deleteAt(i);
      return -1;
    }
    return slot;
  }

  portAt(slot: number): P {
    return this.owner[slot] as P;
  }

  remoteAt(slot: number): number {
    return this.rem[slot];
  }

  /** Records that (hi, lo) was seen as a source on (port, remote); returns a LEARN_* code. */
  learn(hi: number, lo: number, port: P, remote: number, now: number): number {
    let i = this.indexOf(hi, lo);
    if (i >= 0) {
      const slot = this.index[i] - 1;
      if (this.kind[slot] === KIND_STATIC) {
        if (this.owner[slot] === port && this.rem[slot] === remote) return LEARN_REFRESHED;
        this.stats.staticConflicts++;
        return LEARN_STATIC;
      }
      const expired = this.expired(now, this.seen[slot]);
      this.seen[slot] = now;
      if (this.owner[slot] === port && this.rem[slot] === remote) return LEARN_REFRESHED;
      this.owner[slot] = port;
      this.rem[slot] = remote;
      if (expired) {
        this.stats.learned++;
        return LEARN_ADDED;
      }
      this.stats.moved++;
      return LEARN_MOVED;
    }
    if (this.learnedCount >= this.maxMacs) {
      const since = (now - this.lastFullSweep) | 0;
      const recent = this.sweptWhenFull && since >= 0 && since < FULL_SWEEP_INTERVAL_MS;
      this.sweptWhenFull = true;
      this.lastFullSweep = now;
      if (recent || this.sweep(now) === 0) {
        this.stats.overflow++;
        return LEARN_FULL;
      }
      i = this.indexOf(hi, lo); // the sweep moved buckets around
    }
    this.insert(-1 - i, hi, lo, port, remote, KIND_LEARNED, now);
    this.learnedCount++;
    this.stats.learned++;
    return LEARN_ADDED;
  }

  // ---------------------------------------------------------------- control path

  /** Adds or replaces a static entry (replacing a learned one for the same MAC). */
  setStatic(mac: number | string, port: P, remote: number): void {
    const m = macValue(mac);
    const hi = macHi(m);
    const lo = macLo(m);
    const i = this.indexOf(hi, lo);
    const now = this.now();
    if (i >= 0) {
      const slot = this.index[i] - 1;
      if (this.kind[slot] === KIND_LEARNED) this.learnedCount--;
      this.kind[slot] = KIND_STATIC;
      this.owner[slot] = port;
      this.rem[slot] = remote;
      this.seen[slot] = now;
      return;
    }
    this.insert(-1 - i, hi, lo, port, remote, KIND_STATIC, now);
  }

  /** Removes a static entry; returns false if the MAC has no static entry. */
  removeStatic(mac: number | string): boolean {
    const m = macValue(mac);
    const i = this.indexOf(macHi(m), macLo(m));
    if (i < 0 || this.kind[this.index[i] - 1] !== KIND_STATIC) return false;
    this.deleteAt(i);
    return true;
  }

  /** The live entry for a MAC, or null (allocates: not for the hot path). */
  lookup(mac: number | string, now = this.now()): FdbLookup<P> | null {
    const m = macValue(mac);
    const slot = this.find(macHi(m), macLo(m), now);
    if (slot < 0) return null;
    return {
      port: this.owner[slot] as P,
      remote: this.rem[slot],
      kind: this.kind[slot] === KIND_STATIC ? 'static' : 'learned',
      ageMs: (now - this.seen[slot]) | 0,
    };
  }

  /** Removes every expired learned entry; returns how many. Call it periodically. */
  sweep(now = this.now()): number {
    let removed = 0;
    for (let s = this.count - 1; s >= 0; s--) {
      if (this.kind[s] === KIND_LEARNED && this.expired(now, this.seen[s])) {
        this.deleteAt(this.indexOf(this.hi[s], this.lo[s]));
        removed++;
      }
    }
    this.stats.aged += removed;
    return removed;
  }

  /**
   * Removes entries pointing at `port` (only those with `remote` if given); learned entries only
   * unless `includeStatic`. Returns how many were removed.
   */
  flushPort(port: P, opts: { remote?: number; includeStatic?: boolean } = {}): number {
    return this.removeWhere((s) =>
      this.owner[s] === port &&
      (opts.remote === undefined || this.rem[s] === opts.remote) &&
      (opts.includeStatic === true || this.kind[s] === KIND_LEARNED));
  }

  /** Removes every learned entry; returns how many. */
  flushLearned(): number {
    return this.removeWhere((s) => this.kind[s] === KIND_LEARNED);
  }

  /** Live entries for display (expired learned entries are left out). */
  entries(now = this.now()): FdbEntryView[] {
    const out: FdbEntryView[] = [];
    for (let s = 0; s < this.count; s++) {
      const kind: FdbKind = this.kind[s] === KIND_STATIC ? 'static' : 'learned';
      const ageMs = (now - this.seen[s]) | 0;
      if (kind === 'learned' && this.expired(now, this.seen[s])) continue;
      out.push({ mac: macToString(macJoin(this.hi[s], this.lo[s])), port: (this.owner[s] as P).name, remote: this.rem[s], kind, ageMs });
    }
    return out;
  }

  // ---------------------------------------------------------------- internals

  private bucket(hi: number, lo: number): number {
    let h = Math.imul(hi, 0x9e3779b1) ^ lo;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** Bucket holding (hi, lo), or -(empty bucket where it would go) - 1. */
  private indexOf(hi: number, lo: number): number {
    const index = this.index;
    const mask = this.mask;
    let i = this.bucket(hi, lo);
    for (;;) {
      const s = index[i];
      if (s === 0) return -1 - i;
      if (this.hi[s - 1] === hi && this.lo[s - 1] === lo) return i;
      i = (i + 1) & mask;
    }
  }

  private insert(bucket: number, hi: number, lo: number, port: P, remote: number, kind: number, now: number): void {
    if (this.count === this.cap) {
      this.grow();
      bucket = -1 - this.indexOf(hi, lo);
    }
    const slot = this.count++;
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.rem[slot] = remote;
    this.kind[slot] = kind;
    this.seen[slot] = now;
    this.owner[slot] = port;
    this.index[bucket] = slot + 1;
  }

  /** Removes the entry in bucket i: backward-shift the probe chain, then keep slots dense. */
  private deleteAt(i: number): void {
    const index = this.index;
    const mask = this.mask;
    const slot = index[i] - 1;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = index[j];
      if (s === 0) break;
      const k = this.bucket(this.hi[s - 1], this.lo[s - 1]);
      // leave s where it is if its home bucket k lies cyclically in (i, j]
      if (i <= j ? i < k && k <= j : i < k || k <= j) continue;
      index[i] = s;
      i = j;
    }
    index[i] = 0;
    if (this.kind[slot] === KIND_LEARNED) this.learnedCount--;
    const last = --this.count;
    if (slot !== last) {
      index[this.indexOf(this.hi[last], this.lo[last])] = slot + 1;
      this.hi[slot] = this.hi[last];
      this.lo[slot] = this.lo[last];
      this.rem[slot] = this.rem[last];
      this.kind[slot] = this.kind[last];
      this.seen[slot] = this.seen[last];
      this.owner[slot] = this.owner[last];
    }
    this.kind[last] = KIND_FREE;
    this.owner[last] = null;
  }

  private removeWhere(match: (slot: number) => boolean): number {
    let removed = 0;
    for (let s = this.count - 1; s >= 0; s--) {
      if (match(s)) {
        this.deleteAt(this.indexOf(this.hi[s], this.lo[s]));
        removed++;
      }
    }
    return removed;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.hi = widen(this.hi, (n) => new Int32Array(n));
    this.lo = widen(this.lo, (n) => new Int32Array(n));
    this.rem = widen(this.rem, (n) => new Int32Array(n));
    this.kind = widen(this.kind, (n) => new Uint8Array(n));
    this.seen = widen(this.seen, (n) => new Int32Array(n));
    for (let s = this.cap; s < cap; s++) this.owner.push(null);
    this.cap = cap;
    this.index = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let s = 0; s < this.count; s++) this.index[-1 - this.indexOf(this.hi[s], this.lo[s])] = s + 1;
  }
}

/** Builds an empty FDB (convention 9: factories take their dependencies, here the clock). */
export function createFdb<P extends { readonly name: string }>(opts: FdbOptions = {}): Fdb<P> {
  return new Fdb<P>(opts);
}
