// UDP (RFC 768) with the checksum over the IPv4 (RFC 768) or IPv6 (RFC 8200 section 8.1) pseudo-header.
// Used by the VTEP (VXLAN rides on UDP), the DNS responder, capture views and tests.
//
// RFC 768, User Datagram Header Format:
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |     Source      |   Destination   |
//   |      Port       |      Port       |
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+
//   |          data octets ...
//   +---------------- ...
//
// A transmitted checksum of 0 means "none" over IPv4; a computed 0 is sent as 0xffff.
import { checksumAdd, checksumFinish, internetChecksum, pseudoHeaderSumIpv4, pseudoHeaderSumIpv6 } from './checksum.js';
import { parseIpv4, writeIpv6 } from './ip-addr.js';
import { IPPROTO_UDP, ipv4HeaderLen, ipv4Src, ipv4Dst, ipv4TotalLen } from './ipv4.js';
import { IPV6_HEADER_LEN, IPV6_SRC_OFF, IPV6_DST_OFF, ipv6PayloadLen } from './ipv6.js';
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';
import { badRequest } from '../errors.js';

// From the spec (RFC 768)
export const UDP_SRC_PORT_OFF = 0;
export const UDP_DST_PORT_OFF = 2;
export const UDP_LEN_OFF = 4;
export const UDP_CHECKSUM_OFF = 6;
export const UDP_HEADER_LEN = 8;

// ---- hot path (caller checked len >= UDP_HEADER_LEN) ----

export const udpSrcPort = (buf: Uint8Array, off: number): number => (buf[off] << 8) | buf[off + 1];
export const udpDstPort = (buf: Uint8Array, off: number): number => (buf[off + UDP_DST_PORT_OFF] << 8) | buf[off + UDP_DST_PORT_OFF + 1];
export const udpLength = (buf: Uint8Array, off: number): number => (buf[off + UDP_LEN_OFF] << 8) | buf[off + UDP_LEN_OFF + 1];
export const udpChecksum = (buf: Uint8Array, off: number): number => (buf[off + UDP_CHECKSUM_OFF] << 8) | buf[off + UDP_CHECKSUM_OFF + 1];

/** Writes the 8-byte header with `len` = header + payload and checksum 0 (none); returns UDP_HEADER_LEN. */
export function writeUdpHeader(buf: Uint8Array, off: number, srcPort: number, dstPort: number, len: number): number {
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort & 0xff;
  buf[off + UDP_DST_PORT_OFF] = dstPort >>> 8;
  buf[off + UDP_DST_PORT_OFF + 1] = dstPort & 0xff;
  buf[off + UDP_LEN_OFF] = len >>> 8;
  buf[off + UDP_LEN_OFF + 1] = len & 0xff;
  buf[off + UDP_CHECKSUM_OFF] = 0;
  buf[off + UDP_CHECKSUM_OFF + 1] = 0;
  return UDP_HEADER_LEN;
}

/** The checksum value for the datagram at (off, len) given a pseudo-header sum; the current checksum
 *  field is skipped, and a result of 0 is returned as 0xffff. */
export function udpChecksumWith(buf: Uint8Array, off: number, len: number, pseudoSum: number): number {
  let sum = checksumAdd(buf, off, UDP_CHECKSUM_OFF, pseudoSum);
  sum = checksumAdd(buf, off + UDP_HEADER_LEN, len - UDP_HEADER_LEN, sum);
  return checksumFinish(sum) || 0xffff;
}

/** Checksum of a UDP datagram over IPv4 (addresses as numbers). */
export function udpChecksumIpv4(buf: Uint8Array, off: number, len: number, src: number, dst: number): number {
  return udpChecksumWith(buf, off, len, pseudoHeaderSumIpv4(src, dst, IPPROTO_UDP, len));
}

/** Checksum of a UDP datagram over IPv6; the 16-byte addresses are read from buf at srcOff and dstOff. */
export function udpChecksumIpv6(buf: Uint8Array, off: number, len: number, srcOff: number, dstOff: number): number {
  return udpChecksumWith(buf, off, len, pseudoHeaderSumIpv6(buf, srcOff, dstOff, IPPROTO_UDP, len));
}

function setChecksum(buf: Uint8Array, off: number, c: number): void {
  buf[off + UDP_CHECKSUM_OFF] = c >>> 8;
  buf[off + UDP_CHECKSUM_OFF + 1] = c & 0xff;
}

