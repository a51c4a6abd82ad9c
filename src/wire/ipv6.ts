// IPv6 base header (RFC 8200); extension headers are left in the payload. Used by the UDP checksum
// (pseudo-header), DNS over IPv6, capture views and tests.
//
// RFC 8200 section 3, IPv6 Header Format:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Payload Length        |  Next Header  |   Hop Limit   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  Source Address (128 bits)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |               Destination Address (128 bits)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { ipv6ToString, writeIpv6 } from './ip-addr.js';
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';

// From the spec (RFC 8200 section 3)
export const IPV6_PAYLOAD_LEN_OFF = 4;
export const IPV6_NEXT_HEADER_OFF = 6;
export const IPV6_HOP_LIMIT_OFF = 7;
export const IPV6_SRC_OFF = 8;
export const IPV6_DST_OFF = 24;
export const IPV6_HEADER_LEN = 40;

// ---- hot path (caller checked len >= IPV6_HEADER_LEN) ----

export const ipv6Version = (buf: Uint8Array, off: number): number => buf[off] >>> 4;
export const ipv6PayloadLen = (buf: Uint8Array, off: number): number => (buf[off + IPV6_PAYLOAD_LEN_OFF] << 8) | buf[off + IPV6_PAYLOAD_LEN_OFF + 1];
export const ipv6NextHeader = (buf: Uint8Array, off: number): number => buf[off + IPV6_NEXT_HEADER_OFF];
export const ipv6HopLimit = (buf: Uint8Array, off: number): number => buf[off + IPV6_HOP_LIMIT_OFF];

// ---- control path ----

export interface Ipv6Packet {
  version: 6;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** payloadLength bytes after the base header, a view (link-layer padding excluded) */
  payload: Buffer;
}

export function decodeIpv6(buf: Buffer, off: number, len: number): Ipv6Packet | Malformed {
  const bad = needBytes(buf, off, len, IPV6_HEADER_LEN, 'IPv6 header');
  if (bad) return bad;
  const version = ipv6Version(buf, off);
  if (version !== 6) return malformed(`not IPv6: version field is ${version}`);
  const plen = ipv6PayloadLen(buf, off);
  if (plen === 0 && ipv6NextHeader(buf, off) === 0) {
    return malformed('unsupported: IPv6 jumbogram (payload length 0 with a hop-by-hop header)');
  }
  if (IPV6_HEADER_LEN + plen > len) return malformed(`truncated: ${len} bytes, IPv6 payload length says ${IPV6_HEADER_LEN + plen}`);
  const w = buf.readUInt32BE(off);
  return {
    version: 6,
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength: plen,
    nextHeader: ipv6NextHeader(buf, off),
    hopLimit: ipv6HopLimit(buf, off),
    src: ipv6ToString(buf, off + IPV6_SRC_OFF),
    dst: ipv6ToString(buf, off + IPV6_DST_OFF),
    payload: buf.subarray(off + IPV6_HEADER_LEN, off + IPV6_HEADER_LEN + plen),
  };
}

export interface Ipv6Fields {
  trafficClass?: number;
  flowLabel?: number;
  nextHeader: number;
  /** default 64 (our choice, the Linux default) */
  hopLimit?: number;
  src: string;
  dst: string;
  payload?: Uint8Array;
}

/** Writes the base header (payload length from the payload) and the payload; returns bytes written. */
export function encodeIpv6(f: Ipv6Fields, buf: Uint8Array, off: number): number {
  const plen = f.payload?.length ?? 0;
  const tc = f.trafficClass ?? 0, fl = f.flowLabel ?? 0, hop = f.hopLimit ?? 64;
  checkUint(plen, 0xffff, 'IPv6 payload length');
  checkUint(tc, 255, 'traffic class');
  checkUint(fl, 0xfffff, 'flow label');
  checkUint(hop, 255, 'hop limit');
  checkUint(f.nextHeader, 255, 'next header');
  ensureRoom(buf, off, IPV6_HEADER_LEN + plen, 'an IPv6 packet');
  const w = ((6 << 28) | (tc << 20) | fl) >>> 0;
  buf[off] = w >>> 24;
  buf[off + 1] = (w >>> 16) & 0xff;
  buf[off + 2] = (w >>> 8) & 0xff;
  buf[off + 3] = w & 0xff;
  buf[off + IPV6_PAYLOAD_LEN_OFF] = plen >>> 8;
  buf[off + IPV6_PAYLOAD_LEN_OFF + 1] = plen & 0xff;
  buf[off + IPV6_NEXT_HEADER_OFF] = f.nextHeader;
  buf[off + IPV6_HOP_LIMIT_OFF] = hop;
  writeIpv6(f.src, buf, off + IPV6_SRC_OFF);
  writeIpv6(f.dst, buf, off + IPV6_DST_OFF);
  if (f.payload) buf.set(f.payload, off + IPV6_HEADER_LEN);
  return IPV6_HEADER_LEN + plen;
}

export function buildIpv6(f: Ipv6Fields): Buffer {
  const b = Buffer.alloc(IPV6_HEADER_LEN + (f.payload?.length ?? 0));
  encodeIpv6(f, b, 0);
  return b;
}
