// Golden vectors from a real dig <-> dnsmasq exchange (test/fixtures/dns-capture.ts): every DNS field
// checked against what tcpdump printed, UDP checksums over IPv4 and IPv6 verified and recomputed,
// encodeDns(decodeDns(x)) == x, and hostile names (pointer loops, forward pointers, long names).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex } from '../fixtures/index.js';
import * as G from '../fixtures/dns-capture.js';
import {
  type Malformed, type DnsMessage, isMalformed, decodeEthernet, decodeIpv4, decodeIpv6, encodeIpv6, decodeUdp,
  encodeUdp, decodeDns, encodeDns, buildDns, udpChecksumOkInIp, udpChecksumIpv6, ETHERTYPE_IPV6,
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, DNS_TYPE_CNAME, DNS_TYPE_OPT, DNS_CLASS_IN, IPPROTO_UDP, IPV6_HEADER_LEN,
} from '../../src/wire/index.js';

function ok<T>(x: T | Malformed): T {
  if (isMalformed(x)) throw new Error(`unexpected malformed: ${x.reason}`);
  return x;
}

/** Ethernet / IPv4 or IPv6 / UDP / DNS. */
function dnsOf(hex: string) {
  const frame = fromHex(hex);
  const eth = ok(decodeEthernet(frame, 0, frame.length));
  const ip = eth.ethertype === ETHERTYPE_IPV6 ? ok(decodeIpv6(eth.payload, 0, eth.payload.length)) : ok(decodeIpv4(eth.payload, 0, eth.payload.length));
  const udp = ok(decodeUdp(ip.payload, 0, ip.payload.length));
  const dns = ok(decodeDns(udp.payload, 0, udp.payload.length));
  return { frame, eth, ip, udp, dns };
}

const flagsQuery = { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: true, cd: false, rcode: 0 };
// dnsmasq answers authoritatively ('*'), with RA and RD, no AD.
const flagsAnswer = { qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, z: false, ad: false, cd: false, rcode: 0 };

const ALL = ['dnsQueryA', 'dnsResponseA', 'dnsQueryPtr', 'dnsResponsePtr', 'dnsQueryCnameAaaa', 'dnsResponseCnameAaaa', 'dnsQueryAaaaV6', 'dnsResponseAaaaV6'];
const hexOf = (name: string) => (G as Record<string, unknown>)[name] as string;

for (const name of ALL) {
  test(`${name}: UDP checksum verifies and recomputes; DNS round-trips byte for byte`, () => {
    const { eth, ip, udp, dns } = dnsOf(hexOf(name));
    assert.ok(udpChecksumOkInIp(eth.payload, 0, eth.payload.length), 'udp sum ok');
    const bytes = Buffer.alloc(udp.payload.length + 3);
    assert.is(encodeDns(dns, bytes, 3), udp.payload.length);
    assert.equal(bytes.subarray(3), udp.payload);
    assert.equal(buildDns(dns), udp.payload);
    const u = Buffer.alloc(ip.payload.length);
    encodeUdp({ srcPort: udp.srcPort, dstPort: udp.dstPort, payload: udp.payload, pseudo: { src: ip.src, dst: ip.dst } }, u, 0);
    assert.equal(u, ip.payload);
    const broken = Buffer.from(eth.payload);
    broken[broken.length - 1] ^= 0x01;
    assert.not.ok(udpChecksumOkInIp(broken, 0, broken.length));
  });
}

test('dnsQueryA: header, question and the EDNS OPT record passed through raw', () => {
  const { ip, udp, dns } = dnsOf(G.dnsQueryA);
  assert.is(ip.src, '10.53.0.1');
  assert.is(ip.dst, '10.53.0.2');
  assert.is(udp.srcPort, 52575);
  assert.is(udp.dstPort, 53);
  assert.is(udp.length - 8, 55);
  assert.is(dns.id, 23442);
  assert.equal({ ...dns, id: 0, questions: [], answers: [], authorities: [], additionals: [] }, { ...flagsQuery, id: 0, questions: [], answers: [], authorities: [], additionals: [] });
  assert.equal(dns.questions, [{ name: 'web.tsnet.test', type: DNS_TYPE_A, class: DNS_CLASS_IN }]);
  assert.is(dns.answers.length, 0);
  assert.is(dns.authorities.length, 0);
  assert.is(dns.additionals.length, 1);
  const opt = dns.additionals[0];
  assert.is(opt.name, '');
  assert.is(opt.type, DNS_TYPE_OPT);
  assert.is(opt.class, 1232); // UDPsize=1232
  assert.is(opt.ttl, 0);
  // option 10 (COOKIE), length 8, c103185367b4e1a2
  assert.is(Buffer.from(opt.data as Uint8Array).toString('hex'), '000a0008c103185367b4e1a2');
});

