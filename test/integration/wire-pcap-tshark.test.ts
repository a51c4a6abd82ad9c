// Our pcap writer's output, holding the golden vectors plus frames built only by our encoders (a tagged
// frame, VXLAN around a DNS answer, DNS over IPv6, an ICMP echo reply), is read back by our reader and
// opened by the real `tshark -r`, which must find no malformed packet, good checksums and the fields we
// wrote. Needs the tshark binary (Debian package tshark); writes only a temporary file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { trySh } from '../helpers/netns.js';
import { fromHex } from '../fixtures/index.js';
import * as V from '../fixtures/vxlan-capture.js';
import * as D from '../fixtures/dns-capture.js';
import {
  isMalformed, createPcapWriter, decodePcap, buildEthernet, buildIpv4, buildIpv6, buildUdp, buildVxlan, buildDns,
  buildIcmpEchoReply, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_UDP, IPPROTO_ICMP, VXLAN_PORT, DNS_TYPE_A, DNS_TYPE_AAAA,
  DNS_TYPE_CNAME, DNS_TYPE_PTR, DNS_CLASS_IN, ETHERTYPE_ARP,
} from '../../src/wire/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsnet-wire-'));
const GOLDEN = [...Object.values(V), ...Object.values(D)].filter((v): v is string => typeof v === 'string').map(fromHex);

function ourFrames(): Buffer[] {
  const arp = fromHex(V.vxlanArpRequest).subarray(50);
  const tagged = buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:42:00:00:00:0a', vlan: { pcp: 0, dei: 0, vid: 100 }, ethertype: ETHERTYPE_ARP, payload: arp.subarray(14) });
  const dns = buildDns({
    id: 0x1234, qr: true, aa: true, rd: true, ra: true,
    questions: [{ name: 'www.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN }],
    answers: [
      { name: 'www.tsnet.test', type: DNS_TYPE_CNAME, class: DNS_CLASS_IN, ttl: 60, data: 'db.tsnet.test' },
      { name: 'db.tsnet.test', type: DNS_TYPE_AAAA, class: DNS_CLASS_IN, ttl: 60, data: 'fd00::6' },
      { name: 'db.tsnet.test', type: DNS_TYPE_A, class: DNS_CLASS_IN, ttl: 60, data: '10.0.0.6' },
      { name: '6.0.0.10.in-addr.arpa', type: DNS_TYPE_PTR, class: DNS_CLASS_IN, ttl: 60, data: 'db.tsnet.test' },
    ],
  }, { compressRdata: true });
  const innerUdp = buildUdp({ srcPort: 53, dstPort: 40000, payload: dns, pseudo: { src: '10.42.0.2', dst: '10.42.0.1' } });
  const innerIp = buildIpv4({ protocol: IPPROTO_UDP, src: '10.42.0.2', dst: '10.42.0.1', payload: innerUdp });
  const inner = buildEthernet({ dst: '02:42:00:00:00:0a', src: '02:42:00:00:00:0b', ethertype: ETHERTYPE_IPV4, payload: innerIp });
  const vx = buildVxlan({ vni: 4242, payload: inner });
  const outerUdp = buildUdp({ srcPort: 50000, dstPort: VXLAN_PORT, payload: vx, pseudo: { src: '10.200.0.2', dst: '10.200.0.1' } });
  const outerIp = buildIpv4({ protocol: IPPROTO_UDP, src: '10.200.0.2', dst: '10.200.0.1', identification: 7, payload: outerUdp });
  const outer = buildEthernet({ dst: '02:00:00:0a:00:01', src: '02:00:00:0b:00:01', ethertype: ETHERTYPE_IPV4, payload: outerIp });
  const udp6 = buildUdp({ srcPort: 53, dstPort: 32908, payload: dns, pseudo: { src: 'fd53::2', dst: 'fd53::1' } });
  const ip6 = buildIpv6({ nextHeader: IPPROTO_UDP, src: 'fd53::2', dst: 'fd53::1', flowLabel: 0x12345, payload: udp6 });
  const v6 = buildEthernet({ dst: '02:00:00:0c:00:01', src: '02:00:00:0d:00:01', ethertype: ETHERTYPE_IPV6, payload: ip6 });
  const echoReq = fromHex(V.vxlanEchoRequest).subarray(64);
  const reply = buildIcmpEchoReply(echoReq);
  if (isMalformed(reply)) throw new Error(reply.reason);
  const icmp = buildEthernet({ dst: '02:42:00:00:00:0a', src: '02:42:00:00:00:0b', ethertype: ETHERTYPE_IPV4, payload: reply });
  return [tagged, outer, v6, icmp];
}

function tshark(file: string, ...args: string[]) {
  const r = trySh('tshark', ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...args], 60_000);
  assert.is(r.status, 0, `tshark failed: ${r.stderr}`);
  return r.stdout;
}

test('pcap written to an fs.WriteStream reads back and opens in tshark with the fields we wrote', async () => {
  const file = join(dir, 'wire.pcap');
  const stream = createWriteStream(file);
  const w = createPcapWriter(stream);
  const frames = [...GOLDEN, ...ourFrames()];
  for (const f of frames) w.write(f, 0, f.length);
  w.flush();
  stream.end();
  await once(stream, 'finish');

  const back = decodePcap(readFileSync(file));
  if (isMalformed(back)) throw new Error(back.reason);
  assert.is(back.records.length, frames.length);
  back.records.forEach((r, i) => assert.equal(r.data, frames[i]));

  assert.is(tshark(file, '-Y', '_ws.malformed || _ws.expert.severity >= error').trim(), '', 'no malformed packets');
  const rows = tshark(file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'vlan.id', '-e', 'vxlan.vni',
    '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'dns.cname', '-e', 'dns.ptr.domain_name',
    '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status', '-e', 'ipv6.flow')
    .trim().split('\n').map((l) => l.split('|'));
  assert.is(rows.length, frames.length);
  const n = GOLDEN.length;
  const [tagged, vx, v6, icmp] = rows.slice(n);
  assert.is(tagged[1], '100');
  assert.is(vx[2], '4242');
  assert.is(vx[3], 'www.tsnet.test');
  assert.is(vx[4], '10.0.0.6');
  assert.is(vx[5], 'fd00::6');
  assert.is(vx[6], 'db.tsnet.test');
  assert.is(vx[7], 'db.tsnet.test');
  assert.is(vx[8], '1,1', 'outer and inner IPv4 checksums good');
  assert.is(vx[9], '1,1', 'outer and inner UDP checksums good');
  assert.is(v6[9], '1', 'UDP over IPv6 checksum good');
  assert.is(Number(v6[11]), 0x12345);
  assert.is(icmp[8], '1');
  assert.is(icmp[10], '1');
  // And tshark agrees with the golden VNIs and finds no bad checksum (0 bad, 1 good, 3 not present).
  for (const row of rows.slice(0, 4)) assert.is(row[2], '42');
  for (const row of rows.slice(0, n)) for (const s of row[9].split(',').filter(Boolean)) assert.ok(s !== '0', `bad udp checksum per tshark in frame ${row[0]}`);
});

test('pcap written through an fd sink opens in tshark', () => {
  const file = join(dir, 'fd.pcap');
  const fd = openSync(file, 'w');
  try {
    const w = createPcapWriter({ write: (b) => writeSync(fd, b) }, { immediate: true });
    for (const f of GOLDEN) w.write(f, 0, f.length);
  } finally {
    closeSync(fd);
  }
  const count = tshark(file, '-T', 'fields', '-e', 'frame.number').trim().split('\n').length;
  assert.is(count, GOLDEN.length);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
