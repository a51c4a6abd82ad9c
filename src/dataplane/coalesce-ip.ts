// The IP layer of receive-side coalescing (userspace GRO), shared by the TCP and UDP coalescers
// (tcp-coalescer.ts, udp-coalescer.ts): which packets may be merged at all, whether two packets
// belong to one flow as far as IP goes, and the lengths a super-frame gets. The rules are Linux's
// inet_gro_receive() / ipv6_gro_receive() (net/ipv4/af_inet.c, net/ipv6/ip6_offload.c), restricted
// to plain packets: Ethernet without a VLAN tag, IPv4 with IHL 5, no fragment bits and a valid
// header checksum, or IPv6 with the transport right behind the fixed header (no extension
// headers), and the frame exactly as long as the IP packet says (no padding). Hot path: nothing
// allocated, never throws.
import {
  ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_TYPE_OFF,
  IPV4_MIN_HEADER_LEN, IPV4_TOS_OFF, IPV4_TOTAL_LEN_OFF, IPV4_FLAGS_FRAG_OFF, IPV4_TTL_OFF, IPV4_PROTO_OFF,
  IPV4_SRC_OFF, ipv4ChecksumOk, ipv4IsFragment, writeIpv4Checksum,
  IPV6_HEADER_LEN, IPV6_PAYLOAD_LEN_OFF, IPV6_NEXT_HEADER_OFF, IPV6_SRC_OFF, IPV6_DST_OFF, pseudoHeaderSumIpv6,
} from '../wire/index.js';
import { inetSum } from '../wire/inet-checksum.js';
import { VIRTIO_NET_HDR_LEN } from '../wire/virtio-net-hdr.js';

// ---- from the spec (RFC 791 section 3.1; RFC 8200 section 3) ----
/** Largest IP packet (IPv4 total length; for IPv6 we keep header + payload to the same bound). */
export const IP_MAX_PACKET = 65535;
const IPV4_VER_IHL_5 = 0x45;

// ---- our choice ----
/** The virtio-net header of a super-frame lives at the start of a coalescer's buffer... */
export const VNET_HDR_OFF = 0;
/** ...and the frame from here (16: the header rounded up), plus 0-3 bytes so that the first payload
 *  has its source's address alignment modulo 4 (inetCopySum then moves 32-bit words, bench/segmenter.ts). */
const FRAME_BASE = VNET_HDR_OFF + VIRTIO_NET_HDR_LEN + 6;
/** A coalescer's buffer: header area, alignment slack, Ethernet header and the largest IP packet, rounded up. */
export const COALESCE_BUFFER_BYTES = (FRAME_BASE + 3 + ETH_HEADER_LEN + IP_MAX_PACKET + 63) & ~63;

/** Where a coalescer writes: the TAP port (counters, device writes). */
export interface CoalescedOutput {
  /** One frame as it is: a packet that was not merged, anything not mergeable, or a super-frame of
   *  one packet (then possibly in the coalescer's buffer). */
  writeFrame(buf: Buffer, off: number, len: number): void;
  /** A super-frame of `segments` >= 2 packets, buf[off, off+len), behind the virtio-net header at
   *  hdr[hdrOff, hdrOff+10); `segmentBytes` is what the packets measured together. */
  writeSuperFrame(hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number, segments: number, segmentBytes: number): void;
}

/** The transport header offset (absolute, in buf) of a frame carrying `proto` that the IP layer
 *  lets merge (see the header), with at least `minL4` bytes from there; else -1. */
export function mergeableIpPayload(buf: Buffer, off: number, len: number, proto: number, minL4: number): number {
  if (len < ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN + minL4) return -1;
  const type = (buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1];
  const l3 = off + ETH_HEADER_LEN;
  if (type === ETHERTYPE_IPV4) {
    if (buf[l3] !== IPV4_VER_IHL_5 || buf[l3 + IPV4_PROTO_OFF] !== proto) return -1;
    if (ETH_HEADER_LEN + ((buf[l3 + IPV4_TOTAL_LEN_OFF] << 8) | buf[l3 + IPV4_TOTAL_LEN_OFF + 1]) !== len) return -1;
    if (ipv4IsFragment(buf, l3)) return -1;
    if (!ipv4ChecksumOk(buf, l3)) return -1;
    return l3 + IPV4_MIN_HEADER_LEN;
  }
  if (type === ETHERTYPE_IPV6) {
    if (len < ETH_HEADER_LEN + IPV6_HEADER_LEN + minL4) return -1;
    if ((buf[l3] >>> 4) !== 6 || buf[l3 + IPV6_NEXT_HEADER_OFF] !== proto) return -1;
    if (ETH_HEADER_LEN + IPV6_HEADER_LEN + ((buf[l3 + IPV6_PAYLOAD_LEN_OFF] << 8) | buf[l3 + IPV6_PAYLOAD_LEN_OFF + 1]) !== len) return -1;
    return l3 + IPV6_HEADER_LEN;
  }
  return -1;
}