test('dnsResponseA: 1/0/1, web.tsnet.test. A 10.0.0.5, compressed owner name', () => {
  const { ip, udp, dns } = dnsOf(G.dnsResponseA);
  assert.is(ip.src, '10.53.0.2');
  assert.is(udp.srcPort, 53);
  assert.is(udp.dstPort, 52575);
  assert.is(dns.id, 23442);
  const { questions, answers, authorities, additionals, id, ...flags } = dns;
  assert.equal(flags, flagsAnswer);
  assert.equal(questions, [{ name: 'web.tsnet.test', type: DNS_TYPE_A, class: DNS_CLASS_IN }]);
  assert.equal(answers, [{ name: 'web.tsnet.test', type: DNS_TYPE_A, class: DNS_CLASS_IN, ttl: 0, data: '10.0.0.5' }]);
  assert.is(authorities.length, 0);
  assert.is(additionals.length, 1);
  assert.is(additionals[0].type, DNS_TYPE_OPT);
  assert.is(additionals[0].class, 1232);
  assert.is((additionals[0].data as Uint8Array).length, 0);
  assert.is(udp.payload.readUInt16BE(32), 0xc00c, 'answer name is a pointer to the question');
});

test('dnsQueryPtr / dnsResponsePtr: 6.0.0.10.in-addr.arpa. PTR db.tsnet.test.', () => {
  const q = dnsOf(G.dnsQueryPtr).dns;
  assert.is(q.id, 42717);
  assert.is(q.ad, true);
  assert.is(q.additionals.length, 0); // +noedns
  assert.equal(q.questions, [{ name: '6.0.0.10.in-addr.arpa', type: DNS_TYPE_PTR, class: DNS_CLASS_IN }]);
  const r = dnsOf(G.dnsResponsePtr).dns;
  assert.is(r.id, 42717);
  assert.ok(r.qr && r.aa);
  assert.equal(r.answers, [{ name: '6.0.0.10.in-addr.arpa', type: DNS_TYPE_PTR, class: DNS_CLASS_IN, ttl: 0, data: 'db.tsnet.test' }]);
});

