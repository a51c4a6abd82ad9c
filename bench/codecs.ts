// Microbenchmark of the src/wire codecs (benny): hot-path accessors and in-place VXLAN encapsulation as
// the switch and the VTEP use them per frame, and the allocating decodeX/encodeX used by the control
// plane. Inputs are the golden vectors captured from real traffic. Prints ns/op per case and saves
// benny's JSON to bench/results/codecs.json. Run: npx tsc -p tsconfig.json && node dist/bench/codecs.js
import b from 'benny';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../test/fixtures/index.js';
import * as V from '../test/fixtures/vxlan-capture.js';
import * as D from '../test/fixtures/dns-capture.js';
import {
  isMalformed, ethDstMac, ethSrcMac, ethType, writeEthHeader, decodeEthernet, encodeEthernet, arpIsEthIpv4, arpOp,
  arpSenderIp, arpTargetIp, arpSenderMac, writeArp, decodeArp, decodeIpv4, encodeIpv4, ipv4ChecksumOk,
  writeIpv4Checksum, decodeUdp, encodeUdp, udpChecksumOkInIp, writeVxlanHeader, vxlanValid, vxlanVni, decodeDns,
  encodeDns, ETHERTYPE_ARP, type EthernetFrame, type Ipv4Packet, type UdpDatagram, type DnsMessage,
} from '../src/wire/index.js';

// Our choice: short runs keep the whole suite under a minute on 2 cores; margins are printed.
const CASE_OPTIONS = { maxTime: 1, minSamples: 10 };

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arpFrame = fromHex(V.vxlanArpRequest).subarray(50); // inner ARP request, 42 bytes
const outer = fromHex(V.vxlanEchoRequest); // Ethernet/IPv4/UDP/VXLAN/Ethernet/IPv4/ICMP, 148 bytes
const ipv4 = outer.subarray(14);
const udp = outer.subarray(34);
const dnsPayload = fromHex(D.dnsResponseCnameAaaa).subarray(42);
const scratch = Buffer.alloc(2048);
const HEADROOM = 96;
const encapBuf = Buffer.alloc(HEADROOM + 1514);
const innerFrame = outer.subarray(50);
innerFrame.copy(encapBuf, HEADROOM);

function must<T>(x: T | { malformed: true; reason: string }): T {
  if (isMalformed(x)) throw new Error(x.reason);
  return x as T;
}
const ethObj = must<EthernetFrame>(decodeEthernet(outer, 0, outer.length));
const ipObj = must<Ipv4Packet>(decodeIpv4(ipv4, 0, ipv4.length));
const udpObj = must<UdpDatagram>(decodeUdp(udp, 0, udp.length));
const dnsObj = must<DnsMessage>(decodeDns(dnsPayload, 0, dnsPayload.length));
const pseudo = { src: ipObj.src, dst: ipObj.dst };

let sink = 0; // consumed by every case so nothing is optimised away

await b.suite(
  'wire codecs',
  b.add('ethernet accessors (dst, src, type)', () => { sink += ethDstMac(outer, 0) + ethSrcMac(outer, 0) + ethType(outer, 0, outer.length); }, CASE_OPTIONS),
  b.add('ethernet writeEthHeader', () => { sink += writeEthHeader(scratch, 0, 0x0242ac110002, 0x0242ac110003, 0x0800); }, CASE_OPTIONS),
  b.add('ethernet decodeEthernet', () => { sink += (decodeEthernet(outer, 0, outer.length) as EthernetFrame).ethertype; }, CASE_OPTIONS),
  b.add('ethernet encodeEthernet', () => { sink += encodeEthernet(ethObj, scratch, 0); }, CASE_OPTIONS),
  b.add('arp accessors (check, op, sha, spa, tpa)', () => {
    if (ethType(arpFrame, 0, 42) === ETHERTYPE_ARP && arpIsEthIpv4(arpFrame, 14, 28)) sink += arpOp(arpFrame, 14) + arpSenderMac(arpFrame, 14) + arpSenderIp(arpFrame, 14) + arpTargetIp(arpFrame, 14);
  }, CASE_OPTIONS),
  b.add('arp writeArp', () => { sink += writeArp(scratch, 0, 2, 0x0242ac110002, 0x0a000001, 0x0242ac110003, 0x0a000002); }, CASE_OPTIONS),
  b.add('arp decodeArp', () => { sink += (decodeArp(arpFrame, 14, 28) as { op: number }).op; }, CASE_OPTIONS),
  b.add('ipv4 checksum verify (hot path)', () => { sink += ipv4ChecksumOk(ipv4, 0) ? 1 : 0; }, CASE_OPTIONS),
  b.add('ipv4 writeIpv4Checksum (in place)', () => { writeIpv4Checksum(ipv4, 0); sink += ipv4[10]; }, CASE_OPTIONS),
  b.add('ipv4 decodeIpv4', () => { sink += (decodeIpv4(ipv4, 0, ipv4.length) as Ipv4Packet).ttl; }, CASE_OPTIONS),
  b.add('ipv4 encodeIpv4', () => { sink += encodeIpv4(ipObj, scratch, 0); }, CASE_OPTIONS),
  b.add('udp decodeUdp', () => { sink += (decodeUdp(udp, 0, udp.length) as UdpDatagram).dstPort; }, CASE_OPTIONS),
  b.add('udp checksum verify (IPv4, 114 bytes)', () => { sink += udpChecksumOkInIp(ipv4, 0, ipv4.length) ? 1 : 0; }, CASE_OPTIONS),
  b.add('udp encodeUdp with checksum', () => { sink += encodeUdp({ srcPort: udpObj.srcPort, dstPort: udpObj.dstPort, payload: udpObj.payload, pseudo }, scratch, 0); }, CASE_OPTIONS),
  b.add('vxlan encap: writeVxlanHeader in place', () => { sink += writeVxlanHeader(encapBuf, HEADROOM - 8, 42); }, CASE_OPTIONS),
  b.add('vxlan decap: vxlanValid + vxlanVni', () => { if (vxlanValid(outer, 42, outer.length - 42)) sink += vxlanVni(outer, 42); }, CASE_OPTIONS),
  b.add('dns decodeDns (CNAME + AAAA answer)', () => { sink += (decodeDns(dnsPayload, 0, dnsPayload.length) as DnsMessage).answers.length; }, CASE_OPTIONS),
  b.add('dns encodeDns (CNAME + AAAA answer)', () => { sink += encodeDns(dnsObj, scratch, 0); }, CASE_OPTIONS),
  b.cycle(() => undefined),
  b.complete((summary) => {
    const rows = summary.results.map((r) => ({ case: r.name, 'ns/op': Number((1e9 / r.ops).toFixed(1)), 'ops/s': Math.round(r.ops), '±%': Number(r.margin.toFixed(2)) }));
    console.table(rows);
    if (sink === -1) console.log('unreachable');
  }),
  b.save({ file: 'codecs', folder: join(root, 'bench', 'results'), format: 'json', details: false }),
);
