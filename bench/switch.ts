// Microbenchmark of the learning switch (src/dataplane/switch.ts) and its FDB (fdb.ts): frames/s
// and ns/frame forwarding known unicast at FDB sizes 1k/10k/100k, directly into switch.input and
// over memory pairs (one copy per hop), flooding, FDB lookup alone, and heap bytes allocated per
// frame on the hot path. Run: `node --expose-gc dist/bench/switch.js` (gc is enabled through v8
// flags when --expose-gc is missing). Writes bench/results/switch.json. `--alloc-only` skips the
// timing cases and writes nothing.
import b from 'benny';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFdb } from '../src/dataplane/fdb.js';
import { macHi, macLo, macWrite } from '../src/dataplane/mac.js';
import { createMemoryPair } from '../src/dataplane/memory-port.js';
import { HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port } from '../src/dataplane/port.js';
import { createSwitch, type Switch } from '../src/dataplane/switch.js';
import { allocatedPerUnit, type AllocResult } from './switch-alloc.js';

// ---- our choice ----
const FDB_SIZES = [1_000, 10_000, 100_000];
const FRAME_LEN = 64; // minimum-size frames: the per-frame cost, not memcpy, is what we measure
const RING = 4096; // distinct prebuilt frames cycled through (destinations spread over the FDB)
const BURST = 64; // frames per benny op, then flush(): like one TAP wakeup
const ALLOC_FRAMES = 200_000; // frames per allocation measurement
const SLOT = HEADROOM + 128;

/** A port that counts what it is given and drops it: the switch alone is measured. */
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

const hostMac = (i: number) => 0x02_00_00_00_00_00 + i;
const remoteMac = (i: number) => 0x02_10_00_00_00_00 + i;

interface Rig {
  sw: Switch;
  ring: Buffer;
  /** forwards n frames (in bursts) from the ingress port */
  run(n: number): void;
}

/** A switch whose FDB holds `fdbSize` MACs on port `out`, and a ring of unicast frames to them. */
function makeRig(fdbSize: number, mode: 'direct' | 'pairs' | 'flood'): Rig {
  const sw = createSwitch({ name: `bench${fdbSize}`, maxMacs: fdbSize * 2, });
  const out = new NullPort('out');
  const other = new NullPort('other');
  let ingress: Port;
  let driver: Port | null = null;
  if (mode === 'pairs') {
    const [drv, swIn] = createMemoryPair('drv', 'in');
    const [swOut, sinkSide] = createMemoryPair('out', 'sink');
    const counted: FrameSink = { input() {}, flush() {} };
    sinkSide.setSink(counted);
    sw.addPort(swIn);
    sw.addPort(swOut);
    ingress = swIn;
    driver = drv;
    learnAll(sw, swOut, fdbSize);
  } else {
    ingress = new NullPort('in');
    sw.addPort(ingress);
    sw.addPort(out);
    if (mode === 'flood') sw.addPort(other);
    learnAll(sw, out, fdbSize);
  }
  const ring = Buffer.alloc(RING * SLOT);
  for (let i = 0; i < RING; i++) {
    const off = i * SLOT + HEADROOM;
    macWrite(ring, off, mode === 'flood' ? 0xffff_ffff_ffff : remoteMac((i * 7919) % fdbSize));
    macWrite(ring, off + 6, hostMac(i % 64));
    ring.writeUInt16BE(0x0800, off + 12);
  }
  let next = 0;
  const run = driver === null
    ? (n: number) => {
      for (let i = 0; i < n; i++) {
        sw.input(ingress, ring, next * SLOT + HEADROOM, FRAME_LEN, REMOTE_NONE);
        next = (next + 1) & (RING - 1);
        if ((i & (BURST - 1)) === BURST - 1) sw.flush();
      }
      sw.flush();
    }
    : (n: number) => {
      const d = driver as Port;
      for (let i = 0; i < n; i++) {
        d.output(ring, next * SLOT + HEADROOM, FRAME_LEN, REMOTE_NONE);
        next = (next + 1) & (RING - 1);
        if ((i & (BURST - 1)) === BURST - 1) d.flush?.();
      }
      d.flush?.();
    };
  return { sw, ring, run };
}

