// Port security (src/dataplane/port-security.ts) over memory ports and a real switch: an endpoint sends
// only from its own MAC and IPv4 address, ARP only as itself, no VLAN tags, broadcast rate-limited;
// every drop is counted in the guard, in the switch's per-port counters and in the switch totals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSwitch, type Switch } from '../../src/dataplane/switch.js';
import { createMemoryPort, type MemoryPort } from '../../src/dataplane/memory-port.js';
import { createPortSecurity, type PortSecurity, type PortSecurityOptions } from '../../src/dataplane/port-security.js';
import { createOverlayIngress } from '../../src/dataplane/overlay-ingress.js';
import { ArpProxyTable } from '../../src/dataplane/overlay-arp-proxy.js';
import { buildArpRequest, buildEthernet, buildIpv4, ETHERTYPE_IPV4, parseIpv4 } from '../../src/wire/index.js';

const MAC_A = '02:42:0a:00:07:02';
const IP_A = '10.0.7.2';
const MAC_B = '02:42:0a:00:07:03';

interface Rig { sw: Switch; a: MemoryPort; b: MemoryPort; guard: PortSecurity }

function rig(opts: Partial<PortSecurityOptions> = {}): Rig {
  const sw = createSwitch({ name: 'ps' });
  const a = createMemoryPort('a');
  const b = createMemoryPort('b');
  sw.addPort(a);
  sw.addPort(b);
  const guard = createPortSecurity(sw, { mac: MAC_A, ipv4: IP_A, ...opts });
  guard.attach(a);
  return { sw, a, b, guard };
}

function ipFrame(srcMac: string, srcIp: string, dstMac = MAC_B): Buffer {
  const ip = buildIpv4({ protocol: 17, src: srcIp, dst: '10.0.7.3', payload: Buffer.alloc(16) });
  return buildEthernet({ dst: dstMac, src: srcMac, ethertype: ETHERTYPE_IPV4, payload: ip });
}

test('own MAC and address pass; the switch forwards them', () => {
  const r = rig();
  r.a.inject(ipFrame(MAC_A, IP_A, 'ff:ff:ff:ff:ff:ff'));
  r.a.inject(ipFrame(MAC_A, '0.0.0.0', 'ff:ff:ff:ff:ff:ff')); // DHCP discover
  r.a.inject(buildArpRequest(MAC_A, IP_A, '10.0.7.3'));
  r.a.inject(buildArpRequest(MAC_A, '0.0.0.0', IP_A)); // ARP probe (RFC 5227)
  assert.is(r.b.sent.length, 4);
  assert.is(r.guard.counters.passed, 4);
  assert.equal(r.sw.portCounters(r.a).drops, {});
});

test('a spoofed source MAC is dropped and counted where inspect shows it', () => {
  const r = rig();
  r.a.inject(ipFrame(MAC_B, IP_A));
  assert.is(r.b.sent.length, 0);
  assert.is(r.guard.counters.drops['spoofed-mac'], 1);
  assert.is(r.sw.portCounters(r.a).drops['spoofed-mac'], 1);
  assert.is(r.sw.portCounters(r.a).rxFrames, 1);
  assert.is(r.sw.counters.dropped['spoofed-mac'], 1);
  assert.is(r.sw.lookup(MAC_B), null, 'the switch did not learn the spoofed MAC');
});

test('a spoofed source IPv4 address is dropped', () => {
  const r = rig();
  r.a.inject(ipFrame(MAC_A, '10.0.7.3'));
  assert.is(r.b.sent.length, 0);
  assert.is(r.sw.portCounters(r.a).drops['spoofed-ip'], 1);
});

test('ARP: a forged sender MAC or sender address is dropped (no ARP poisoning)', () => {
  const r = rig();
  const forgedSha = buildArpRequest(MAC_B, IP_A, '10.0.7.3');
  forgedSha.set([0x02, 0x42, 0x0a, 0x00, 0x07, 0x02], 6); // Ethernet source is right, ARP sender is not
  r.a.inject(forgedSha);
  r.a.inject(buildArpRequest(MAC_A, '10.0.7.1', '10.0.7.3')); // claims the gateway's address
  assert.is(r.b.sent.length, 0);
  assert.is(r.sw.portCounters(r.a).drops['spoofed-arp'], 2);
});

test('VLAN-tagged frames are dropped (endpoints are untagged access ports)', () => {
  const r = rig();
  const inner = ipFrame(MAC_A, '10.0.7.3');
  const tagged = Buffer.concat([inner.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x05]), inner.subarray(12)]);
  r.a.inject(tagged);
  assert.is(r.sw.portCounters(r.a).drops['vlan-tagged'], 1);
});

test('broadcast rate limit per port: the burst passes, the rest is dropped until tokens refill', () => {
  let now = 0;
  const r = rig({ broadcastRatePerSec: 10, broadcastBurst: 5, clock: () => now });
  for (let i = 0; i < 20; i++) r.a.inject(ipFrame(MAC_A, IP_A, 'ff:ff:ff:ff:ff:ff'));
  assert.is(r.b.sent.length, 5);
  assert.is(r.sw.portCounters(r.a).drops['broadcast-rate-limit'], 15);
  r.a.inject(ipFrame(MAC_A, IP_A)); // unicast is not limited
  assert.is(r.b.sent.length, 6);
  now += 1000;
  for (let i = 0; i < 20; i++) r.a.inject(ipFrame(MAC_A, IP_A, 'ff:ff:ff:ff:ff:ff'));
  assert.is(r.b.sent.length, 11);
});

test('checkSources=false keeps only the rate limit; detach gives the port back to the switch', () => {
  const r = rig({ checkSources: false });
  r.a.inject(ipFrame('02:42:0a:00:07:77', '10.9.9.9'));
  assert.is(r.b.sent.length, 1);
  const g = rig();
  g.guard.detach();
  g.a.inject(ipFrame('02:42:0a:00:07:77', '10.9.9.9'));
  assert.is(g.b.sent.length, 1);
});

test('in front of the overlay ARP-proxy ingress: spoofed ARP never reaches the proxy', () => {
  const sw = createSwitch({ name: 'ov' });
  const a = createMemoryPort('a');
  sw.addPort(a);
  const table = new ArpProxyTable();
  table.set(parseIpv4('10.0.7.9'), 0x02420a000709);
  const ingress = createOverlayIngress(sw, table);
  const guard = createPortSecurity(sw, { mac: MAC_A, ipv4: IP_A });
  guard.next = ingress;
  guard.attach(a);
  a.inject(buildArpRequest(MAC_A, IP_A, '10.0.7.9'));
  assert.is(a.sent.length, 1, 'answered by the proxy');
  a.inject(buildArpRequest(MAC_B, '10.0.7.3', '10.0.7.9'));
  assert.is(a.sent.length, 1);
  assert.is(ingress.counters.arpProxied, 1);
  assert.is(sw.portCounters(a).drops['spoofed-mac'], 1);
});

test.run();
