// ARP for Ethernet/IPv4 (RFC 826). Used by the switch and the VTEP (accessors, e.g. to learn or to
// answer ARP for known endpoints) and by control code and tests (decodeArp, encodeArp, builders).
//
// RFC 826 packet format, for hardware type 1 (Ethernet) and protocol type 0x0800 (IPv4):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Hardware type (1)         |     Protocol type (0x0800)    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  HLEN (6)     |  PLEN (4)     |  Operation (1 req, 2 reply)   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Sender hardware address (6) ...  | Sender IPv4 (4)   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Target hardware address (6) ...  | Target IPv4 (4)   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { readMac, writeMac, macToString, parseMac, MAC_BROADCAST } from './mac.js';
import { readIpv4, writeIpv4, ipv4ToString, parseIpv4 } from './ip-addr.js';
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';
import { writeEthHeader, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.js';

// From the spec (RFC 826; hardware type from the IANA ARP parameters registry)
export const ARP_HTYPE_OFF = 0;
export const ARP_PTYPE_OFF = 2;
export const ARP_HLEN_OFF = 4;
export const ARP_PLEN_OFF = 5;
export const ARP_OP_OFF = 6;
export const ARP_SHA_OFF = 8;
export const ARP_SPA_OFF = 14;
export const ARP_THA_OFF = 18;
export const ARP_TPA_OFF = 24;
export const ARP_LEN = 28;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

// ---- hot path (caller checked len >= ARP_LEN, or uses arpIsEthIpv4) ----

/** True if (buf, off, len) holds an Ethernet/IPv4 ARP packet. */
export function arpIsEthIpv4(buf: Uint8Array, off: number, len: number): boolean {
  return (
    len >= ARP_LEN &&
    buf[off] === 0 && buf[off + 1] === ARP_HTYPE_ETHERNET &&
    buf[off + 2] === ETHERTYPE_IPV4 >>> 8 && buf[off + 3] === (ETHERTYPE_IPV4 & 0xff) &&
    buf[off + ARP_HLEN_OFF] === 6 && buf[off + ARP_PLEN_OFF] === 4
  );
}
export const arpOp = (buf: Uint8Array, off: number): number => (buf[off + ARP_OP_OFF] << 8) | buf[off + ARP_OP_OFF + 1];
export const arpSenderMac = (buf: Uint8Array, off: number): number => readMac(buf, off + ARP_SHA_OFF);
export const arpSenderIp = (buf: Uint8Array, off: number): number => readIpv4(buf, off + ARP_SPA_OFF);
export const arpTargetMac = (buf: Uint8Array, off: number): number => readMac(buf, off + ARP_THA_OFF);
export const arpTargetIp = (buf: Uint8Array, off: number): number => readIpv4(buf, off + ARP_TPA_OFF);

/** Writes an Ethernet/IPv4 ARP packet from numbers at off; returns ARP_LEN. Caller ensures room. */
export function writeArp(buf: Uint8Array, off: number, op: number, sha: number, spa: number, tha: number, tpa: number): number {
  buf[off] = 0;
  buf[off + 1] = ARP_HTYPE_ETHERNET;
  buf[off + 2] = ETHERTYPE_IPV4 >>> 8;
  buf[off + 3] = ETHERTYPE_IPV4 & 0xff;
  buf[off + ARP_HLEN_OFF] = 6;
  buf[off + ARP_PLEN_OFF] = 4;
  buf[off + ARP_OP_OFF] = op >>> 8;
  buf[off + ARP_OP_OFF + 1] = op & 0xff;
  writeMac(buf, off + ARP_SHA_OFF, sha);
  writeIpv4(buf, off + ARP_SPA_OFF, spa);
  writeMac(buf, off + ARP_THA_OFF, tha);
  writeIpv4(buf, off + ARP_TPA_OFF, tpa);
  return ARP_LEN;
}

// ---- control path ----

export interface ArpPacket {
  /** 1 request, 2 reply (others are passed through) */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function decodeArp(buf: Buffer, off: number, len: number): ArpPacket | Malformed {
  const bad = needBytes(buf, off, len, ARP_LEN, 'Ethernet/IPv4 ARP packet');
  if (bad) return bad;
  if (!arpIsEthIpv4(buf, off, len)) {
    return malformed(
      `unsupported ARP: hardware type ${buf.readUInt16BE(off)} protocol 0x${buf.readUInt16BE(off + 2).toString(16)} ` +
        `lengths ${buf[off + 4]}/${buf[off + 5]}, only Ethernet/IPv4 (1, 0x800, 6/4) is handled`,
    );
  }
  return {
    op: arpOp(buf, off),
    senderMac: macToString(arpSenderMac(buf, off)),
    senderIp: ipv4ToString(arpSenderIp(buf, off)),
    targetMac: macToString(arpTargetMac(buf, off)),
    targetIp: ipv4ToString(arpTargetIp(buf, off)),
  };
}

export function encodeArp(f: ArpPacket, buf: Uint8Array, off: number): number {
  ensureRoom(buf, off, ARP_LEN, 'an ARP packet');
  checkUint(f.op, 0xffff, 'ARP operation');
  return writeArp(buf, off, f.op, parseMac(f.senderMac), parseIpv4(f.senderIp), parseMac(f.targetMac), parseIpv4(f.targetIp));
}

/** A broadcast Ethernet frame carrying "who has targetIp? tell senderIp" (42 bytes, unpadded). */
export function buildArpRequest(senderMac: string, senderIp: string, targetIp: string): Buffer {
  const b = Buffer.alloc(ETH_HEADER_LEN + ARP_LEN);
  const sha = parseMac(senderMac);
  writeEthHeader(b, 0, MAC_BROADCAST, sha, ETHERTYPE_ARP);
  writeArp(b, ETH_HEADER_LEN, ARP_OP_REQUEST, sha, parseIpv4(senderIp), 0, parseIpv4(targetIp));
  return b;
}

/** The Ethernet frame answering an ARP request for `request.targetIp` with `answerMac`, sent back
 *  to the requester (as a proxy-ARP responder on a switch does). */
export function buildArpReply(request: ArpPacket, answerMac: string): Buffer {
  const b = Buffer.alloc(ETH_HEADER_LEN + ARP_LEN);
  const sha = parseMac(answerMac);
  const tha = parseMac(request.senderMac);
  writeEthHeader(b, 0, tha, sha, ETHERTYPE_ARP);
  writeArp(b, ETH_HEADER_LEN, ARP_OP_REPLY, sha, parseIpv4(request.targetIp), tha, parseIpv4(request.senderIp));
  return b;
}
