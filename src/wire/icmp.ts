// ICMPv4 (RFC 792), echo request and echo reply in detail; other types decode to type/code/checksum
// and the rest of the message. Used by the switch's optional ICMP responder, tests and capture views.
//
// RFC 792, Echo or Echo Reply Message:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Identifier          |        Sequence Number        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Data ...
//   +-+-+-+-+-
// Type 8 = echo request, 0 = echo reply; the checksum covers the whole ICMP message.
import { internetChecksum } from './checksum.js';
import { type Malformed, malformed, needBytes, isMalformed } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';
import { decodeIpv4, encodeIpv4, IPPROTO_ICMP } from './ipv4.js';

// From the spec (RFC 792)
export const ICMP_TYPE_OFF = 0;
export const ICMP_CODE_OFF = 1;
export const ICMP_CHECKSUM_OFF = 2;
export const ICMP_ECHO_ID_OFF = 4;
export const ICMP_ECHO_SEQ_OFF = 6;
export const ICMP_HEADER_LEN = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

// ---- hot path (caller checked len >= ICMP_HEADER_LEN) ----

export const icmpType = (buf: Uint8Array, off: number): number => buf[off + ICMP_TYPE_OFF];
export const icmpCode = (buf: Uint8Array, off: number): number => buf[off + ICMP_CODE_OFF];

/** True if the checksum over the whole message (off, len) verifies. */
export function icmpChecksumOk(buf: Uint8Array, off: number, len: number): boolean {
  return internetChecksum(buf, off, len) === 0;
}

/** Recomputes the checksum of the message at (off, len) in place. */
export function writeIcmpChecksum(buf: Uint8Array, off: number, len: number): void {
  buf[off + ICMP_CHECKSUM_OFF] = 0;
  buf[off + ICMP_CHECKSUM_OFF + 1] = 0;
  const c = internetChecksum(buf, off, len);
  buf[off + ICMP_CHECKSUM_OFF] = c >>> 8;
  buf[off + ICMP_CHECKSUM_OFF + 1] = c & 0xff;
}

// ---- control path ----

export interface IcmpMessage {
  type: number;
  code: number;
  checksum: number;
  checksumOk: boolean;
  /** echo identifier and sequence (types 0 and 8); for other types, undefined */
  echo?: { id: number; seq: number };
  /** bytes after the 8-byte header (echo data, or the rest of any other message), a view */
  data: Buffer;
  /** bytes 4..7 for non-echo types (e.g. unused / next-hop MTU), a view */
  rest: Buffer;
}

export function decodeIcmp(buf: Buffer, off: number, len: number): IcmpMessage | Malformed {
  const bad = needBytes(buf, off, len, ICMP_HEADER_LEN, 'ICMP header');
  if (bad) return bad;
  const type = icmpType(buf, off);
  const m: IcmpMessage = {
    type,
    code: icmpCode(buf, off),
    checksum: buf.readUInt16BE(off + ICMP_CHECKSUM_OFF),
    checksumOk: icmpChecksumOk(buf, off, len),
    data: buf.subarray(off + ICMP_HEADER_LEN, off + len),
    rest: buf.subarray(off + 4, off + ICMP_HEADER_LEN),
  };
  if (type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY) {
    m.echo = { id: buf.readUInt16BE(off + ICMP_ECHO_ID_OFF), seq: buf.readUInt16BE(off + ICMP_ECHO_SEQ_OFF) };
  }
  return m;
}

export interface IcmpEchoFields {
  /** ICMP_ECHO_REQUEST or ICMP_ECHO_REPLY */
  type: number;
  code?: number;
  id: number;
  seq: number;
  data?: Uint8Array;
}

/** Writes an echo request/reply with its checksum at off; returns bytes written. */
export function encodeIcmpEcho(f: IcmpEchoFields, buf: Uint8Array, off: number): number {
  const len = ICMP_HEADER_LEN + (f.data?.length ?? 0);
  checkUint(f.type, 255, 'ICMP type');
  checkUint(f.code ?? 0, 255, 'ICMP code');
  checkUint(f.id, 0xffff, 'ICMP echo identifier');
  checkUint(f.seq, 0xffff, 'ICMP echo sequence');
  ensureRoom(buf, off, len, 'an ICMP echo message');
  buf[off + ICMP_TYPE_OFF] = f.type;
  buf[off + ICMP_CODE_OFF] = f.code ?? 0;
  buf[off + ICMP_ECHO_ID_OFF] = f.id >>> 8;
  buf[off + ICMP_ECHO_ID_OFF + 1] = f.id & 0xff;
  buf[off + ICMP_ECHO_SEQ_OFF] = f.seq >>> 8;
  buf[off + ICMP_ECHO_SEQ_OFF + 1] = f.seq & 0xff;
  if (f.data) buf.set(f.data, off + ICMP_HEADER_LEN);
  writeIcmpChecksum(buf, off, len);
  return len;
}

/** The IPv4 packet answering an IPv4 ICMP echo request (addresses swapped, same id/seq/data, TTL 64,
 *  DF kept, options dropped), or Malformed if `packet` is not a valid echo request. */
export function buildIcmpEchoReply(packet: Buffer): Buffer | Malformed {
  const ip = decodeIpv4(packet, 0, packet.length);
  if (isMalformed(ip)) return ip;
  if (ip.protocol !== IPPROTO_ICMP) return malformed(`not ICMP: IPv4 protocol ${ip.protocol}`);
  if (ip.moreFragments || ip.fragmentOffset !== 0) return malformed('fragmented ICMP echo requests are not answered');
  const icmp = decodeIcmp(ip.payload, 0, ip.payload.length);
  if (isMalformed(icmp)) return icmp;
  if (icmp.type !== ICMP_ECHO_REQUEST || !icmp.echo) return malformed(`not an echo request: ICMP type ${icmp.type}`);
  if (!icmp.checksumOk) return malformed('bad ICMP checksum');
  const payload = Buffer.alloc(ICMP_HEADER_LEN + icmp.data.length);
  encodeIcmpEcho({ type: ICMP_ECHO_REPLY, id: icmp.echo.id, seq: icmp.echo.seq, data: icmp.data }, payload, 0);
  const out = Buffer.alloc(20 + payload.length);
  encodeIpv4({ protocol: IPPROTO_ICMP, src: ip.dst, dst: ip.src, ttl: 64, dontFragment: ip.dontFragment, identification: ip.identification, payload }, out, 0);
  return out;
}
