// MAC numbers, IP address text, the Internet checksum, and Ethernet with an 802.1Q tag (no kernel here
// can make a tagged frame, so the tag is inserted into a captured frame; tshark checks it in
// test/integration/wire-pcap-tshark.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex } from '../fixtures/index.js';
import * as V from '../fixtures/vxlan-capture.js';
import {
  type Malformed, isMalformed, readMac, writeMac, macToString, parseMac, tryParseMac, isBroadcastMac, isMulticastMac,
  MAC_BROADCAST, ipv4ToString, parseIpv4, tryParseIpv4, ipv6ToString, tryWriteIpv6, internetChecksum, checksumAdd,
  checksumFinish, decodeEthernet, encodeEthernet, buildEthernet, ethType, ethVlanId, ethHeaderLen, writeEthHeader,
  ETHERTYPE_ARP, ETHERTYPE_VLAN, decodeArp, decodeIpv4, encodeIpv4, buildIpv4, IPPROTO_UDP,
} from '../../src/wire/index.js';

test('MAC numbers: read/write/string/parse, broadcast and multicast bits', () => {
  const b = Buffer.from([0xff, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0xee]);
  const m = readMac(b, 1);
  assert.is(m, 0x0242ac110002);
  assert.is(macToString(m), '02:42:ac:11:00:02');
  assert.is(parseMac('02:42:AC:11:00:02'), m);
  assert.is(parseMac('2-42-ac-11-0-2'), m);
  const out = Buffer.alloc(8, 0xee);
  writeMac(out, 1, m);
  assert.equal([...out], [0xee, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0xee]);
  writeMac(out, 0, MAC_BROADCAST);
  assert.is(readMac(out, 0), MAC_BROADCAST);
  assert.is(macToString(MAC_BROADCAST), 'ff:ff:ff:ff:ff:ff');
  assert.ok(isBroadcastMac(MAC_BROADCAST));
  assert.ok(isMulticastMac(MAC_BROADCAST));
  assert.ok(isMulticastMac(parseMac('33:33:00:00:00:16')));
  assert.ok(isMulticastMac(parseMac('01:00:5e:00:00:01')));
  assert.not.ok(isMulticastMac(m));
  assert.not.ok(isMulticastMac(parseMac('fe:ff:ff:ff:ff:ff')));
  assert.not.ok(isBroadcastMac(parseMac('ff:ff:ff:ff:ff:fe')));
  assert.is(tryParseMac('02:42:ac:11:00'), null);
  assert.is(tryParseMac('zz:42:ac:11:00:02'), null);
  assert.throws(() => parseMac('nope'), (e: { code?: string }) => e.code === 'EBADMAC');
});

test('IP address text both ways (RFC 5952 for IPv6)', () => {
  assert.is(ipv4ToString(parseIpv4('10.42.0.255')), '10.42.0.255');
  assert.is(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '']) assert.is(tryParseIpv4(bad), null, bad);
  assert.throws(() => parseIpv4('10.0.0'), (e: { code?: string }) => e.code === 'EBADIP');
  const b = Buffer.alloc(16);
  const cases: Array<[string, string]> = [
    ['fd00::6', 'fd00::6'],
    ['FE80:0:0:0:0:FF:FE0C:1', 'fe80::ff:fe0c:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [text, canon] of cases) {
    assert.ok(tryWriteIpv6(text, b, 0), text);
    assert.is(ipv6ToString(b, 0), canon, text);
  }
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.not.ok(tryWriteIpv6(bad, b, 0), bad);
});

test('Internet checksum: RFC 1071 example, odd lengths, incremental sums', () => {
  const rfc = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.is(checksumFinish(checksumAdd(rfc, 0, 8)), ~0xddf2 & 0xffff); // RFC 1071 section 3: sum ddf2
  assert.is(internetChecksum(Buffer.from([0xab]), 0, 1), ~0xab00 & 0xffff);
  const split = checksumAdd(rfc, 4, 4, checksumAdd(rfc, 0, 4));
  assert.is(checksumFinish(split), internetChecksum(rfc, 0, 8));
  const big = Buffer.alloc(65535, 0xff);
  assert.is(internetChecksum(big, 0, big.length), 0x00ff);
});

