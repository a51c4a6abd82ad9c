// Fuzzing of the data plane's entry points for outside bytes (SECURITY.md): the VTEP receive path
// (Vtep.receive(msg, address, port), what every UDP datagram on port 4789 reaches) and the switch
// input (frames from a TAP or a tunnel), with seeded random and mutated inputs for a fixed budget.
// Nothing may throw, every datagram is counted (received = delivered + dropped by reason), and the
// components keep forwarding: a valid frame sent after the fuzz still arrives where it should.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createVtep } from '../../src/dataplane/vtep.js';
import { createVxlanPort } from '../../src/dataplane/vxlan-port.js';
import { createOverlayIngress } from '../../src/dataplane/overlay-ingress.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createMemoryPort } from '../../src/dataplane/memory-port.js';
import { buildEthernet, buildIpv4, buildArpRequest, ETHERTYPE_IPV4, writeVxlanHeader, VXLAN_HEADER_LEN } from '../../src/wire/index.js';
import { DEFAULT_SEED, mutate, rng } from '../helpers/fault-rng.js';
import { mssOption, SYN, tcp4Frame, tcpHeader } from './overlay-frames.js';

// --- our choice: budgets (a few hundred ms each on a CI core) ---
const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 30_000;
const VNI = 4242;
const PEER = '10.210.0.2';
const LOCAL_MAC = '02:42:0a:00:01:02';
const REMOTE_MAC = '02:42:0a:00:01:03';

const sumDrops = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);

function vxlan(vni: number, inner: Buffer): Buffer {
  const b = Buffer.alloc(VXLAN_HEADER_LEN + inner.length);
  writeVxlanHeader(b, 0, vni);
  inner.copy(b, VXLAN_HEADER_LEN);
  return b;
}

/** Inner frames worth mutating: a broadcast ARP request, unicast IPv4, a TCP SYN with MSS (the clamp path). */
function innerSeeds(): Buffer[] {
  const ip = buildIpv4({ protocol: 17, src: '10.0.1.3', dst: '10.0.1.2', payload: Buffer.alloc(32, 0xab) });
  return [
    buildArpRequest(REMOTE_MAC, '10.0.1.3', '10.0.1.2'),
    buildEthernet({ dst: LOCAL_MAC, src: REMOTE_MAC, ethertype: ETHERTYPE_IPV4, payload: ip }),
    tcp4Frame(tcpHeader(SYN, [...mssOption(1460), 1, 3, 3, 7]), '10.0.1.3', '10.0.1.2'),
  ];
}

function overlayRig() {
  const vtep = createVtep({ address: '127.0.0.1', port: 0 }); // never started: receive() is fed directly, sends count 'not-started'
  const sw = createSwitch({ name: 'fuzz', clock: () => 0 });
  const tap = createMemoryPort('tap0');
  const tunnel = createVxlanPort({ vtep, vni: VNI });
  sw.addPort(tap);
  tunnel.attach(sw);
  const ingress = createOverlayIngress(sw, tunnel.arp);
  ingress.attach(tap);
  tunnel.addPeer(PEER);
  tunnel.addRemoteEndpoint(REMOTE_MAC, '10.0.1.3', PEER);
  sw.setStatic(LOCAL_MAC, tap);
  return { vtep, sw, tap, tunnel };
}

test(`VTEP receive: ${RANDOM_INPUTS} random and ${MUTATED_INPUTS} mutated datagrams, all counted, never a throw (seed ${DEFAULT_SEED})`, () => {
  const { vtep, tap, tunnel } = overlayRig();
  const r = rng(DEFAULT_SEED);
  const seeds = innerSeeds().map((f) => vxlan(VNI, f));
  const addresses = [PEER, PEER, PEER, '10.210.0.99', '::1', '', '300.1.1.1'];
  let fed = 0;
  const feed = (msg: Buffer) => {
    const address = r.pick(addresses);
    try {
      vtep.receive(msg, address, r.int(65536));
    } catch (e) {
      throw new Error(`VTEP receive threw on ${msg.toString('hex')} from ${address}: ${(e as Error).stack}`);
    }
    fed++;
  };
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    const msg = r.bytes(r.int(120));
    if (r.bool(0.5) && msg.length >= VXLAN_HEADER_LEN) writeVxlanHeader(msg, 0, r.bool(0.7) ? VNI : r.int(1 << 24)); // get past the header checks
    feed(msg);
  }
  for (let i = 0; i < MUTATED_INPUTS; i++) feed(mutate(r, r.pick(seeds)));
  const c = vtep.counters;
  assert.is(c.rxPackets, fed, 'every datagram counted');
  // a datagram is either handed to the tunnel (tunnel rxFrames) or dropped by the VTEP with a reason
  const vtepRxDrops = (c.drops.truncated ?? 0) + (c.drops['no-i-flag'] ?? 0) + (c.drops['unknown-vni'] ?? 0) + (c.drops['not-member'] ?? 0);
  assert.is(vtepRxDrops + tunnel.counters.rxFrames, fed, `decapsulated + dropped = received (${JSON.stringify(c.drops)})`);
  assert.ok(tunnel.counters.rxFrames > 0 && vtepRxDrops > 0, 'the fuzz reached both the drop paths and the tunnel');

  // still forwarding: a valid packet from the peer reaches the local port, unchanged
  tap.clear();
  const good = innerSeeds()[1]!;
  vtep.receive(vxlan(VNI, good), PEER, 4789);
  assert.is(tap.sent.length, 1, 'a valid packet after the fuzz is delivered');
  assert.equal(tap.sent[0]!.frame, good);
});

test(`switch input: ${RANDOM_INPUTS} random and ${MUTATED_INPUTS} mutated frames, never a throw, still switching (seed ${DEFAULT_SEED + 1})`, () => {
  const sw = createSwitch({ name: 'fuzz-sw', clock: () => 0, maxMacs: 1024 });
  const a = createMemoryPort('a');
  const b = createMemoryPort('b');
  const c = createMemoryPort('c');
  for (const p of [a, b, c]) sw.addPort(p);
  const r = rng(DEFAULT_SEED + 1);
  const seeds = innerSeeds();
  let fed = 0;
  const feed = (frame: Buffer) => {
    const port = r.pick([a, b, c]);
    try {
      port.inject(frame);
    } catch (e) {
      throw new Error(`switch input threw on ${frame.toString('hex')}: ${(e as Error).stack}`);
    }
    fed++;
  };
  for (let i = 0; i < RANDOM_INPUTS; i++) feed(r.bytes(r.int(200)));
  for (let i = 0; i < MUTATED_INPUTS; i++) feed(mutate(r, r.pick(seeds)));
  assert.is(sw.counters.rxFrames, fed, 'every frame counted');
  assert.ok(sw.fdbEntries().length <= 1024, 'the FDB stays within maxMacs under random source MACs');

  // still switching: after learning, a unicast goes to one port only
  sw.flushFdb();
  for (const p of [a, b, c]) p.clear();
  const fromB = buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:0b', ethertype: ETHERTYPE_IPV4, payload: Buffer.alloc(46) });
  const toB = buildEthernet({ dst: '02:00:00:00:00:0b', src: '02:00:00:00:00:0a', ethertype: ETHERTYPE_IPV4, payload: Buffer.alloc(46) });
  b.inject(fromB);
  a.inject(toB);
  assert.is(b.sent.length, 1);
  assert.equal(b.sent[0]!.frame, toB);
  assert.is(c.sent.length, 1, 'c saw only the broadcast');
});
test.run();
