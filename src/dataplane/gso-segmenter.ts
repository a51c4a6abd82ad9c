// Software GSO for frames read from a TAP opened with IFF_VNET_HDR and TSO/USO/checksum offloads: a TCP
// super-frame (virtio gso_type TCPV4/TCPV6, up to 64 KB) is cut into plain, fully checksummed
// Ethernet+IP+TCP frames of at most gso_size payload bytes, a UDP super-frame (gso_type UDP_L4, from
// a socket using UDP_SEGMENT) into datagrams of gso_size payload bytes (the last one may be shorter),
// and a NEEDS_CSUM frame gets its L4 checksum computed. Frames must be plain before they enter a
// VXLAN tunnel (complete checksums, <= MTU). Used by the switch (cuts for ports that take plain frames)
// and the TAP port (completeChecksum);
// the segments land in slots of one buffer allocated at construction, each with `headroom` free
// bytes before it for in-place encapsulation (port.ts HEADROOM).
//
// What a segment looks like follows Linux's tcp_gso_segment() / inet_gso_segment() / ipv6_gso_segment():
// headers copied (Ethernet with at most one 802.1Q tag, IP, TCP with its options), IPv4 total length,
// id + i and header checksum per segment (no TSO "fixed id" mode), IPv6 payload length, TCP sequence +
// bytes sent before, FIN and PSH only on the last segment, CWR only on the first, and the TCP checksum
// computed in full (pseudo-header + header + payload; the super-frame's field holds only a partial sum).
// hdr_len and csum_start from the virtio header are not trusted: the headers are parsed and every length
// is checked against the buffer. UDP follows __udp_gso_segment(): the IP header as for TCP, each
// datagram's UDP length set and its checksum computed in full (0 sent as 0xffff). Hot path: no
// allocation per call, never throws on a bad frame.
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethHeaderLen, ethType,
  IPV4_MIN_HEADER_LEN, IPV4_TOTAL_LEN_OFF, IPV4_ID_OFF, IPV4_PROTO_OFF, IPV4_SRC_OFF,
  IPPROTO_TCP, IPPROTO_UDP, writeIpv4Checksum, pseudoHeaderSumIpv6,
  IPV6_HEADER_LEN, IPV6_PAYLOAD_LEN_OFF, IPV6_NEXT_HEADER_OFF, IPV6_SRC_OFF, IPV6_DST_OFF, ipv4IsFragment,
} from '../wire/index.js';
import { inetSum, inetFold, inetCopySum } from '../wire/inet-checksum.js';
import {
  VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_GSO_ECN,
  vnetFlags, vnetGsoType, vnetGsoSize, vnetCsumStart, vnetCsumOffset,
} from '../wire/virtio-net-hdr.js';
import { internal } from '../errors.js';
import { TCP_SEQ_OFF, TCP_DATA_OFF_OFF, TCP_FLAGS_OFF, TCP_CHECKSUM_OFF, TCP_MIN_HEADER_LEN, TCP_MAX_HEADER_LEN, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAG_CWR } from '../wire/tcp.js';

// ---- from the spec (RFC 9293 section 3.1; RFC 791 section 3.1; RFC 3168 section 6.1 for CWR) ----
const IPV4_MAX_HEADER_LEN = 60;
const UDP_HEADER_LEN = 8;
const UDP_LEN_OFF = 4;
const UDP_CHECKSUM_OFF = 6;
/** Longest header run a segment carries: Ethernet + 802.1Q tag + IPv4 with options + TCP with options. */
export const SEGMENT_MAX_HEADERS = 14 + 4 + IPV4_MAX_HEADER_LEN + TCP_MAX_HEADER_LEN;

// ---- our choice ----
/** A segment starts 0-3 bytes after its slot's headroom, so that its payload has the same address
 *  alignment modulo 4 as the source and is copied 32 bits at a time (inetCopySum). */
export const ALIGN_SLACK = 3;