/** True if the frame at buf[off] has the pending frame's Ethernet header and, as far as IP goes,
 *  belongs to its flow: IPv4 (both checked by mergeableIpPayload) same TOS, TTL, DF and addresses;
 *  IPv6 same version, traffic class, flow label, next header, hop limit and addresses. The IPv4
 *  id is the caller's (TCP checks it, UDP does not). */
export function sameIpFlow(buf: Buffer, off: number, pending: Buffer, p: number, ipLen: number): boolean {
  for (let i = 0; i < ETH_HEADER_LEN; i++) if (buf[off + i] !== pending[p + i]) return false;
  const l3 = off + ETH_HEADER_LEN;
  const q = p + ETH_HEADER_LEN;
  if (ipLen === IPV4_MIN_HEADER_LEN) {
    if (buf[l3 + IPV4_TOS_OFF] !== pending[q + IPV4_TOS_OFF] || buf[l3 + IPV4_TTL_OFF] !== pending[q + IPV4_TTL_OFF] ||
      buf[l3 + IPV4_FLAGS_FRAG_OFF] !== pending[q + IPV4_FLAGS_FRAG_OFF]) return false;
    for (let i = IPV4_SRC_OFF; i < IPV4_MIN_HEADER_LEN; i++) if (buf[l3 + i] !== pending[q + i]) return false;
    return true;
  }
  for (let i = 0; i < 4; i++) if (buf[l3 + i] !== pending[q + i]) return false;
  for (let i = IPV6_NEXT_HEADER_OFF; i < IPV6_HEADER_LEN; i++) if (buf[l3 + i] !== pending[q + i]) return false;
  return true;
}

/** The pseudo-header sum without its length (RFC 9293 section 3.1, RFC 768, RFC 8200 section 8.1),
 *  unfolded; IPv4 addresses summed as bytes (adjacent): as numbers above 2^30 they would be boxed. */
export function pseudoSumWithoutLength(buf: Buffer, l3: number, ipLen: number, proto: number): number {
  return ipLen === IPV4_MIN_HEADER_LEN
    ? inetSum(buf, l3 + IPV4_SRC_OFF, 8, proto)
    : pseudoHeaderSumIpv6(buf, l3 + IPV6_SRC_OFF, l3 + IPV6_DST_OFF, proto, 0);
}

/** Where in a coalescer's buffer `dst` a first packet with `hdrs` header bytes goes so that its
 *  payload keeps its address alignment modulo 4 from src[srcOff + hdrs]. */
export function alignedFrameStart(src: Buffer, srcOff: number, hdrs: number, dst: Buffer): number {
  return FRAME_BASE + ((src.byteOffset + srcOff + hdrs - (dst.byteOffset + FRAME_BASE + hdrs)) & 3);
}

/** Sets a super-frame's IP length (IPv4 total length and header checksum, or IPv6 payload length)
 *  for a frame from `ip` (its IP header) to `end`; returns the transport length. */
export function setSuperFrameIpLength(b: Buffer, ip: number, ipLen: number, end: number): number {
  const l4Len = end - ip - ipLen;
  if (ipLen === IPV4_MIN_HEADER_LEN) {
    const total = end - ip;
    b[ip + IPV4_TOTAL_LEN_OFF] = total >>> 8;
    b[ip + IPV4_TOTAL_LEN_OFF + 1] = total & 0xff;
    writeIpv4Checksum(b, ip);
  } else {
    b[ip + IPV6_PAYLOAD_LEN_OFF] = l4Len >>> 8;
    b[ip + IPV6_PAYLOAD_LEN_OFF + 1] = l4Len & 0xff;
  }
  return l4Len;
}
