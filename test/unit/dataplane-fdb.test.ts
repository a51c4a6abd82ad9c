// Unit tests of the FDB (src/dataplane/fdb.ts) and MAC helpers (src/dataplane/mac.ts):
// hashing and deletion against a reference Map, aging with a fake clock, capacity, flushes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFdb, LEARN_ADDED, LEARN_FULL, LEARN_MOVED, LEARN_REFRESHED, LEARN_STATIC } from '../../src/dataplane/fdb.js';
import { macFromString, macHi, macJoin, macLo, macRead, macToString, macValue, macWrite } from '../../src/dataplane/mac.js';
import { TsnetError } from '../../src/errors.js';

type P = { name: string };
const p1: P = { name: 'p1' };
const p2: P = { name: 'p2' };

function fakeClock(start = 1_000_000) {
  const c = { now: start, fn: () => c.now };
  return c;
}

const mac = suite('mac');
mac('string <-> number round trip', () => {
  const m = macFromString('02:42:AC:11:00:02');
  assert.is(m, 0x0242ac110002);
  assert.is(macToString(m), '02:42:ac:11:00:02');
  assert.is(macToString(0), '00:00:00:00:00:00');
  assert.is(macToString(0xffffffffffff), 'ff:ff:ff:ff:ff:ff');
  assert.is(macFromString('02-42-ac-11-00-02'), m);
  assert.is(macJoin(macHi(m), macLo(m)), m);
  const b = Buffer.alloc(8);
  macWrite(b, 1, m);
  assert.is(b.toString('hex'), '000242ac11000200');
  assert.is(macRead(b, 1), m);
});
mac('bad MACs are bad-request errors', () => {
  for (const bad of ['02:42:ac:11:00', 'zz:42:ac:11:00:02', '02:42-ac:11:00:02', '']) {
    try {
      macFromString(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.instance(err, TsnetError);
      assert.is((err as TsnetError).code, 'EMACINVALID');
    }
  }
  assert.throws(() => macValue(2 ** 48), (e: unknown) => (e as TsnetError).code === 'EMACINVALID');
  assert.throws(() => macValue(1.5));
});
mac.run();

const fdb = suite('fdb');
const split = (m: number) => [macHi(m), macLo(m)] as const;

fdb('learn, refresh, move, find', () => {
  const clk = fakeClock();
  const t = createFdb<P>({ clock: clk.fn });
  const [hi, lo] = split(macFromString('02:00:00:00:00:01'));
  assert.is(t.find(hi, lo, clk.now), -1);
  assert.is(t.learn(hi, lo, p1, -1, clk.now), LEARN_ADDED);
  assert.is(t.learn(hi, lo, p1, -1, clk.now), LEARN_REFRESHED);
  const s = t.find(hi, lo, clk.now);
  assert.ok(s >= 0);
  assert.is(t.portAt(s), p1);
  assert.is(t.learn(hi, lo, p2, -1, clk.now), LEARN_MOVED);
  assert.is(t.portAt(t.find(hi, lo, clk.now)), p2);
  assert.is(t.learn(hi, lo, p2, 3, clk.now), LEARN_MOVED, 'another remote of the same port is a move');
  assert.is(t.remoteAt(t.find(hi, lo, clk.now)), 3);
  assert.equal(t.stats, { learned: 1, moved: 2, aged: 0, overflow: 0, staticConflicts: 0 });
});

fdb('matches a reference Map under random learn/remove/flush (collisions, backward shift, growth)', () => {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const t = createFdb<P>({ clock: () => 0, maxMacs: 1_000_000 });
  const ref = new Map<number, P>();
  // few distinct high halves and low halves: many MACs share one half
  const pick = () => macJoin(0x020000 + Math.floor(rnd() * 4), Math.floor(rnd() * 3000));
  for (let step = 0; step < 40_000; step++) {
    const m = pick();
    const r = rnd();
    if (r < 0.6) {
      const port = rnd() < 0.5 ? p1 : p2;
      t.learn(macHi(m), macLo(m), port, -1, 0);
      ref.set(m, port);
    } else if (r < 0.9) {
      t.setStatic(m, p1, -1);
      assert.ok(t.removeStatic(m));
      ref.delete(m);
    } else if (r < 0.9005) {
      t.flushPort(p2);
      for (const [k, v] of ref) if (v === p2) ref.delete(k);
    }
    if (step % 5000 === 0 || step === 39_999) {
      assert.is(t.size, ref.size);
      for (const [k, v] of ref) assert.is(t.portAt(t.find(macHi(k), macLo(k), 0)), v);
    }
  }
  let absent = 0;
  for (let i = 0; i < 2000; i++) {
    const m = pick();
    if (!ref.has(m)) {
      absent++;
      assert.is(t.find(macHi(m), macLo(m), 0), -1);
    }
  }
  assert.ok(absent > 0);
  assert.is(t.entries().length, ref.size);
});

fdb('learned entries age lazily on find and in sweep; statics never age', () => {
  const clk = fakeClock();
  const t = createFdb<P>({ clock: clk.fn, agingMs: 1000 });
  const a = macFromString('02:00:00:00:00:0a');
  const b = macFromString('02:00:00:00:00:0b');
  t.learn(macHi(a), macLo(a), p1, -1, clk.now);
  t.learn(macHi(b), macLo(b), p1, -1, clk.now);
  t.setStatic('02:00:00:00:00:0c', p2, 7);
  clk.now += 1000;
  assert.ok(t.find(macHi(a), macLo(a), clk.now) >= 0, 'exactly agingMs old is still alive');
  clk.now += 1;
  assert.is(t.find(macHi(a), macLo(a), clk.now), -1, 'expired on lookup');
  assert.is(t.size, 2);
  assert.equal(t.entries().map((e) => e.mac), ['02:00:00:00:00:0c'], 'listing hides expired entries');
  assert.is(t.sweep(), 1);
  assert.is(t.size, 1);
  assert.is(t.stats.aged, 2);
  clk.now += 10_000_000;
  assert.equal(t.lookup('02:00:00:00:00:0c')?.port, p2);
  assert.is(t.lookup('02:00:00:00:00:0c')?.kind, 'static');
  // an expired entry seen again counts as learned, not moved
  t.learn(macHi(b), macLo(b), p1, -1, 0);
  t.learn(macHi(b), macLo(b), p2, -1, clk.now);
  assert.is(t.stats.moved, 0);
});

fdb('capacity caps learned entries, counts overflow, statics always fit, sweep makes room', () => {
  const clk = fakeClock();
  const t = createFdb<P>({ clock: clk.fn, maxMacs: 3, agingMs: 500 });
  for (let i = 0; i < 5; i++) {
    const code = t.learn(0x020000, i, p1, -1, clk.now);
    assert.is(code, i < 3 ? LEARN_ADDED : LEARN_FULL);
  }
  assert.is(t.stats.overflow, 2);
  assert.is(t.learnedSize, 3);
  for (let i = 0; i < 10; i++) t.setStatic(macJoin(0x020001, i), p2, -1);
  assert.is(t.size, 13);
  assert.is(t.learn(0x020000, 0, p1, -1, clk.now), LEARN_REFRESHED, 'known MACs still refresh when full');
  clk.now += 2000;
  assert.is(t.learn(0x020000, 9, p1, -1, clk.now), LEARN_ADDED, 'a full table of expired entries is swept');
  assert.is(t.learnedSize, 1);
});

fdb('static entries are not overridden by learning', () => {
  const t = createFdb<P>({ clock: () => 0 });
  const m = macFromString('02:00:00:00:00:01');
  t.learn(macHi(m), macLo(m), p1, -1, 0);
  t.setStatic(m, p2, 4);
  assert.is(t.learnedSize, 0);
  assert.is(t.learn(macHi(m), macLo(m), p1, -1, 0), LEARN_STATIC);
  assert.is(t.learn(macHi(m), macLo(m), p2, 4, 0), LEARN_REFRESHED);
  assert.is(t.stats.staticConflicts, 1);
  assert.is(t.lookup(m)?.port, p2);
  assert.not.ok(t.removeStatic('02:00:00:00:00:02'));
  assert.ok(t.removeStatic(m));
  assert.is(t.lookup(m), null);
});

fdb('flush by port, by (port, remote), all learned', () => {
  const t = createFdb<P>({ clock: () => 0 });
  for (let i = 0; i < 10; i++) t.learn(0x020000, i, p1, -1, 0);
  for (let i = 10; i < 20; i++) t.learn(0x020000, i, p2, i % 2, 0);
  t.setStatic(macJoin(0x020000, 100), p2, 1);
  assert.is(t.flushPort(p2, { remote: 1 }), 5);
  assert.is(t.flushPort(p2), 5, 'statics stay unless asked');
  assert.is(t.flushPort(p2, { includeStatic: true }), 1);
  t.setStatic(macJoin(0x020000, 100), p2, 1);
  assert.is(t.flushLearned(), 10);
  assert.equal(t.entries(), [{ mac: '02:00:00:00:00:64', port: 'p2', remote: 1, kind: 'static', ageMs: 0 }]);
});

fdb.run();
