// Unit tests of the learning switch (src/dataplane/switch.ts) over memory ports: learning,
// flooding with split horizon, unicast, moves, aging, statics, capacity, drops, isolation,
// burst flushing, the observer, and the memory pair itself.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryPair, createMemoryPort, type MemoryPort } from '../../src/dataplane/memory-port.js';
import { HEADROOM, REMOTE_ALL, REMOTE_NONE, type FrameSink, type Port } from '../../src/dataplane/port.js';
import { createSwitch, type SwitchEvent } from '../../src/dataplane/switch.js';
import { TsnetError } from '../../src/errors.js';
import { BCAST, ethFrame, learningScenario, type L2Harness } from './dataplane-scenarios.js';

const MAC = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;

function rig(n = 3, opts: { agingMs?: number; maxMacs?: number } = {}) {
  const clk = { now: 5_000 };
  const sw = createSwitch({ name: 'net1', clock: () => clk.now, ...opts });
  const ports: MemoryPort[] = [];
  for (let i = 0; i < n; i++) {
    const p = createMemoryPort(`p${i}`);
    sw.addPort(p);
    ports.push(p);
  }
  const clear = () => ports.forEach((p) => p.clear());
  const got = (p: MemoryPort) => p.sent.map((s) => s.frame.toString('hex'));
  return { sw, ports, clk, clear, got };
}

const sw = suite('switch');

sw('the learning scenario over memory ports', async () => {
  const { ports } = rig(4);
  const byName = new Map(ports.map((p) => [p.name, p]));
  const h: L2Harness = {
    endpoints: ports.map((p) => p.name),
    macOf: (e) => MAC(Number(e.slice(1)) + 1),
    send: async (from, frame) => byName.get(from)!.inject(frame),
    take: async (at) => {
      const p = byName.get(at)!;
      const frames = p.sent.map((s) => s.frame);
      p.clear();
      return frames;
    },
  };
  await learningScenario(h);
});

sw('broadcast floods to every other port, never back; unknown unicast too', () => {
  const { sw, ports, got } = rig(3);
  const f = ethFrame(BCAST, MAC(1));
  ports[0].inject(f);
  assert.equal(got(ports[0]), []);
  assert.equal(got(ports[1]), [f.toString('hex')]);
  assert.equal(got(ports[2]), [f.toString('hex')]);
  assert.is(ports[1].sent[0].remote, REMOTE_ALL);
  const u = ethFrame(MAC(9), MAC(1));
  ports[0].inject(u);
  assert.is(ports[1].sent.length, 2);
  assert.is(ports[2].sent.length, 2);
  const mc = ethFrame('01:00:5e:00:00:fb', MAC(1));
  ports[0].inject(mc);
  assert.is(ports[2].sent.length, 3, 'multicast floods');
  assert.is(sw.counters.flooded, 3);
  assert.is(sw.counters.floodCopies, 6);
  assert.is(sw.counters.learned, 1);
  assert.is(sw.portCounters(ports[0]).rxFrames, 3);
  assert.is(sw.portCounters(ports[1]).txFrames, 3);
});

sw('unicast after learning goes to one port only', () => {
  const { sw, ports, clear, got } = rig(3);
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  clear();
  const f = ethFrame(MAC(2), MAC(1));
  ports[0].inject(f);
  assert.equal(got(ports[1]), [f.toString('hex')]);
  assert.equal(got(ports[2]), []);
  assert.is(sw.counters.forwarded, 1);
  assert.is(sw.lookup(MAC(2))?.port, ports[1]);
  assert.is(sw.lookup(MAC(1))?.port, ports[0]);
  assert.is(sw.lookup(MAC(1))?.kind, 'learned');
});

sw('MAC move: the entry follows the MAC and the move is counted', () => {
  const { sw, ports, clear, got } = rig(3);
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  ports[2].inject(ethFrame(BCAST, MAC(2)));
  assert.is(sw.counters.moved, 1);
  assert.is(sw.lookup(MAC(2))?.port, ports[2]);
  clear();
  ports[0].inject(ethFrame(MAC(2), MAC(1)));
  assert.is(got(ports[2]).length, 1);
  assert.is(got(ports[1]).length, 0);
});

sw('aging: a learned destination is forgotten after agingMs and flooded again', () => {
  const { sw, ports, clk, clear } = rig(3, { agingMs: 60_000 });
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  clk.now += 60_000;
  clear();
  ports[0].inject(ethFrame(MAC(2), MAC(1)));
  assert.is(ports[2].sent.length, 0, 'still known at exactly agingMs');
  clk.now += 1;
  ports[0].inject(ethFrame(MAC(2), MAC(1)));
  assert.is(ports[2].sent.length, 1, 'flooded once aged');
  assert.is(sw.lookup(MAC(2)), null);
  clk.now += 60_001;
  assert.is(sw.sweep(), 1, 'sweep removes the other expired entry');
  assert.equal(sw.fdbEntries(), []);
});

