// Unit tests of the trace decoder (src/observe/frame-summary.ts): tcpdump-like summaries of ARP,
// ICMP, UDP, TCP, ICMPv6, VLAN-tagged, VXLAN-in-UDP and broken frames, never throwing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summariseFrame } from '../../src/observe/frame-summary.js';
import { synthesiseVxlanPacket } from '../../src/observe/underlay-synth.js';
import { arpReply, arpWhoHas, icmp6NeighborSolicitation, icmpEcho, tcpSyn, udpFrame, vlanArp, MAC_LILY, MAC_ROSE } from './observe-frames.js';

const sum = (b: Buffer) => summariseFrame(b, 0, b.length);

test('ARP request and reply read like tcpdump', () => {
  const req = sum(arpWhoHas());
  assert.is(req.summary, 'ARP who-has 172.17.0.3 tell 172.17.0.2');
  assert.is(req.src, MAC_ROSE);
  assert.is(req.dst, 'ff:ff:ff:ff:ff:ff');
  assert.is(req.l3, 'arp');
  assert.is(sum(arpReply()).summary, `ARP reply 172.17.0.3 is-at ${MAC_LILY}`);
});

test('ICMP echo request names id, seq and length', () => {
  const f = sum(icmpEcho(3));
  assert.is(f.summary, 'IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 7, seq 3, length 64');
  assert.is(f.l4, 'icmp');
  assert.is(f.ipSrc, '172.17.0.2');
});

test('UDP and TCP show ports; TCP shows its flags', () => {
  const u = sum(udpFrame(53));
  assert.is(u.summary, 'IP 172.17.0.2.40000 > 172.17.0.3.53: UDP, length 5');
  assert.is(u.dport, 53);
  assert.is(sum(tcpSyn()).summary, 'IP 172.17.0.2.41000 > 172.17.0.3.80: TCP [S], length 0');
});

test('ICMPv6 neighbor solicitation, VLAN tag', () => {
  assert.is(sum(icmp6NeighborSolicitation()).summary, 'IP6 fe80::1 > ff02::1:ff00:3: ICMP6, neighbor solicitation, length 24');
  const v = sum(vlanArp());
  assert.is(v.vlan, 42);
  assert.is(v.summary, 'vlan 42, ARP who-has 172.17.0.3 tell 172.17.0.2');
});

test('a VXLAN packet on the underlay shows the inner frame', () => {
  const inner = arpWhoHas();
  const pkt = synthesiseVxlanPacket({ src: '10.0.0.1', srcPort: 40001, dst: '10.0.0.2', dstPort: 4789 }, 42, inner, 0, inner.length, 1);
  assert.is(sum(pkt).summary, `IP 10.0.0.1.40001 > 10.0.0.2.4789: UDP, length ${8 + inner.length} VXLAN vni 42: ${MAC_ROSE} > ff:ff:ff:ff:ff:ff ARP who-has 172.17.0.3 tell 172.17.0.2`);
});

test('runts, truncated headers and unknown EtherTypes are said plainly, never thrown', () => {
  assert.is(sum(Buffer.alloc(6)).summary, 'runt frame, length 6');
  const cut = icmpEcho(1).subarray(0, 20);
  assert.is(sum(cut).summary, 'IP truncated, length 20');
  const odd = Buffer.alloc(60);
  odd.writeUInt16BE(0x88cc, 12);
  assert.is(sum(odd).summary, 'ethertype 0x88cc, length 60');
  for (let n = 0; n < 80; n++) summariseFrame(icmpEcho(1), 0, n); // any prefix decodes without throwing
  const off = Buffer.concat([Buffer.alloc(96), arpWhoHas()]);
  assert.is(summariseFrame(off, 96, 42).summary, 'ARP who-has 172.17.0.3 tell 172.17.0.2');
});

test.run();
