// The inner flow hash that picks the VXLAN source port (src/dataplane/vxlan-flow-hash.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flowSlot, innerFlowHash } from '../../src/dataplane/vxlan-flow-hash.js';
import { ACK, tcp4Frame, tcpHeader } from './overlay-frames.js';

test('same flow, same hash; another port or address, another hash; MACs do not matter for IP', () => {
  const a = tcp4Frame(tcpHeader(ACK, [], 40000, 5201));
  const b = tcp4Frame(tcpHeader(ACK, [], 40000, 5201));
  b[0] ^= 0x02; // another destination MAC, same IP flow
  const c = tcp4Frame(tcpHeader(ACK, [], 40001, 5201));
  const d = tcp4Frame(tcpHeader(ACK, [], 40000, 5201), '10.0.42.9');
  assert.is(innerFlowHash(a, 0, a.length), innerFlowHash(b, 0, b.length));
  assert.is.not(innerFlowHash(a, 0, a.length), innerFlowHash(c, 0, c.length));
  assert.is.not(innerFlowHash(a, 0, a.length), innerFlowHash(d, 0, d.length));
});

test('non-IP frames hash on the MAC addresses; short frames do not throw', () => {
  const f = Buffer.alloc(60);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  const g = Buffer.from(f);
  g[11] = 3;
  assert.is.not(innerFlowHash(f, 0, 60), innerFlowHash(g, 0, 60));
  for (let n = 0; n < 60; n++) innerFlowHash(f, 0, n);
});

test('flowSlot spreads 1000 flows over 8 slots', () => {
  const counts = new Array(8).fill(0);
  for (let p = 0; p < 1000; p++) {
    const f = tcp4Frame(tcpHeader(ACK, [], 30000 + p, 80));
    counts[flowSlot(innerFlowHash(f, 0, f.length), 8)]++;
  }
  assert.ok(counts.every((c) => c > 60), `counts ${counts}`);
  assert.is(flowSlot(123, 1), 0);
});

test.run();