test('802.1Q: a tag inserted into a captured frame decodes, re-encodes and drives the accessors', () => {
  const arp = fromHex(V.vxlanArpRequest).subarray(50); // inner untagged ARP frame
  const tagged = Buffer.concat([arp.subarray(0, 12), Buffer.from([0x81, 0x00, 0xa0, 0x64]), arp.subarray(12)]);
  assert.is(ethType(tagged, 0, tagged.length), ETHERTYPE_ARP);
  assert.is(ethVlanId(tagged, 0, tagged.length), 100);
  assert.is(ethHeaderLen(tagged, 0, tagged.length), 18);
  assert.is(ethType(tagged, 0, 17), -1);
  assert.is(ethHeaderLen(tagged, 0, 17), -1);
  assert.is(ethType(tagged, 0, 13), -1);
  const eth = decodeEthernet(tagged, 0, tagged.length);
  if (isMalformed(eth)) throw new Error(eth.reason);
  assert.equal(eth.vlan, { pcp: 5, dei: 0, vid: 100 });
  assert.is(eth.ethertype, ETHERTYPE_ARP);
  assert.ok(!isMalformed(decodeArp(eth.payload, 0, eth.payload.length)));
  assert.equal(buildEthernet(eth), tagged);
  const untagged = buildEthernet({ ...eth, vlan: undefined });
  assert.equal(untagged, arp);
  assert.match((decodeEthernet(tagged, 0, 16) as Malformed).reason, /802.1Q/);
  assert.is(tagged.readUInt16BE(12), ETHERTYPE_VLAN);
  const h = Buffer.alloc(14);
  assert.is(writeEthHeader(h, 0, MAC_BROADCAST, parseMac('02:42:00:00:00:0a'), ETHERTYPE_ARP), 14);
  assert.equal(h, arp.subarray(0, 14));
  assert.throws(() => encodeEthernet({ ...eth, vlan: { pcp: 0, dei: 0, vid: 4096 } }, Buffer.alloc(100), 0), /VLAN ID/);
  assert.throws(() => encodeEthernet(eth, Buffer.alloc(10), 0), (e: { code?: string }) => e.code === 'EWIRE_SPACE');
});

test('IPv4: options via IHL, bad IHL/version/lengths are Malformed, link padding excluded', () => {
  const opts = Buffer.from([0x94, 0x04, 0x00, 0x00]); // router alert
  const pkt = buildIpv4({ protocol: IPPROTO_UDP, src: '10.0.0.1', dst: '10.0.0.2', options: opts, payload: Buffer.from('hello') });
  const padded = Buffer.concat([pkt, Buffer.alloc(20)]);
  const d = decodeIpv4(padded, 0, padded.length);
  if (isMalformed(d)) throw new Error(d.reason);
  assert.is(d.headerLength, 24);
  assert.equal(d.options, opts);
  assert.is(d.payload.toString(), 'hello');
  assert.ok(d.checksumOk);
  const again = Buffer.alloc(pkt.length);
  encodeIpv4(d, again, 0);
  assert.equal(again, pkt);
  const mut = (i: number, v: number) => { const c = Buffer.from(pkt); c[i] = v; return decodeIpv4(c, 0, c.length) as Malformed; };
  assert.match(mut(0, 0x44).reason, /bad IHL/);
  assert.match(mut(0, 0x65).reason, /not IPv4/);
  assert.match(mut(0, 0x4f).reason, /truncated/);
  assert.match(mut(3, 10).reason, /bad total length/);
  assert.match(mut(3, 200).reason, /truncated/);
  assert.match((decodeIpv4(pkt, 0, 10) as Malformed).reason, /truncated: 10 bytes, IPv4 header needs 20/);
  assert.throws(() => buildIpv4({ protocol: 17, src: '1.2.3.4', dst: '1.2.3.4', options: Buffer.alloc(3) }), /multiple of 4/);
});

test.run();