sw('static entries win over learning', () => {
  const { sw, ports, clear, got } = rig(3);
  sw.setStatic(MAC(7), ports[2]);
  ports[1].inject(ethFrame(BCAST, MAC(7)));
  assert.is(sw.lookup(MAC(7))?.port, ports[2], 'a learned frame does not override a static entry');
  assert.is(sw.lookup(MAC(7))?.kind, 'static');
  assert.is(sw.fdbStats.staticConflicts, 1);
  clear();
  ports[0].inject(ethFrame(MAC(7), MAC(1)));
  assert.is(got(ports[2]).length, 1);
  assert.is(got(ports[1]).length, 0);
  assert.ok(sw.removeStatic(MAC(7)));
  assert.is(sw.lookup(MAC(7)), null);
  const stranger = createMemoryPort('x');
  assert.throws(() => sw.setStatic(MAC(8), stranger), (e: unknown) => (e as TsnetError).code === 'EPORTNOTATTACHED');
  assert.throws(() => sw.setStatic('nope', ports[0]), (e: unknown) => (e as TsnetError).code === 'EMACINVALID');
});

sw('capacity cap: new MACs are not learned, overflow counted, frames still forwarded', () => {
  const { sw, ports } = rig(2, { maxMacs: 4 });
  for (let i = 1; i <= 6; i++) ports[0].inject(ethFrame(BCAST, MAC(i)));
  assert.is(sw.fdbStats.overflow, 2);
  assert.is(sw.counters.learned, 4);
  assert.is(ports[1].sent.length, 6);
  assert.is(sw.lookup(MAC(6)), null);
  sw.setStatic(MAC(0x50), ports[1]);
  assert.is(sw.lookup(MAC(0x50))?.kind, 'static', 'statics fit when full');
});

sw('runts, group source MACs and hairpins are dropped and counted', () => {
  const { sw, ports } = rig(2);
  ports[0].inject(Buffer.alloc(13));
  ports[0].inject(ethFrame(MAC(2), BCAST));
  ports[0].inject(ethFrame(MAC(2), '01:00:5e:00:00:01'));
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  ports[0].inject(ethFrame(MAC(1), MAC(3)), REMOTE_NONE);
  assert.equal(sw.counters.dropped, { runt: 1, 'bad-source': 2, hairpin: 1 });
  assert.equal(sw.portCounters(ports[0]).drops, { runt: 1, 'bad-source': 2, hairpin: 1 });
  assert.is(ports[1].sent.length, 1, 'only the good broadcast went out');
  assert.is(sw.lookup(BCAST), null);
});

sw('a lone port floods to nobody: counted as no-output', () => {
  const { sw, ports } = rig(1);
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  assert.equal(sw.counters.dropped, { 'no-output': 1 });
  assert.is(sw.counters.flooded, 0);
});

sw('two switches never exchange frames', () => {
  const a = rig(2);
  const b = rig(2);
  a.ports[0].inject(ethFrame(BCAST, MAC(1)));
  a.ports[0].inject(ethFrame(MAC(2), MAC(1)));
  assert.is(a.ports[1].sent.length, 2);
  for (const p of b.ports) assert.is(p.sent.length, 0);
  assert.is(b.sw.counters.rxFrames, 0);
  assert.is(b.sw.lookup(MAC(1)), null);
  // a port of one switch handed to the other is refused as unknown there
  b.sw.input(a.ports[0], ethFrame(BCAST, MAC(1)), 0, 60, REMOTE_NONE);
  assert.equal(b.sw.counters.dropped, { 'unknown-port': 1 });
  assert.is(b.ports[1].sent.length, 0);
});

sw('removePort flushes its entries (static included) and detaches it', () => {
  const { sw, ports, got, clear } = rig(3);
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  ports[1].inject(ethFrame(BCAST, MAC(3)));
  sw.setStatic(MAC(4), ports[1]);
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  assert.is(sw.fdbEntries().length, 4);
  sw.removePort(ports[1]);
  assert.equal(sw.fdbEntries().map((e) => e.mac), [MAC(1)]);
  assert.equal(sw.ports().map((p) => p.name), ['p0', 'p2']);
  clear();
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  assert.is(ports[1].counters.drops['no-sink'], 1, 'a removed port has no sink');
  ports[0].inject(ethFrame(MAC(2), MAC(1)));
  assert.equal(got(ports[1]), []);
  assert.is(got(ports[2]).length, 1);
  assert.throws(() => sw.addPort(createMemoryPort('p0')), (e: unknown) => (e as TsnetError).code === 'EPORTEXISTS');
});

sw('flushFdb by port, (port, remote) and all', () => {
  const { sw, ports } = rig(3);
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  ports[1].inject(ethFrame(BCAST, MAC(2)), 5);
  ports[1].inject(ethFrame(BCAST, MAC(3)), 6);
  ports[2].inject(ethFrame(BCAST, MAC(4)));
  assert.is(sw.flushFdb({ port: ports[1], remote: 5 }), 1);
  assert.is(sw.flushFdb({ port: ports[1] }), 1);
  assert.is(sw.flushFdb(), 2);
  assert.equal(sw.fdbEntries(), []);
});

