// TCP MSS clamping for frames crossing the overlay. A VXLAN tunnel costs 50 bytes of the underlay MTU;
// a container whose MTU is larger than what the path carries would send segments that are dropped
// (bridged kernel VXLAN peers cannot send ICMP "fragmentation needed" back) and TCP would black-hole.
// Lowering the MSS option of SYN and SYN-ACK segments to (inner MTU - IP - TCP headers) makes both
// ends send segments that fit, as iptables' TCPMSS --clamp-mss-to-pmtu and tinc's ClampMSS do.
// Used by vxlan-port.ts on encapsulation and decapsulation. Hot path: in place, no allocation; the
// TCP checksum is updated incrementally (RFC 1624 eqn. 3), never recomputed.
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethHeaderLen, ethType,
  IPV4_MIN_HEADER_LEN, IPV4_PROTO_OFF, IPPROTO_TCP,
  IPV6_HEADER_LEN, IPV6_NEXT_HEADER_OFF, ipv4IsFragment,
} from '../wire/index.js';
import { TCP_MIN_HEADER_LEN, TCP_DATA_OFF_OFF, TCP_FLAGS_OFF, TCP_CHECKSUM_OFF, TCP_FLAG_SYN, TCP_OPT_END, TCP_OPT_NOP, TCP_OPT_MSS, TCP_OPT_MSS_LEN } from '../wire/tcp.js';

// ---- from the spec (RFC 9293 section 3.1 header format, 3.2 options; RFC 791; RFC 8200) ----
/** MSS = MTU - IP header - TCP header, without options (RFC 9293 section 3.7.1; RFC 8200 for IPv6). */
export const MSS_OVERHEAD_IPV4 = IPV4_MIN_HEADER_LEN + TCP_MIN_HEADER_LEN;
export const MSS_OVERHEAD_IPV6 = IPV6_HEADER_LEN + TCP_MIN_HEADER_LEN;

/** Result of clampMss: what happened to the frame. */
export const MSS_UNTOUCHED = 0;
export const MSS_CLAMPED = 1;

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field that changed from m to m2. */
export function checksumAdjust(hc: number, m: number, m2: number): number {
  return ~fold((~hc & 0xffff) + (~m & 0xffff) + m2) & 0xffff;
}

const swap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);

/**
 * If the frame at (buf, off, len) is an IPv4 or IPv6 TCP segment with SYN set whose MSS option is
 * above `mtu` minus the IP and TCP headers, lowers it in place and fixes the TCP checksum.
 * Returns MSS_CLAMPED or MSS_UNTOUCHED. Never throws; malformed frames are left alone.
 */
export function clampMss(buf: Uint8Array, off: number, len: number, mtu: number): number {
  const hl = ethHeaderLen(buf, off, len);
  if (hl < 0) return MSS_UNTOUCHED;
  const type = ethType(buf, off, len);
  const l3 = off + hl;
  const end = off + len;
  let tcp: number;
  let maxMss: number;
  if (type === ETHERTYPE_IPV4) {
    if (end - l3 < IPV4_MIN_HEADER_LEN || (buf[l3] >>> 4) !== 4 || buf[l3 + IPV4_PROTO_OFF] !== IPPROTO_TCP) return MSS_UNTOUCHED;
    if (ipv4IsFragment(buf, l3)) return MSS_UNTOUCHED;
    tcp = l3 + ((buf[l3] & 0x0f) << 2);
    maxMss = mtu - MSS_OVERHEAD_IPV4;
  } else if (type === ETHERTYPE_IPV6) {
    // only TCP directly after the fixed header: a SYN behind extension headers is left alone
    if (end - l3 < IPV6_HEADER_LEN || (buf[l3] >>> 4) !== 6 || buf[l3 + IPV6_NEXT_HEADER_OFF] !== IPPROTO_TCP) return MSS_UNTOUCHED;
    tcp = l3 + IPV6_HEADER_LEN;
    maxMss = mtu - MSS_OVERHEAD_IPV6;
  } else {
    return MSS_UNTOUCHED;
  }
  if (end - tcp < TCP_MIN_HEADER_LEN || (buf[tcp + TCP_FLAGS_OFF] & TCP_FLAG_SYN) === 0 || maxMss <= 0) return MSS_UNTOUCHED;
  const thl = (buf[tcp + TCP_DATA_OFF_OFF] >>> 4) << 2;
  if (thl < TCP_MIN_HEADER_LEN || tcp + thl > end) return MSS_UNTOUCHED;
  const optEnd = tcp + thl;
  let o = tcp + TCP_MIN_HEADER_LEN;
  while (o < optEnd) {
    const kind = buf[o];
    if (kind === TCP_OPT_END) return MSS_UNTOUCHED;
    if (kind === TCP_OPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= optEnd) return MSS_UNTOUCHED;
    const olen = buf[o + 1];
    if (olen < 2 || o + olen > optEnd) return MSS_UNTOUCHED;
    if (kind === TCP_OPT_MSS && olen === TCP_OPT_MSS_LEN) {
      const v = o + 2;
      const mss = (buf[v] << 8) | buf[v + 1];
      if (mss <= maxMss) return MSS_UNTOUCHED;
      // the field sits at an odd offset of the segment when options before it are odd-sized: its
      // bytes then fall into two checksum words, which is the same as adding the byte-swapped value
      const odd = ((v - tcp) & 1) === 1;
      const hc = (buf[tcp + TCP_CHECKSUM_OFF] << 8) | buf[tcp + TCP_CHECKSUM_OFF + 1];
      const c = odd ? checksumAdjust(hc, swap16(mss), swap16(maxMss)) : checksumAdjust(hc, mss, maxMss);
      buf[v] = maxMss >>> 8;
      buf[v + 1] = maxMss & 0xff;
      buf[tcp + TCP_CHECKSUM_OFF] = c >>> 8;
      buf[tcp + TCP_CHECKSUM_OFF + 1] = c & 0xff;
      return MSS_CLAMPED;
    }
    o += olen;
  }
  return MSS_UNTOUCHED;
}
