// Ports that live in memory, for tests, benchmarks and examples (convention 10: the data plane is
// tested over memory ports). createMemoryPair joins two ports back to back: output on one is
// copied into the other's preallocated receive buffer at HEADROOM (so an in-place encapsulating
// port downstream still has room in front) and delivered synchronously to its sink; flush on one
// ends the burst on the other, and a pair ends it itself before it overwrites a delivered frame
// (port.ts: frames stay unchanged until flush). createMemoryPort records every output frame (a copy, with its
// remote) and lets a test inject frames as if they had been received.
//
// Cost note: on Node 20, Buffer.copy of part of a buffer builds a Uint8Array view per call (~190
// heap bytes per frame through a pair, bench/switch.ts). A word-by-word JS copy avoids that but
// was 5x slower for 1500-byte frames, so the pair keeps Buffer.copy: it is a test and bench port,
// not on the TAP/VXLAN path, which never copies.
import { countDrop, HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port, type PortCounters, type PortKind } from './port.js';

// ---- our choice ----
/** Largest frame a memory port carries: a 64 KiB TAP frame (GSO-sized) fits. */
export const MEMORY_MAX_FRAME = 65_536;

/** A frame recorded by a memory port. */
export interface SentFrame {
  frame: Buffer;
  remote: number;
}

export interface MemoryPort extends Port {
  /** Frames this port was asked to output, in order (copies). */
  readonly sent: SentFrame[];
  /** Times flush() was called on this port. */
  readonly flushes: number;
  /** Feeds one frame in as if received (copied to HEADROOM), then ends the burst. */
  inject(frame: Buffer, remote?: number): void;
  /** Feeds several frames as one burst (one flush at the end). */
  injectBurst(frames: Buffer[], remote?: number): void;
  /** Forgets recorded frames. */
  clear(): void;
  readonly closed: boolean;
}

class RecordingPort implements MemoryPort {
  readonly counters: PortCounters = newCounters();
  readonly sent: SentFrame[] = [];
  flushes = 0;
  closed = false;
  private sink: FrameSink | null = null;
  private rx = Buffer.alloc(HEADROOM + MEMORY_MAX_FRAME);

  constructor(readonly name: string, readonly kind: PortKind) {}

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  output(buf: Buffer, off: number, len: number, remote: number): void {
    if (this.closed) {
      countDrop(this.counters, 'closed');
      return;
    }
    this.counters.txFrames++;
    this.counters.txBytes += len;
    this.sent.push({ frame: Buffer.from(buf.subarray(off, off + len)), remote });
  }

  flush(): void {
    this.flushes++;
  }

  inject(frame: Buffer, remote: number = REMOTE_NONE): void {
    this.injectBurst([frame], remote);
  }

  injectBurst(frames: Buffer[], remote: number = REMOTE_NONE): void {
    // frames of a burst lie one after the other, each with headroom, so none is overwritten
    // before the flush at the end (port.ts); the buffer grows to the largest burst seen
    let need = 0;
    for (const f of frames) need += HEADROOM + Math.min(f.length, MEMORY_MAX_FRAME);
    if (this.rx.length < need) this.rx = Buffer.alloc(need);
    let at = 0;
    for (const f of frames) {
      if (this.closed || this.sink === null || f.length > MEMORY_MAX_FRAME) {
        countDrop(this.counters, this.closed ? 'closed' : this.sink === null ? 'no-sink' : 'too-big');
        continue;
      }
      this.counters.rxFrames++;
      this.counters.rxBytes += f.length;
      f.copy(this.rx, at + HEADROOM);
      this.sink.input(this, this.rx, at + HEADROOM, f.length, remote);
      at += HEADROOM + f.length;
    }
    this.sink?.flush?.();
  }

  clear(): void {
    this.sent.length = 0;
  }

  close(): void {
    this.closed = true;
    this.sink = null;
  }
}

/** A port that records what it outputs and can inject input. `kind` defaults to 'memory'. */
export function createMemoryPort(name: string, opts: { kind?: PortKind } = {}): MemoryPort {
  return new RecordingPort(name, opts.kind ?? 'memory');
}

class PairPort implements Port {
  readonly kind: PortKind = 'memory';
  readonly counters: PortCounters = newCounters();
  peer!: PairPort;
  sink: FrameSink | null = null;
  closed = false;
  private readonly rx = Buffer.alloc(HEADROOM + MEMORY_MAX_FRAME);
  private delivering = false;
  /** A frame was delivered from rx and its burst not yet flushed. */
  unflushed = false;

  constructor(readonly name: string) {}

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  output(buf: Buffer, off: number, len: number, _remote: number): void {
    const peer = this.peer;
    if (this.closed || peer.closed) {
      countDrop(this.counters, 'closed');
      return;
    }
    if (len > MEMORY_MAX_FRAME) {
      countDrop(this.counters, 'too-big');
      return;
    }
    const sink = peer.sink;
    if (sink === null) {
      countDrop(this.counters, 'no-sink');
      return;
    }
    // a loop of pairs would deliver into a receive buffer still in use: drop instead
    if (peer.delivering) {
      countDrop(this.counters, 'loop');
      return;
    }
    this.counters.txFrames++;
    this.counters.txBytes += len;
    if (peer.unflushed && sink.flush !== undefined) sink.flush(); // peer.rx is about to be overwritten
    peer.unflushed = true;
    buf.copy(peer.rx, HEADROOM, off, off + len);
    peer.counters.rxFrames++;
    peer.counters.rxBytes += len;
    peer.delivering = true;
    try {
      sink.input(peer, peer.rx, HEADROOM, len, REMOTE_NONE);
    } finally {
      peer.delivering = false;
    }
  }

  flush(): void {
    const sink = this.peer.sink;
    if (sink !== null && sink.flush !== undefined && !this.peer.delivering) {
      this.peer.unflushed = false;
      sink.flush();
    }
  }

  close(): void {
    this.closed = true;
    this.sink = null;
  }
}

/** Two ports joined back to back in memory: what one outputs, the other receives. */
export function createMemoryPair(nameA: string, nameB: string): [Port, Port] {
  const a = new PairPort(nameA);
  const b = new PairPort(nameB);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