test('dnsResponseCnameAaaa: www CNAME db, db AAAA fd00::6 via a pointer into the CNAME rdata', () => {
  const { udp, dns } = dnsOf(G.dnsResponseCnameAaaa);
  assert.is(dns.id, 30070);
  assert.equal(dns.questions, [{ name: 'www.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN }]);
  assert.equal(dns.answers, [
    { name: 'www.tsnet.test', type: DNS_TYPE_CNAME, class: DNS_CLASS_IN, ttl: 0, data: 'db.tsnet.test' },
    { name: 'db.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN, ttl: 0, data: 'fd00::6' },
  ]);
  assert.is(udp.payload.readUInt16BE(59), 0xc02c, 'AAAA owner points at the CNAME target');
  // With rdata compression the message is 10 bytes shorter and still decodes to the same thing.
  const small = buildDns(dns, { compressRdata: true });
  assert.is(small.length, udp.payload.length - 10);
  assert.equal(ok(decodeDns(small, 0, small.length)), dns);
});

test('dnsQueryAaaaV6 / dnsResponseAaaaV6: IPv6 header fields and the IPv6 pseudo-header checksum', () => {
  const q = dnsOf(G.dnsQueryAaaaV6);
  const ip6 = ok(decodeIpv6(q.eth.payload, 0, q.eth.payload.length));
  assert.is(ip6.version, 6);
  assert.is(ip6.flowLabel, 0xe49b2);
  assert.is(ip6.trafficClass, 0);
  assert.is(ip6.hopLimit, 64);
  assert.is(ip6.nextHeader, IPPROTO_UDP);
  assert.is(ip6.payloadLength, 39);
  assert.is(ip6.src, 'fd53::1');
  assert.is(ip6.dst, 'fd53::2');
  assert.is(q.udp.srcPort, 32908);
  assert.is(q.udp.checksum, 0x2ac0);
  assert.is(udpChecksumIpv6(q.eth.payload, IPV6_HEADER_LEN, 39, 8, 24), 0x2ac0);
  assert.is(q.dns.id, 38962);
  assert.equal(q.dns.questions, [{ name: 'db.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN }]);
  const again = Buffer.alloc(q.eth.payload.length);
  encodeIpv6({ ...ip6, payload: ip6.payload }, again, 0);
  assert.equal(again, q.eth.payload);
  const r = dnsOf(G.dnsResponseAaaaV6);
  assert.is((r.ip as { flowLabel: number }).flowLabel, 0x8a6c0);
  assert.equal(r.dns.answers, [{ name: 'db.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN, ttl: 0, data: 'fd00::6' }]);
});

test('IPv6 base header of kernel MLDv2 report and router solicitation', () => {
  for (const [hex, nh, hop, plen, dst] of [
    [G.ipv6MldReport, 0, 1, 56, 'ff02::16'],
    [G.ipv6RouterSolicitation, 58, 255, 16, 'ff02::2'],
  ] as const) {
    const f = fromHex(hex);
    const eth = ok(decodeEthernet(f, 0, f.length));
    assert.is(eth.ethertype, ETHERTYPE_IPV6);
    const ip = ok(decodeIpv6(eth.payload, 0, eth.payload.length));
    assert.is(ip.nextHeader, nh);
    assert.is(ip.hopLimit, hop);
    assert.is(ip.payloadLength, plen);
    assert.is(ip.src, 'fe80::ff:fe0c:1');
    assert.is(ip.dst, dst);
    const b = Buffer.alloc(eth.payload.length);
    encodeIpv6(ip, b, 0);
    assert.equal(b, eth.payload);
  }
});

/** A message with one question whose name bytes are given raw. */
function rawQuestion(nameBytes: number[]): Buffer {
  return Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...nameBytes, 0, 1, 0, 1]);
}

test('hostile names: pointer loops, forward pointers, overlong names, bad labels are Malformed', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['self pointer', rawQuestion([0xc0, 12]), /pointer/],
    ['forward pointer', rawQuestion([0xc0, 14, 1, 0x61, 0]), /pointer/],
    ['two-pointer loop', rawQuestion([1, 0x61, 0xc0, 15, 0xc0, 12]), /pointer/],
    ['pointer past end', rawQuestion([0xc3, 0xff]), /pointer/],
    ['label type 01', rawQuestion([0x41, 0]), /label type/],
    ['label past end', Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]), /truncated/],
    ['name > 255', rawQuestion([...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat(), 0]), /longer than 255/],
  ];
  for (const [what, buf, re] of cases) {
    const r = decodeDns(buf, 0, buf.length);
    assert.ok(isMalformed(r), what);
    assert.match((r as Malformed).reason, re, what);
  }
  // A chain of backward pointers is fine.
  const okMsg = rawQuestion([1, 0x61, 0]);
  assert.equal(ok(decodeDns(okMsg, 0, okMsg.length)).questions[0].name, 'a');
});

test('names with odd bytes round-trip through \\DDD escapes; encoder rejects bad names and no room', () => {
  const m: Partial<DnsMessage> & { id: number } = {
    id: 7,
    questions: [{ name: 'a\\.b.x\\032y.\\\\z.Q_', type: 16, class: 1 }],
    answers: [{ name: 'a\\.b.x\\032y.\\\\z.Q_', type: 16, class: 1, ttl: 4294967295, data: Buffer.from([3, 0x61, 0x62, 0x63]) }],
  };
  const b = buildDns(m);
  const d = ok(decodeDns(b, 0, b.length));
  assert.is(d.questions[0].name, m.questions![0].name);
  assert.is(d.answers[0].ttl, 4294967295);
  assert.equal(buildDns(d), b);
  assert.throws(() => buildDns({ id: 1, questions: [{ name: 'a'.repeat(64), type: 1, class: 1 }] }), /longer than 63/);
  assert.throws(() => buildDns({ id: 1, questions: [{ name: 'a..b', type: 1, class: 1 }] }), /empty label/);
  assert.throws(() => encodeDns({ id: 1, questions: [{ name: 'abc', type: 1, class: 1 }] }, Buffer.alloc(14), 0), /no room/);
  assert.throws(() => buildDns({ id: 1, answers: [{ name: 'x', type: 1, class: 1, ttl: 0, data: 'not-an-ip' }] }), /IPv4/);
});

test.run();