/** True if the UDP datagram inside the IPv4 or IPv6 packet at (ipOff, ipLen) has a valid checksum
 *  (checksum 0 counts as valid over IPv4, where it means "none"). False if it is not UDP-sized. */
export function udpChecksumOkInIp(buf: Uint8Array, ipOff: number, ipLen: number): boolean {
  if (ipLen < 1) return false;
  const version = buf[ipOff] >>> 4;
  if (version === 4) {
    if (ipLen < 20) return false;
    const hl = ipv4HeaderLen(buf, ipOff);
    const udpLen = Math.min(ipv4TotalLen(buf, ipOff), ipLen) - hl;
    if (hl < 20 || udpLen < UDP_HEADER_LEN) return false;
    const off = ipOff + hl;
    if (udpChecksum(buf, off) === 0) return true;
    return internetChecksum(buf, off, udpLen, pseudoHeaderSumIpv4(ipv4Src(buf, ipOff), ipv4Dst(buf, ipOff), IPPROTO_UDP, udpLen)) === 0;
  }
  if (version === 6) {
    if (ipLen < IPV6_HEADER_LEN) return false;
    const udpLen = Math.min(ipv6PayloadLen(buf, ipOff), ipLen - IPV6_HEADER_LEN);
    if (udpLen < UDP_HEADER_LEN) return false;
    const sum = pseudoHeaderSumIpv6(buf, ipOff + IPV6_SRC_OFF, ipOff + IPV6_DST_OFF, IPPROTO_UDP, udpLen);
    return internetChecksum(buf, ipOff + IPV6_HEADER_LEN, udpLen, sum) === 0;
  }
  return false;
}

// ---- control path ----

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  /** header + payload, from the length field */
  length: number;
  checksum: number;
  /** length - 8 bytes, a view */
  payload: Buffer;
}

export function decodeUdp(buf: Buffer, off: number, len: number): UdpDatagram | Malformed {
  const bad = needBytes(buf, off, len, UDP_HEADER_LEN, 'UDP header');
  if (bad) return bad;
  const length = udpLength(buf, off);
  if (length < UDP_HEADER_LEN) return malformed(`bad UDP length ${length}: shorter than the 8-byte header`);
  if (length > len) return malformed(`truncated: ${len} bytes, UDP length says ${length}`);
  return {
    srcPort: udpSrcPort(buf, off),
    dstPort: udpDstPort(buf, off),
    length,
    checksum: udpChecksum(buf, off),
    payload: buf.subarray(off + UDP_HEADER_LEN, off + length),
  };
}

export interface UdpFields {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
  /** addresses of the enclosing IP packet (both IPv4 or both IPv6) for the checksum; without them
   *  the checksum is 0 ("none", allowed over IPv4 and for tunnels over IPv6, RFC 6935). */
  pseudo?: { src: string; dst: string };
}

/** Writes header, payload and checksum at off; returns bytes written. */
export function encodeUdp(f: UdpFields, buf: Uint8Array, off: number): number {
  const len = UDP_HEADER_LEN + (f.payload?.length ?? 0);
  checkUint(f.srcPort, 0xffff, 'UDP source port');
  checkUint(f.dstPort, 0xffff, 'UDP destination port');
  checkUint(len, 0xffff, 'UDP length');
  ensureRoom(buf, off, len, 'a UDP datagram');
  writeUdpHeader(buf, off, f.srcPort, f.dstPort, len);
  if (f.payload) buf.set(f.payload, off + UDP_HEADER_LEN);
  if (f.pseudo) {
    const v6 = f.pseudo.src.includes(':');
    if (v6 !== f.pseudo.dst.includes(':')) throw badRequest('EWIRE_FIELD', 'UDP pseudo-header addresses must both be IPv4 or both IPv6.');
    if (v6) {
      const a = new Uint8Array(32);
      writeIpv6(f.pseudo.src, a, 0);
      writeIpv6(f.pseudo.dst, a, 16);
      setChecksum(buf, off, udpChecksumWith(buf, off, len, pseudoHeaderSumIpv6(a, 0, 16, IPPROTO_UDP, len)));
    } else {
      setChecksum(buf, off, udpChecksumIpv4(buf, off, len, parseIpv4(f.pseudo.src), parseIpv4(f.pseudo.dst)));
    }
  }
  return len;
}

export function buildUdp(f: UdpFields): Buffer {
  const b = Buffer.alloc(UDP_HEADER_LEN + (f.payload?.length ?? 0));
  encodeUdp(f, b, 0);
  return b;
}