/** Teaches the switch `n` MACs behind `port` by feeding it broadcasts from them. */
function learnAll(sw: Switch, port: Port, n: number): void {
  const f = Buffer.alloc(HEADROOM + FRAME_LEN);
  f.fill(0xff, HEADROOM, HEADROOM + 6);
  for (let i = 0; i < n; i++) {
    macWrite(f, HEADROOM + 6, remoteMac(i));
    sw.input(port, f, HEADROOM, FRAME_LEN, REMOTE_NONE);
  }
  sw.flush();
  if (sw.fdbEntries().length < n) throw new Error(`learned only ${sw.fdbEntries().length} of ${n} MACs`);
}

interface CaseOut {
  name: string;
  framesPerSec: number;
  nsPerFrame: number;
  rmePercent: number;
  samples: number;
}

async function main(): Promise<void> {
  const cases: Array<{ name: string; perOp: number; fn: () => void }> = [];
  for (const size of FDB_SIZES) {
    const direct = makeRig(size, 'direct');
    cases.push({ name: `forward unicast, switch.input, fdb ${size}`, perOp: BURST, fn: () => direct.run(BURST) });
  }
  for (const size of FDB_SIZES) {
    const pairs = makeRig(size, 'pairs');
    cases.push({ name: `forward unicast, memory pairs, fdb ${size}`, perOp: BURST, fn: () => pairs.run(BURST) });
  }
  const flood = makeRig(1_000, 'flood');
  cases.push({ name: 'flood broadcast to 2 ports, fdb 1000', perOp: BURST, fn: () => flood.run(BURST) });
  for (const size of FDB_SIZES) {
    const fdb = createFdb<{ name: string }>({ maxMacs: size });
    const p = { name: 'p' };
    for (let i = 0; i < size; i++) fdb.learn(macHi(remoteMac(i)), macLo(remoteMac(i)), p, -1, 0);
    const his = new Int32Array(RING);
    const los = new Int32Array(RING);
    for (let i = 0; i < RING; i++) {
      his[i] = macHi(remoteMac((i * 7919) % size));
      los[i] = macLo(remoteMac((i * 7919) % size));
    }
    let k = 0;
    let sink = 0;
    cases.push({
      name: `fdb lookup alone, fdb ${size}`,
      perOp: BURST,
      fn: () => {
        for (let i = 0; i < BURST; i++) {
          sink += fdb.find(his[k], los[k], 1);
          k = (k + 1) & (RING - 1);
        }
        if (sink === -1) console.log(sink);
      },
    });
  }

  const allocOnly = process.argv.includes('--alloc-only');
  const summary = allocOnly ? { results: [] } : await b.suite(
    'switch',
    b.configure({ cases: { minTime: 1, maxTime: 3 } }),
    ...cases.map((c) => b.add(c.name, c.fn)),
    b.cycle(),
  );
  const results: CaseOut[] = summary.results.map((r: { name: string; ops: number; margin: number; samples: number }, i: number) => {
    const fps = r.ops * cases[i].perOp;
    return { name: r.name, framesPerSec: Math.round(fps), nsPerFrame: Number((1e9 / fps).toFixed(1)), rmePercent: r.margin, samples: r.samples };
  });
  console.log('\nframes/s and ns/frame:');
  for (const r of results) console.log(`  ${r.name.padEnd(46)} ${String(r.framesPerSec).padStart(11)} frames/s ${String(r.nsPerFrame).padStart(8)} ns/frame`);

  const alloc: Record<string, AllocResult> = {};
  const measure = (r: Rig) => allocatedPerUnit(() => r.run(ALLOC_FRAMES), ALLOC_FRAMES);
  alloc['switch.input, fdb 10000'] = measure(makeRig(10_000, 'direct'));
  alloc['memory pairs, fdb 10000'] = measure(makeRig(10_000, 'pairs'));
  alloc['flood, fdb 1000'] = measure(makeRig(1_000, 'flood'));
  const observed = makeRig(10_000, 'direct');
  let events = 0;
  observed.sw.setObserver((ev) => {
    if (ev.len > 0) events++;
  });
  alloc['switch.input with observer, fdb 10000'] = measure(observed);
  console.log(`\nheap bytes allocated per frame (over ${ALLOC_FRAMES} frames, GC-reclaimed bytes included):`);
  for (const [k, v] of Object.entries(alloc)) console.log(`  ${k.padEnd(46)} ${v.bytesPerUnit.toFixed(3)} B/frame  (gcs during: ${v.gcs})`);
  if (events === 0) throw new Error('observer never called');

  if (allocOnly) return;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'switch.json');
  writeFileSync(file, JSON.stringify({
    bench: 'switch', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length,
    frameLen: FRAME_LEN, burst: BURST, results, allocation: { frames: ALLOC_FRAMES, perCase: alloc },
  }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

await main();
