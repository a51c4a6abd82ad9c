// Checks the switch hot path allocates nothing per frame (DEVELOPERS.md): forwards 200k frames
// after a warm-up and measures heap growth plus whatever garbage collections reclaimed meanwhile
// (v8.GCProfiler, as bench/switch-alloc.ts does), so a scavenge cannot hide allocations. A
// per-frame allocation costs at least 16 bytes (a boxed number); the bound is a quarter of that,
// so JIT noise cannot fail it and one stray object per frame cannot pass it. Figures: bench/switch.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allocatedBytes, collectGarbage } from '../helpers/heap-alloc.js';
import { HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port } from '../../src/dataplane/port.js';
import { macWrite } from '../../src/dataplane/mac.js';
import { createSwitch } from '../../src/dataplane/switch.js';

const FRAMES = 200_000;
const MAX_BYTES_PER_FRAME = 4;

class NullPort implements Port {
  readonly kind = 'memory' as const;
  readonly counters = newCounters();
  constructor(readonly name: string) {}
  setSink(_s: FrameSink | null): void {}
  output(_b: Buffer, _o: number, len: number): void {
    this.counters.txFrames++;
    this.counters.txBytes += len;
  }
  flush(): void {}
  close(): void {}
}

function buildRig(observe: boolean) {
  const sw = createSwitch({ name: 'alloc' }); // the real (monotonic) clock
  const a = new NullPort('a');
  const b = new NullPort('b');
  const c = new NullPort('c');
  sw.addPort(a);
  sw.addPort(b);
  sw.addPort(c);
  const SLOT = HEADROOM + 64;
  const RING = 256;
  const ring = Buffer.alloc(SLOT * RING);
  for (let i = 0; i < RING; i++) {
    const off = i * SLOT + HEADROOM;
    // a mix: broadcasts, unknown unicast, and unicast to MACs learned from port b
    macWrite(ring, off, i % 4 === 0 ? 0xffff_ffff_ffff : 0x02_00_00_00_10_00 + (i % 32));
    macWrite(ring, off + 6, 0x02_00_00_00_00_00 + (i % 16));
    ring.writeUInt16BE(0x0800, off + 12);
  }
  const learn = Buffer.alloc(SLOT);
  learn.fill(0xff, HEADROOM, HEADROOM + 6);
  for (let i = 0; i < 16; i++) {
    macWrite(learn, HEADROOM + 6, 0x02_00_00_00_10_00 + i);
    sw.input(b, learn, HEADROOM, 60, REMOTE_NONE);
  }
  let kept: unknown = null;
  // the allocating observer proves the measurement sees per-frame garbage
  if (observe) sw.setObserver((ev) => {
    kept = { action: ev.action };
  });
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      sw.input(a, ring, (i & (RING - 1)) * SLOT + HEADROOM, 60, REMOTE_NONE);
      if ((i & 63) === 63) sw.flush();
    }
    sw.flush();
  };
  return { sw, run, kept: () => kept };
}

function bytesPerFrame(observe: boolean) {
  const rig = buildRig(observe);
  rig.run(FRAMES); // warm up and optimise
  rig.run(FRAMES);
  collectGarbage();
  const perFrame = allocatedBytes(() => rig.run(FRAMES)) / FRAMES;
  return { perFrame, rig };
}

test('forwarding, flooding and learning allocate nothing per frame', () => {
  const { perFrame, rig } = bytesPerFrame(false);
  assert.ok(perFrame < MAX_BYTES_PER_FRAME, `${perFrame.toFixed(2)} bytes allocated per frame`);
  assert.ok(rig.sw.counters.forwarded > 0 && rig.sw.counters.flooded > 0, 'both paths ran');
});

test('the measurement does see an observer that allocates per event', () => {
  const { perFrame, rig } = bytesPerFrame(true);
  assert.ok(perFrame > 16, `${perFrame.toFixed(2)} bytes allocated per frame`);
  assert.ok(rig.kept() !== null);
});

test.run();
