// Flow hash of an inner Ethernet frame, used by the VTEP to choose the outer UDP source port so that
// every inner flow keeps one outer 5-tuple (no reordering) while different flows spread over ECMP
// paths (RFC 7348 section 5, "Source Port"). Like Linux's udp_flow_src_port(): the inner L3/L4 flow
// (IPv4/IPv6 addresses, protocol, TCP/UDP/SCTP ports of unfragmented packets) when present, else the
// inner Ethernet source and destination. Used by vxlan-port.ts on every encapsulated frame.
// Hot path: no allocation, never throws, reads only inside (buf, off, len).
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_DST_OFF, ETH_SRC_OFF, ethHeaderLen, ethType,
  IPV4_DST_OFF, IPV4_MIN_HEADER_LEN, IPV4_PROTO_OFF, IPV4_SRC_OFF, IPPROTO_TCP, IPPROTO_UDP,
  IPV6_HEADER_LEN, IPV6_NEXT_HEADER_OFF, IPV6_SRC_OFF, ipv4IsFragment,
} from '../wire/index.js';

// ---- from the spec ----
/** SCTP (RFC 9260) and UDP-Lite (RFC 3828) carry ports at the same place as TCP and UDP. */
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;
/** Fragment offset (13 bits) and MF flag of the IPv4 flags/fragment field (RFC 791 section 3.1). */

// ---- our choice ----
const SEED = 0x9e3779b9;

function mix(h: number, v: number): number {
  // one round of murmur3's body: cheap, small-integer arithmetic only
  v = Math.imul(v, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  v = Math.imul(v, 0x1b873593);
  h ^= v;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function word(buf: Uint8Array, o: number): number {
  return (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
}

function hasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_UDPLITE;
}

/** A 32-bit unsigned hash of the inner flow of the frame at (buf, off, len). The two directions of a
 *  flow hash differently (as in Linux). */
export function innerFlowHash(buf: Uint8Array, off: number, len: number): number {
  let h = SEED;
  const hl = ethHeaderLen(buf, off, len);
  if (hl < 0) return finish(h ^ len);
  const type = ethType(buf, off, len);
  const l3 = off + hl;
  const l3len = len - hl;
  if (type === ETHERTYPE_IPV4 && l3len >= IPV4_MIN_HEADER_LEN && (buf[l3] >>> 4) === 4) {
    const proto = buf[l3 + IPV4_PROTO_OFF];
    h = mix(h, word(buf, l3 + IPV4_SRC_OFF));
    h = mix(h, word(buf, l3 + IPV4_DST_OFF));
    h = mix(h, proto);
    const ihl = (buf[l3] & 0x0f) << 2;
    if (!ipv4IsFragment(buf, l3) && hasPorts(proto) && ihl >= IPV4_MIN_HEADER_LEN && l3len >= ihl + 4) h = mix(h, word(buf, l3 + ihl));
    return finish(h);
  }
  if (type === ETHERTYPE_IPV6 && l3len >= IPV6_HEADER_LEN && (buf[l3] >>> 4) === 6) {
    const next = buf[l3 + IPV6_NEXT_HEADER_OFF];
    for (let i = 0; i < 32; i += 4) h = mix(h, word(buf, l3 + IPV6_SRC_OFF + i)); // source then destination
    h = mix(h, next);
    h = mix(h, word(buf, l3) & 0x000fffff); // flow label
    if (hasPorts(next) && l3len >= IPV6_HEADER_LEN + 4) h = mix(h, word(buf, l3 + IPV6_HEADER_LEN));
    return finish(h);
  }
  // no IP flow: inner Ethernet destination and source (Linux hashes the first 2 * ETH_ALEN bytes)
  h = mix(h, word(buf, off + ETH_DST_OFF));
  h = mix(h, ((buf[off + ETH_DST_OFF + 4] << 24) | (buf[off + ETH_DST_OFF + 5] << 16) | (buf[off + ETH_SRC_OFF] << 8) | buf[off + ETH_SRC_OFF + 1]));
  h = mix(h, word(buf, off + ETH_SRC_OFF + 2));
  return finish(h);
}

/** Maps a flow hash onto one of `n` slots: the VTEP's pool of send sockets, each bound to a port the
 *  kernel picked from its ephemeral range (32768-60999 by default, the range Linux VXLAN uses). */
export function flowSlot(hash: number, n: number): number {
  return n <= 1 ? 0 : (((hash ^ (hash >>> 16)) >>> 0) % n);
}