// ---- results of segment(): a count >= 1, or one of these ----
/** Truncated or inconsistent headers, a bad view, gso_size 0, gso_type not matching the EtherType. */
export const SEGMENT_BAD_HEADERS = -1;
/** More segments than the segmenter has slots. */
export const SEGMENT_TOO_MANY = -2;
/** Valid but not handled: GSO UDP (UFO) or an unknown gso_type, IPv6 extension headers, non-IP. */
export const SEGMENT_UNSUPPORTED = -3;
/** One segment (or the plain frame) does not fit a slot. */
export const SEGMENT_TOO_BIG = -4;

/** True if (off, len) are integers describing a range inside buf. */
function isView(buf: Uint8Array, off: number, len: number): boolean {
  return (off | 0) === off && (len | 0) === len && off >= 0 && len >= 0 && off + len <= buf.length;
}

/**
 * Completes a NEEDS_CSUM frame in place, as Linux's skb_checksum_help(): the 16-bit field at
 * csumStart + csumOffset (relative to the frame start) holds the pseudo-header sum; the checksum over
 * [csumStart, len) including that field is folded, complemented and stored (0 is stored as 0xffff, the
 * same value in one's complement, which UDP requires). Returns false if the field is out of bounds.
 */
export function completeChecksum(buf: Uint8Array, off: number, len: number, csumStart: number, csumOffset: number): boolean {
  if (!isView(buf, off, len) || (csumStart | 0) !== csumStart || (csumOffset | 0) !== csumOffset || csumStart < 0 || csumOffset < 0) return false;
  const field = csumStart + csumOffset;
  if (field + 2 > len) return false;
  const c = ~inetFold(inetSum(buf, off + csumStart, len - csumStart)) & 0xffff || 0xffff;
  buf[off + field] = c >>> 8;
  buf[off + field + 1] = c & 0xff;
  return true;
}

export class GsoSegmenter {
  /** The output slots: segment i is buffer[offsets[i], offsets[i] + lengths[i]). */
  readonly buffer: Buffer;
  /** Start of segment i, set by each call: slot i * segmentRoom + headroom + 0..ALIGN_SLACK; at least
   *  `headroom` bytes before it are free for encapsulation. */
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  readonly maxSegments: number;
  /** Bytes per slot, headroom included. */
  readonly segmentRoom: number;
  readonly headroom: number;

  /** maxSegments: slots (64 KB / MSS 1448 needs 46; the kernel caps GSO at 64 segments by default).
   *  segmentRoom: bytes per slot including headroom, > headroom + ALIGN_SLACK + SEGMENT_MAX_HEADERS + largest gso_size. */
  constructor(maxSegments: number, segmentRoom: number, headroom: number) {
    if (!Number.isInteger(maxSegments) || maxSegments < 1 || !Number.isInteger(headroom) || headroom < 0 ||
      !Number.isInteger(segmentRoom) || segmentRoom <= headroom + ALIGN_SLACK + SEGMENT_MAX_HEADERS) {
      throw internal('ESEGMENTER_ARGS', `GsoSegmenter needs maxSegments >= 1 and segmentRoom > headroom + ${ALIGN_SLACK + SEGMENT_MAX_HEADERS}, got ${maxSegments}, ${segmentRoom}, ${headroom}.`);
    }
    this.maxSegments = maxSegments;
    this.segmentRoom = segmentRoom;
    this.headroom = headroom;
    this.buffer = Buffer.alloc(maxSegments * segmentRoom);
    this.offsets = new Int32Array(maxSegments);
    this.lengths = new Int32Array(maxSegments);
    for (let i = 0; i < maxSegments; i++) this.offsets[i] = i * segmentRoom + headroom;
  }

