// IPv4 header (RFC 791) with checksum compute/verify. Used by the VTEP and switch (accessors), the ICMP
// responder and UDP checksums, and by control code, capture views and tests (decodeIpv4/encodeIpv4).
//
// RFC 791 section 3.1, Internet Header Format:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |  DSCP     |ECN|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |Flags|      Fragment Offset    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (IHL*4 - 20 bytes)                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// (DSCP/ECN per RFC 2474 and RFC 3168.)
import { internetChecksum } from './checksum.js';
import { readIpv4, writeIpv4, ipv4ToString, parseIpv4 } from './ip-addr.js';
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';
import { badRequest } from '../errors.js';

// From the spec (RFC 791 section 3.1)
export const IPV4_VER_IHL_OFF = 0;
export const IPV4_TOS_OFF = 1;
export const IPV4_TOTAL_LEN_OFF = 2;
export const IPV4_ID_OFF = 4;
export const IPV4_FLAGS_FRAG_OFF = 6;
export const IPV4_TTL_OFF = 8;
export const IPV4_PROTO_OFF = 9;
export const IPV4_CHECKSUM_OFF = 10;
export const IPV4_SRC_OFF = 12;
export const IPV4_DST_OFF = 16;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_FLAG_DF = 0x4000;
/** MF flag and fragment offset in the flags/fragment word: any bit set means a fragment. */
export const IPV4_FRAG_MASK = 0x3fff;

/** True if the IPv4 header at buf[l3] is a fragment (MF set or a non-zero offset). No bounds check:
 *  the caller has checked that the header is there. */
export function ipv4IsFragment(buf: Uint8Array, l3: number): boolean {
  return (((buf[l3 + IPV4_FLAGS_FRAG_OFF] << 8) | buf[l3 + IPV4_FLAGS_FRAG_OFF + 1]) & IPV4_FRAG_MASK) !== 0;
}
export const IPV4_FLAG_MF = 0x2000;
// Protocol numbers (IANA "Assigned Internet Protocol Numbers")
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

// ---- hot path (caller checked len >= IPV4_MIN_HEADER_LEN) ----

export const ipv4Version = (buf: Uint8Array, off: number): number => buf[off] >>> 4;
/** Header length in bytes (IHL * 4). */
export const ipv4HeaderLen = (buf: Uint8Array, off: number): number => (buf[off] & 0x0f) << 2;
export const ipv4TotalLen = (buf: Uint8Array, off: number): number => (buf[off + IPV4_TOTAL_LEN_OFF] << 8) | buf[off + IPV4_TOTAL_LEN_OFF + 1];
export const ipv4Ttl = (buf: Uint8Array, off: number): number => buf[off + IPV4_TTL_OFF];
export const ipv4Protocol = (buf: Uint8Array, off: number): number => buf[off + IPV4_PROTO_OFF];
export const ipv4Src = (buf: Uint8Array, off: number): number => readIpv4(buf, off + IPV4_SRC_OFF);
export const ipv4Dst = (buf: Uint8Array, off: number): number => readIpv4(buf, off + IPV4_DST_OFF);

/** True if the header checksum over IHL*4 bytes verifies (the sum including the field is 0). */
export function ipv4ChecksumOk(buf: Uint8Array, off: number): boolean {
  return internetChecksum(buf, off, ipv4HeaderLen(buf, off)) === 0;
}

/** Recomputes the header checksum in place (after a TTL or address rewrite). */
export function writeIpv4Checksum(buf: Uint8Array, off: number): void {
  buf[off + IPV4_CHECKSUM_OFF] = 0;
  buf[off + IPV4_CHECKSUM_OFF + 1] = 0;
  const c = internetChecksum(buf, off, ipv4HeaderLen(buf, off));
  buf[off + IPV4_CHECKSUM_OFF] = c >>> 8;
  buf[off + IPV4_CHECKSUM_OFF + 1] = c & 0xff;
}

// ---- control path ----

export interface Ipv4Packet {
  version: 4;
  /** header length in bytes (IHL * 4) */
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** in 8-byte units */
  fragmentOffset: number;
  /** the reserved flag bit (must be 0 on send; kept for round trips) */
  reservedFlag: boolean;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumOk: boolean;
  src: string;
  dst: string;
  /** options bytes (IHL*4 - 20), a view */
  options: Buffer;
  /** totalLength - headerLength bytes after the header, a view (link-layer padding excluded) */
  payload: Buffer;
}