sw('a burst flushes each port that got output exactly once', () => {
  const { sw, ports } = rig(3);
  ports[1].inject(ethFrame(BCAST, MAC(2)));
  for (const p of ports) (p as { flushes: number }).flushes = 0;
  ports[0].injectBurst([ethFrame(MAC(2), MAC(1)), ethFrame(MAC(2), MAC(1)), ethFrame(MAC(2), MAC(1))]);
  assert.is(ports[1].sent.length, 3);
  assert.equal(ports.map((p) => p.flushes), [0, 1, 0]);
  ports[0].injectBurst([ethFrame(MAC(2), MAC(1)), ethFrame(BCAST, MAC(1))]);
  assert.equal(ports.map((p) => p.flushes), [0, 2, 1]);
  assert.is(sw.counters.forwarded, 4);
});

sw('observer sees learned/moved/forwarded/flooded/dropped with one reused event', () => {
  const { sw, ports } = rig(3);
  const seen: string[] = [];
  const objects = new Set<SwitchEvent>();
  sw.setObserver((ev) => {
    objects.add(ev);
    seen.push(`${ev.action}:${ev.inPort?.name}:${ev.reason}:${ev.outPort?.name ?? '-'}:${ev.count}:${ev.len}`);
  });
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  ports[1].inject(ethFrame(MAC(1), MAC(2)));
  ports[2].inject(ethFrame(MAC(3), MAC(2)));
  ports[0].inject(Buffer.alloc(10));
  assert.equal(seen, [
    'learned:p0::p0:0:60', 'flooded:p0::-:2:60',
    'learned:p1::p1:0:60', 'forwarded:p1::p0:1:60',
    'moved:p2::p2:0:60', 'flooded:p2::-:2:60',
    'dropped:p0:runt:-:0:10',
  ]);
  assert.is(objects.size, 1);
  sw.setObserver(null);
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  assert.is(seen.length, 7);
  sw.setObserver(() => {
    throw new Error('observer bug');
  });
  ports[0].inject(ethFrame(BCAST, MAC(1)));
  assert.is(ports[1].sent.length, 4, 'a throwing observer does not break forwarding');
});

sw('close detaches and closes every port', () => {
  const { sw, ports } = rig(2);
  sw.close();
  assert.equal(sw.ports(), []);
  assert.ok(ports.every((p) => p.closed));
});

sw.run();

const pair = suite('memory pair');

pair('delivers synchronously at HEADROOM, copies, and forwards flush', () => {
  const [a, b] = createMemoryPair('a', 'b');
  const got: Array<{ off: number; hex: string; port: Port; bufLen: number }> = [];
  let flushes = 0;
  const sink: FrameSink = {
    input: (port, buf, off, len) => got.push({ port, off, hex: buf.toString('hex', off, off + len), bufLen: buf.length }),
    flush: () => flushes++,
  };
  b.setSink(sink);
  const src = Buffer.alloc(200, 1);
  const f = ethFrame(BCAST, MAC(1));
  f.copy(src, 10);
  a.output(src, 10, f.length, REMOTE_ALL);
  src.fill(0);
  assert.is(got.length, 1);
  assert.is(got[0].off, HEADROOM);
  assert.is(got[0].hex, f.toString('hex'), 'a copy, not the caller buffer');
  assert.is(got[0].port, b);
  a.flush?.();
  assert.is(flushes, 1);
  assert.is(a.counters.txFrames, 1);
  assert.is(b.counters.rxFrames, 1);
  b.output(src, 0, 60, REMOTE_NONE);
  assert.is(b.counters.drops['no-sink'], 1);
  a.close();
  a.output(src, 0, 60, REMOTE_NONE);
  assert.is(a.counters.drops.closed, 1);
});

pair('two switches joined by a pair form one L2 segment; a loop of pairs is cut', () => {
  const s1 = createSwitch({ name: 's1' });
  const s2 = createSwitch({ name: 's2' });
  const h1 = createMemoryPort('h1');
  const h2 = createMemoryPort('h2');
  const [u1, u2] = createMemoryPair('up1', 'up2');
  s1.addPort(h1);
  s1.addPort(u1);
  s2.addPort(u2);
  s2.addPort(h2);
  h1.inject(ethFrame(BCAST, MAC(1)));
  assert.is(h2.sent.length, 1);
  assert.is(h2.flushes, 1, 'the burst end crossed the pair');
  h2.inject(ethFrame(MAC(1), MAC(2)));
  assert.is(h1.sent.length, 1);
  assert.is(s1.lookup(MAC(2))?.port, u1);
  // a second pair makes a loop: the broadcast must terminate (counted as 'loop' drops)
  const [v1, v2] = createMemoryPair('lp1', 'lp2');
  s1.addPort(v1);
  s2.addPort(v2);
  h1.inject(ethFrame(BCAST, MAC(1)));
  const loops = (u1.counters.drops.loop ?? 0) + (u2.counters.drops.loop ?? 0) + (v1.counters.drops.loop ?? 0) + (v2.counters.drops.loop ?? 0);
  assert.ok(loops > 0);
});

pair.run();