  /**
   * Cuts the frame buf[off, off+len), described by the virtio-net header at buf[hdrOff, hdrOff+10),
   * into plain frames in the slots and returns how many (>= 1), or a negative SEGMENT_* status.
   * A frame without GSO is copied to slot 0 (its checksum completed if NEEDS_CSUM); callers on a fast
   * path handle those in place with completeChecksum() instead. Never throws.
   */
  segment(buf: Buffer, off: number, len: number, hdrOff: number): number {
    if (!isView(buf, off, len) || !isView(buf, hdrOff, VIRTIO_NET_HDR_LEN)) return SEGMENT_BAD_HEADERS;
    const gsoType = vnetGsoType(buf, hdrOff) & ~VIRTIO_NET_HDR_GSO_ECN;
    if (gsoType === VIRTIO_NET_HDR_GSO_NONE) return this.copyPlain(buf, off, len, hdrOff);
    const udp = gsoType === VIRTIO_NET_HDR_GSO_UDP_L4;
    if (gsoType !== VIRTIO_NET_HDR_GSO_TCPV4 && gsoType !== VIRTIO_NET_HDR_GSO_TCPV6 && !udp) return SEGMENT_UNSUPPORTED;
    const mss = vnetGsoSize(buf, hdrOff);
    if (mss === 0) return SEGMENT_BAD_HEADERS;

    // ---- parse and check: Ethernet, IP, TCP or UDP ----
    const ethLen = ethHeaderLen(buf, off, len);
    if (ethLen < 0) return SEGMENT_BAD_HEADERS;
    const etherType = ethType(buf, off, len);
    const l3 = off + ethLen;
    const frameEnd = off + len;
    let ipHdrLen: number;
    let ipEnd: number;
    if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return SEGMENT_UNSUPPORTED;
    // TCP says the IP version in gso_type; UDP_L4 is one type for both
    const v4 = udp ? etherType === ETHERTYPE_IPV4 : gsoType === VIRTIO_NET_HDR_GSO_TCPV4;
    const proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
    if (v4) {
      if (etherType !== ETHERTYPE_IPV4 || frameEnd - l3 < IPV4_MIN_HEADER_LEN || (buf[l3] >>> 4) !== 4) return SEGMENT_BAD_HEADERS;
      ipHdrLen = (buf[l3] & 0x0f) << 2;
      const total = (buf[l3 + IPV4_TOTAL_LEN_OFF] << 8) | buf[l3 + IPV4_TOTAL_LEN_OFF + 1];
      if (ipHdrLen < IPV4_MIN_HEADER_LEN || total < ipHdrLen || l3 + total > frameEnd) return SEGMENT_BAD_HEADERS;
      if (buf[l3 + IPV4_PROTO_OFF] !== proto) return SEGMENT_BAD_HEADERS;
      if (ipv4IsFragment(buf, l3)) return SEGMENT_BAD_HEADERS;
      ipEnd = l3 + total;
    } else {
      if (etherType !== ETHERTYPE_IPV6 || frameEnd - l3 < IPV6_HEADER_LEN || (buf[l3] >>> 4) !== 6) return SEGMENT_BAD_HEADERS;
      // only TCP or UDP right after the fixed header (no extension headers)
      if (buf[l3 + IPV6_NEXT_HEADER_OFF] !== proto) return SEGMENT_UNSUPPORTED;
      ipHdrLen = IPV6_HEADER_LEN;
      ipEnd = l3 + IPV6_HEADER_LEN + ((buf[l3 + IPV6_PAYLOAD_LEN_OFF] << 8) | buf[l3 + IPV6_PAYLOAD_LEN_OFF + 1]);
      if (ipEnd > frameEnd) return SEGMENT_BAD_HEADERS;
    }
    const l4 = l3 + ipHdrLen; // the L4 header, TCP or UDP
    let l4HdrLen: number;
    if (udp) {
      if (ipEnd - l4 < UDP_HEADER_LEN) return SEGMENT_BAD_HEADERS;
      l4HdrLen = UDP_HEADER_LEN;
    } else {
      if (ipEnd - l4 < TCP_MIN_HEADER_LEN) return SEGMENT_BAD_HEADERS;
      l4HdrLen = (buf[l4 + TCP_DATA_OFF_OFF] >>> 4) << 2;
      if (l4HdrLen < TCP_MIN_HEADER_LEN || l4 + l4HdrLen > ipEnd) return SEGMENT_BAD_HEADERS;
    }
    const hdrs = l4 + l4HdrLen - off; // Ethernet + IP + L4 header bytes copied into every segment
    const payload = ipEnd - (l4 + l4HdrLen);
    const count = payload === 0 ? 1 : Math.ceil(payload / mss);
    if (count > this.maxSegments) return SEGMENT_TOO_MANY;
    if (this.headroom + ALIGN_SLACK + hdrs + Math.min(mss, payload) > this.segmentRoom) return SEGMENT_TOO_BIG;

    // ---- per-frame constants ----
    // read and written byte by byte: a uint32 above 2^30 passed to or returned from a call is boxed
    const seq0 = udp ? 0 : ((buf[l4 + TCP_SEQ_OFF] << 24) | (buf[l4 + TCP_SEQ_OFF + 1] << 16) | (buf[l4 + TCP_SEQ_OFF + 2] << 8) | buf[l4 + TCP_SEQ_OFF + 3]) >>> 0;
    const flags0 = udp ? 0 : buf[l4 + TCP_FLAGS_OFF];
    const id0 = v4 ? (buf[l3 + IPV4_ID_OFF] << 8) | buf[l3 + IPV4_ID_OFF + 1] : 0;
    // pseudo-header without its length (RFC 9293 section 3.1, RFC 8200 section 8.1); the IPv4 addresses
    // are summed as bytes (source and destination are adjacent): as numbers above 2^30 they would be boxed
    const pseudo = v4
      ? inetSum(buf, l3 + IPV4_SRC_OFF, 8, proto)
      : pseudoHeaderSumIpv6(buf, l3 + IPV6_SRC_OFF, l3 + IPV6_DST_OFF, proto, 0);
    const out = this.buffer;
    const ipRel = ethLen; // IP header offset within a segment
    const l4Rel = ethLen + ipHdrLen;
    const srcBase = buf.byteOffset;
    const outBase = out.byteOffset;
    let src = l4 + l4HdrLen;
    let first = 0;

    for (let i = 0; i < count; i++) {
      // start 0-3 bytes into the slot so that the payload has the source's address alignment mod 4
      const slot = i * this.segmentRoom + this.headroom;
      const o = slot + ((srcBase + src - (outBase + slot + hdrs)) & 3);
      this.offsets[i] = o;
      const n = Math.min(mss, ipEnd - src);
      if (i === 0) {
        for (let k = 0; k < hdrs; k++) out[o + k] = buf[off + k];
        first = o;
      } else {
        out.copyWithin(o, first, first + hdrs);
      }
      const payloadSum = inetCopySum(buf, src, out, o + hdrs, n);
      src += n;
      const ip = o + ipRel;
      const t = o + l4Rel;
      const l4Len = l4HdrLen + n;
      if (v4) {
        const total = ipHdrLen + l4Len;
        out[ip + IPV4_TOTAL_LEN_OFF] = total >>> 8;
        out[ip + IPV4_TOTAL_LEN_OFF + 1] = total & 0xff;
        const id = (id0 + i) & 0xffff;
        out[ip + IPV4_ID_OFF] = id >>> 8;
        out[ip + IPV4_ID_OFF + 1] = id & 0xff;
        writeIpv4Checksum(out, ip);
      } else {
        out[ip + IPV6_PAYLOAD_LEN_OFF] = l4Len >>> 8;
        out[ip + IPV6_PAYLOAD_LEN_OFF + 1] = l4Len & 0xff;
      }
      if (udp) {
        out[t + UDP_LEN_OFF] = l4Len >>> 8;
        out[t + UDP_LEN_OFF + 1] = l4Len & 0xff;
        out[t + UDP_CHECKSUM_OFF] = 0;
        out[t + UDP_CHECKSUM_OFF + 1] = 0;
        const u = ~inetFold(inetSum(out, t, UDP_HEADER_LEN, pseudo + l4Len + payloadSum)) & 0xffff || 0xffff;
        out[t + UDP_CHECKSUM_OFF] = u >>> 8;
        out[t + UDP_CHECKSUM_OFF + 1] = u & 0xff;
        this.lengths[i] = hdrs + n;
        continue;
      }
      const seq = (seq0 + i * mss) >>> 0;
      out[t + TCP_SEQ_OFF] = seq >>> 24;
      out[t + TCP_SEQ_OFF + 1] = (seq >>> 16) & 0xff;
      out[t + TCP_SEQ_OFF + 2] = (seq >>> 8) & 0xff;
      out[t + TCP_SEQ_OFF + 3] = seq & 0xff;
      let f = flags0;
      if (i !== count - 1) f &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
      if (i !== 0) f &= ~TCP_FLAG_CWR;
      out[t + TCP_FLAGS_OFF] = f;
      out[t + TCP_CHECKSUM_OFF] = 0;
      out[t + TCP_CHECKSUM_OFF + 1] = 0;
      // the payload starts l4HdrLen (a multiple of 4) after the TCP header, so the sums chain
      const c = ~inetFold(inetSum(out, t, l4HdrLen, pseudo + l4Len + payloadSum)) & 0xffff;
      out[t + TCP_CHECKSUM_OFF] = c >>> 8;
      out[t + TCP_CHECKSUM_OFF + 1] = c & 0xff;
      this.lengths[i] = hdrs + n;
    }
    return count;
  }

