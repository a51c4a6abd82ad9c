// Unit tests of the switch with a multi-remote (VXLAN-like) port: head-end replication with
// REMOTE_ALL, learning (tunnel port, remote), unicast back to that remote, and split horizon
// for frames that came from the tunnel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryPort } from '../../src/dataplane/memory-port.js';
import { REMOTE_ALL } from '../../src/dataplane/port.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { BCAST, ethFrame, FakeTunnelPort } from './dataplane-scenarios.js';

const LOCAL_A = '02:00:00:00:00:0a';
const LOCAL_B = '02:00:00:00:00:0b';
const REMOTE_X = '02:00:00:00:01:01'; // behind VTEP 1
const REMOTE_Y = '02:00:00:00:02:02'; // behind VTEP 2

function rig() {
  const sw = createSwitch({ name: 'overlay', clock: () => 0 });
  const a = createMemoryPort('tapA');
  const b = createMemoryPort('tapB');
  const vx = new FakeTunnelPort('vxlan0');
  sw.addPort(a);
  sw.addPort(b);
  sw.addPort(vx);
  return { sw, a, b, vx };
}

test('a flood from a local port goes to the tunnel once, with REMOTE_ALL', () => {
  const { a, b, vx } = rig();
  a.inject(ethFrame(BCAST, LOCAL_A));
  assert.is(vx.sent.length, 1);
  assert.is(vx.sent[0].remote, REMOTE_ALL);
  assert.is(b.sent.length, 1);
  assert.is(vx.flushes, 1);
  assert.is(vx.counters.drops['no-headroom'], undefined, 'frames keep HEADROOM in front');
});

test('a frame from a remote is learned as (tunnel, remote) and unicast back to that remote', () => {
  const { sw, a, b, vx } = rig();
  vx.receive(ethFrame(BCAST, REMOTE_X), 1);
  vx.receive(ethFrame(BCAST, REMOTE_Y), 2);
  assert.is(sw.lookup(REMOTE_X)?.port, vx);
  assert.is(sw.lookup(REMOTE_X)?.remote, 1);
  assert.is(sw.lookup(REMOTE_Y)?.remote, 2);
  a.inject(ethFrame(REMOTE_Y, LOCAL_A));
  assert.equal(vx.sent.map((s) => s.remote), [2]);
  a.inject(ethFrame(REMOTE_X, LOCAL_A));
  assert.equal(vx.sent.map((s) => s.remote), [2, 1]);
  assert.is(b.sent.length, 2, 'only the two broadcasts reached b');
  assert.is(sw.fdbEntries().find((e) => e.mac === REMOTE_Y)?.port, 'vxlan0');
});

test('a frame that came from the tunnel is never flooded back into the tunnel', () => {
  const { sw, a, b, vx } = rig();
  vx.receive(ethFrame(BCAST, REMOTE_X), 1);
  vx.receive(ethFrame('02:00:00:00:99:99', REMOTE_X), 1); // unknown unicast
  vx.receive(ethFrame('01:00:5e:00:00:01', REMOTE_X), 1); // multicast
  assert.is(vx.sent.length, 0);
  assert.is(a.sent.length, 3);
  assert.is(b.sent.length, 3);
  assert.is(sw.counters.flooded, 3);
});

test('MAC moves between remotes of the tunnel and between tunnel and local port', () => {
  const { sw, a, vx } = rig();
  vx.receive(ethFrame(BCAST, REMOTE_X), 1);
  vx.receive(ethFrame(BCAST, REMOTE_X), 2);
  assert.is(sw.lookup(REMOTE_X)?.remote, 2);
  a.inject(ethFrame(BCAST, REMOTE_X));
  assert.is(sw.lookup(REMOTE_X)?.port, a);
  assert.is(sw.counters.moved, 2);
});

test('unicast between remotes: same remote is a hairpin drop, another remote is relayed', () => {
  const { sw, vx } = rig();
  vx.receive(ethFrame(BCAST, REMOTE_X), 1);
  vx.receive(ethFrame(BCAST, REMOTE_Y), 2);
  vx.receive(ethFrame(REMOTE_X, '02:00:00:00:01:02'), 1);
  assert.equal(sw.counters.dropped, { hairpin: 1 });
  vx.receive(ethFrame(REMOTE_Y, REMOTE_X), 1);
  assert.equal(vx.sent.map((s) => s.remote), [2]);
});

test('static entries from the control plane steer to a remote before any learning', () => {
  const { sw, a, b, vx } = rig();
  sw.setStatic(REMOTE_Y, vx, 2);
  a.inject(ethFrame(REMOTE_Y, LOCAL_A));
  assert.equal(vx.sent.map((s) => s.remote), [2]);
  assert.is(b.sent.length, 0);
  vx.receive(ethFrame(LOCAL_A, REMOTE_Y), 3); // a stale VTEP claims the MAC: ignored
  assert.is(sw.lookup(REMOTE_Y)?.remote, 2);
  assert.is(a.sent.length, 1);
  assert.is(sw.flushFdb({ port: vx, remote: 2 }), 0, 'flushing learned entries keeps statics');
});

test.run();