export function decodeIpv4(buf: Buffer, off: number, len: number): Ipv4Packet | Malformed {
  const bad = needBytes(buf, off, len, IPV4_MIN_HEADER_LEN, 'IPv4 header');
  if (bad) return bad;
  const version = ipv4Version(buf, off);
  if (version !== 4) return malformed(`not IPv4: version field is ${version}`);
  const hl = ipv4HeaderLen(buf, off);
  if (hl < IPV4_MIN_HEADER_LEN) return malformed(`bad IHL: header length ${hl} is below ${IPV4_MIN_HEADER_LEN}`);
  if (hl > len) return malformed(`truncated: ${len} bytes, IPv4 header with options needs ${hl}`);
  const total = ipv4TotalLen(buf, off);
  if (total < hl) return malformed(`bad total length ${total}: shorter than the ${hl}-byte header`);
  if (total > len) return malformed(`truncated: ${len} bytes, IPv4 total length says ${total}`);
  const ff = buf.readUInt16BE(off + IPV4_FLAGS_FRAG_OFF);
  return {
    version: 4,
    headerLength: hl,
    dscp: buf[off + IPV4_TOS_OFF] >>> 2,
    ecn: buf[off + IPV4_TOS_OFF] & 3,
    totalLength: total,
    identification: buf.readUInt16BE(off + IPV4_ID_OFF),
    reservedFlag: (ff & 0x8000) !== 0,
    dontFragment: (ff & IPV4_FLAG_DF) !== 0,
    moreFragments: (ff & IPV4_FLAG_MF) !== 0,
    fragmentOffset: ff & 0x1fff,
    ttl: ipv4Ttl(buf, off),
    protocol: ipv4Protocol(buf, off),
    checksum: buf.readUInt16BE(off + IPV4_CHECKSUM_OFF),
    checksumOk: ipv4ChecksumOk(buf, off),
    src: ipv4ToString(ipv4Src(buf, off)),
    dst: ipv4ToString(ipv4Dst(buf, off)),
    options: buf.subarray(off + IPV4_MIN_HEADER_LEN, off + hl),
    payload: buf.subarray(off + hl, off + total),
  };
}

export interface Ipv4Fields {
  dscp?: number;
  ecn?: number;
  identification?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  reservedFlag?: boolean;
  /** default 64 (our choice, the Linux default) */
  ttl?: number;
  protocol: number;
  src: string;
  dst: string;
  /** a multiple of 4 bytes, at most 40 */
  options?: Uint8Array;
  payload?: Uint8Array;
}

/** Writes header (computing total length and checksum) and payload at off; returns bytes written. */
export function encodeIpv4(f: Ipv4Fields, buf: Uint8Array, off: number): number {
  const optLen = f.options?.length ?? 0;
  if (optLen % 4 !== 0 || optLen > IPV4_MAX_HEADER_LEN - IPV4_MIN_HEADER_LEN) {
    throw badRequest('EWIRE_FIELD', `IPv4 options must be a multiple of 4 bytes and at most 40, got ${optLen}.`);
  }
  const hl = IPV4_MIN_HEADER_LEN + optLen;
  const total = hl + (f.payload?.length ?? 0);
  checkUint(total, 0xffff, 'IPv4 total length');
  ensureRoom(buf, off, total, 'an IPv4 packet');
  const dscp = f.dscp ?? 0, ecn = f.ecn ?? 0, id = f.identification ?? 0, frag = f.fragmentOffset ?? 0, ttl = f.ttl ?? 64;
  checkUint(dscp, 63, 'DSCP');
  checkUint(ecn, 3, 'ECN');
  checkUint(id, 0xffff, 'IPv4 identification');
  checkUint(frag, 0x1fff, 'fragment offset');
  checkUint(ttl, 255, 'TTL');
  checkUint(f.protocol, 255, 'IP protocol');
  buf[off] = 0x40 | (hl >>> 2);
  buf[off + IPV4_TOS_OFF] = (dscp << 2) | ecn;
  buf[off + IPV4_TOTAL_LEN_OFF] = total >>> 8;
  buf[off + IPV4_TOTAL_LEN_OFF + 1] = total & 0xff;
  buf[off + IPV4_ID_OFF] = id >>> 8;
  buf[off + IPV4_ID_OFF + 1] = id & 0xff;
  const ff = (f.reservedFlag ? 0x8000 : 0) | (f.dontFragment ? IPV4_FLAG_DF : 0) | (f.moreFragments ? IPV4_FLAG_MF : 0) | frag;
  buf[off + IPV4_FLAGS_FRAG_OFF] = ff >>> 8;
  buf[off + IPV4_FLAGS_FRAG_OFF + 1] = ff & 0xff;
  buf[off + IPV4_TTL_OFF] = ttl;
  buf[off + IPV4_PROTO_OFF] = f.protocol;
  writeIpv4(buf, off + IPV4_SRC_OFF, parseIpv4(f.src));
  writeIpv4(buf, off + IPV4_DST_OFF, parseIpv4(f.dst));
  if (f.options) buf.set(f.options, off + IPV4_MIN_HEADER_LEN);
  writeIpv4Checksum(buf, off);
  if (f.payload) buf.set(f.payload, off + hl);
  return total;
}

export function buildIpv4(f: Ipv4Fields): Buffer {
  const b = Buffer.alloc(IPV4_MIN_HEADER_LEN + (f.options?.length ?? 0) + (f.payload?.length ?? 0));
  encodeIpv4(f, b, 0);
  return b;
}