  /** A frame without GSO: copied to slot 0, checksum completed if the header says NEEDS_CSUM. */
  private copyPlain(buf: Buffer, off: number, len: number, hdrOff: number): number {
    if (this.headroom + ALIGN_SLACK + len > this.segmentRoom) return SEGMENT_TOO_BIG;
    const o = this.headroom + ((buf.byteOffset + off - (this.buffer.byteOffset + this.headroom)) & 3);
    this.offsets[0] = o;
    inetCopySum(buf, off, this.buffer, o, len);
    if ((vnetFlags(buf, hdrOff) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0 &&
      !completeChecksum(this.buffer, o, len, vnetCsumStart(buf, hdrOff), vnetCsumOffset(buf, hdrOff))) {
      return SEGMENT_BAD_HEADERS;
    }
    this.lengths[0] = len;
    return 1;
  }
}

// ---- sizing (our choice) ----
/** A TSO or USO super-frame is one IP packet: at most this many payload bytes to cut (from the kernel). */
const MAX_SUPER_PAYLOAD = 65535;
/** The smallest MSS Linux sends (TCP_MIN_SND_MSS, include/net/tcp.h); a smaller gso_size gets slots
 *  for this one: enough for a UDP send (Linux cuts one into at most 128 datagrams, any gso_size),
 *  too few for a TCP super-frame, which segment() then refuses (too many segments). */
const MIN_MSS = 48;

/** `cur` if its slots hold segments of `mss` payload bytes, enough of them for 64 KB; else a new,
 *  larger segmenter (grown in both dimensions, so flows with different MSSs do not make callers
 *  reallocate in turn). Used by the switch, once per super-frame. */
export function segmenterFor(cur: GsoSegmenter | null, mss: number, headroom: number): GsoSegmenter {
  const m = Math.max(mss, MIN_MSS);
  let room = headroom + ALIGN_SLACK + SEGMENT_MAX_HEADERS + m;
  let slots = Math.ceil(MAX_SUPER_PAYLOAD / m);
  if (cur !== null) {
    if (cur.segmentRoom >= room && cur.maxSegments >= slots) return cur;
    room = Math.max(room, cur.segmentRoom);
    slots = Math.max(slots, cur.maxSegments);
  }
  // rounded up so a slightly larger MSS later (a path MTU change) does not reallocate
  return new GsoSegmenter(slots, (room + 63) & ~63, headroom);
}
