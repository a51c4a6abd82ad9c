// Builds the VXLAN packet a VTEP sends or receives, as it looks on the underlay wire: outer
// Ethernet, IPv4 (or IPv6), UDP, VXLAN header (RFC 7348 section 5), then the inner frame. Used by
// `tsnet capture --underlay` (src/observe/overlay-view.ts): the VTEP hands UDP payloads to the
// kernel, so the outer headers are synthesised from what the VTEP knows (addresses, ports, VNI).
// The outer MACs are made up and say so: locally administered 02:00 followed by the IPv4 address
// of each end (02:00:0a:00:00:01 for 10.0.0.1), since the next hop's MAC is not known to tsnet.
// The IPv4 UDP checksum is 0 (RFC 7348 section 5: it SHOULD be sent as zero), like Linux sends it.
import {
  encodeIpv6, encodeUdp, ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_UDP, IPV4_MIN_HEADER_LEN,
  IPV6_HEADER_LEN, parseIpv4, UDP_HEADER_LEN, VXLAN_HEADER_LEN, writeEthHeader, writeIpv4, writeIpv4Checksum,
  writeUdpHeader, writeVxlanHeader,
} from '../wire/index.js';

// ---- from the spec (RFC 791 section 3.1) ----
const IPV4_VERSION_IHL = 0x45;
const IPV4_TTL = 64;

// ---- our choice ----
/** Locally administered, unicast prefix of the made-up outer MACs. */
const SYNTH_MAC_PREFIX = 0x0200_0000_0000;

export interface UnderlayEnds {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

function synthMac(ip: string): number {
  if (ip.includes(':')) return SYNTH_MAC_PREFIX + 1;
  return SYNTH_MAC_PREFIX + parseIpv4(ip);
}

/** The full outer packet around inner[off, off+len). `ipId` is the IPv4 identification to use. */
export function synthesiseVxlanPacket(ends: UnderlayEnds, vni: number, inner: Buffer, off: number, len: number, ipId: number): Buffer {
  const v6 = ends.src.includes(':') || ends.dst.includes(':');
  const udpLen = UDP_HEADER_LEN + VXLAN_HEADER_LEN + len;
  const ipLen = v6 ? IPV6_HEADER_LEN + udpLen : IPV4_MIN_HEADER_LEN + udpLen;
  const out = Buffer.alloc(ETH_HEADER_LEN + ipLen);
  writeEthHeader(out, 0, synthMac(ends.dst), synthMac(ends.src), v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
  if (v6) {
    const udp = Buffer.alloc(udpLen);
    writeVxlanHeader(udp, UDP_HEADER_LEN, vni);
    inner.copy(udp, UDP_HEADER_LEN + VXLAN_HEADER_LEN, off, off + len);
    encodeUdp({ srcPort: ends.srcPort, dstPort: ends.dstPort, payload: udp.subarray(UDP_HEADER_LEN), pseudo: { src: ends.src, dst: ends.dst } }, udp, 0);
    encodeIpv6({ nextHeader: IPPROTO_UDP, src: ends.src, dst: ends.dst, payload: udp }, out, ETH_HEADER_LEN);
    return out;
  }
  const ip = ETH_HEADER_LEN;
  out[ip] = IPV4_VERSION_IHL;
  out.writeUInt16BE(ipLen, ip + 2);
  out.writeUInt16BE(ipId & 0xffff, ip + 4);
  out[ip + 8] = IPV4_TTL;
  out[ip + 9] = IPPROTO_UDP;
  writeIpv4(out, ip + 12, parseIpv4(ends.src));
  writeIpv4(out, ip + 16, parseIpv4(ends.dst));
  writeIpv4Checksum(out, ip);
  const udp = ip + IPV4_MIN_HEADER_LEN;
  writeUdpHeader(out, udp, ends.srcPort, ends.dstPort, udpLen);
  writeVxlanHeader(out, udp + UDP_HEADER_LEN, vni);
  inner.copy(out, udp + UDP_HEADER_LEN + VXLAN_HEADER_LEN, off, off + len);
  return out;
}
