// Ethernet II frames with at most one IEEE 802.1Q tag. Used by the switch on every frame (accessors)
// and by the control plane, capture views and tests (decodeEthernet / encodeEthernet).
//
// Ethernet II (IEEE 802.3 clause 3, Ethernet II framing; RFC 894), optional 802.1Q tag (IEEE 802.1Q-2018
// section 9.6):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Destination MAC (6 octets)                    |
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//   |                    Source MAC (6 octets)                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  EtherType (0x8100 = tagged)  | PCP |D|   VLAN ID (if tagged) |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  inner EtherType (if tagged)  |  payload ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { readMac, writeMac, macToString, parseMac } from './mac.js';
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';

// From the spec
export const ETH_DST_OFF = 0;
export const ETH_SRC_OFF = 6;
export const ETH_TYPE_OFF = 12;
export const ETH_HEADER_LEN = 14;
export const ETH_VLAN_TCI_OFF = 14; // tag control information, when ETH_TYPE_OFF holds 0x8100
export const ETH_VLAN_INNER_TYPE_OFF = 16;
export const ETH_VLAN_HEADER_LEN = 18;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Values below this in the type field are 802.3 lengths, not EtherTypes (IEEE 802.3 clause 3.2.6). */
export const ETHERTYPE_MIN = 0x0600;

// ---- hot path: no allocation; the caller has checked len >= ETH_HEADER_LEN unless a len is taken ----

export function ethDstMac(buf: Uint8Array, off: number): number {
  return readMac(buf, off + ETH_DST_OFF);
}

export function ethSrcMac(buf: Uint8Array, off: number): number {
  return readMac(buf, off + ETH_SRC_OFF);
}

/** The EtherType of the payload (the inner one for a tagged frame), or -1 if the frame is too short. */
export function ethType(buf: Uint8Array, off: number, len: number): number {
  if (len < ETH_HEADER_LEN) return -1;
  const t = (buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1];
  if (t !== ETHERTYPE_VLAN) return t;
  if (len < ETH_VLAN_HEADER_LEN) return -1;
  return (buf[off + ETH_VLAN_INNER_TYPE_OFF] << 8) | buf[off + ETH_VLAN_INNER_TYPE_OFF + 1];
}

/** The VLAN ID of a tagged frame, or -1 if untagged or too short. */
export function ethVlanId(buf: Uint8Array, off: number, len: number): number {
  if (len < ETH_VLAN_HEADER_LEN) return -1;
  if (((buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1]) !== ETHERTYPE_VLAN) return -1;
  return ((buf[off + ETH_VLAN_TCI_OFF] & 0x0f) << 8) | buf[off + ETH_VLAN_TCI_OFF + 1];
}

/** Length of the Ethernet header (14, or 18 with a tag), or -1 if the frame is too short. */
export function ethHeaderLen(buf: Uint8Array, off: number, len: number): number {
  if (len < ETH_HEADER_LEN) return -1;
  if (((buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1]) !== ETHERTYPE_VLAN) return ETH_HEADER_LEN;
  return len < ETH_VLAN_HEADER_LEN ? -1 : ETH_VLAN_HEADER_LEN;
}

/** Writes an untagged header (dst, src, type) at off; returns ETH_HEADER_LEN. Caller ensures room. */
export function writeEthHeader(buf: Uint8Array, off: number, dst: number, src: number, type: number): number {
  writeMac(buf, off + ETH_DST_OFF, dst);
  writeMac(buf, off + ETH_SRC_OFF, src);
  buf[off + ETH_TYPE_OFF] = type >>> 8;
  buf[off + ETH_TYPE_OFF + 1] = type & 0xff;
  return ETH_HEADER_LEN;
}

// ---- control path: plain objects ----

export interface VlanTag {
  /** priority code point, 3 bits */
  pcp: number;
  /** drop eligible indicator, 1 bit */
  dei: number;
  /** VLAN identifier, 12 bits */
  vid: number;
}

export interface EthernetFrame {
  dst: string;
  src: string;
  vlan?: VlanTag;
  /** EtherType of the payload (after the tag, if any) */
  ethertype: number;
  /** bytes after the header: a view into the decoded buffer, not a copy */
  payload: Buffer;
}

export function decodeEthernet(buf: Buffer, off: number, len: number): EthernetFrame | Malformed {
  const bad = needBytes(buf, off, len, ETH_HEADER_LEN, 'Ethernet header');
  if (bad) return bad;
  const outer = buf.readUInt16BE(off + ETH_TYPE_OFF);
  const frame: EthernetFrame = {
    dst: macToString(readMac(buf, off + ETH_DST_OFF)),
    src: macToString(readMac(buf, off + ETH_SRC_OFF)),
    ethertype: outer,
    payload: buf.subarray(off + ETH_HEADER_LEN, off + len),
  };
  if (outer === ETHERTYPE_VLAN) {
    if (len < ETH_VLAN_HEADER_LEN) return malformed(`truncated: ${len} bytes, 802.1Q-tagged Ethernet header needs ${ETH_VLAN_HEADER_LEN}`);
    const tci = buf.readUInt16BE(off + ETH_VLAN_TCI_OFF);
    frame.vlan = { pcp: tci >>> 13, dei: (tci >>> 12) & 1, vid: tci & 0x0fff };
    frame.ethertype = buf.readUInt16BE(off + ETH_VLAN_INNER_TYPE_OFF);
    frame.payload = buf.subarray(off + ETH_VLAN_HEADER_LEN, off + len);
  }
  return frame;
}

export interface EthernetFields {
  dst: string;
  src: string;
  vlan?: VlanTag;
  ethertype: number;
  payload?: Uint8Array;
}

/** Writes the header (tagged if fields.vlan) and the payload at off; returns bytes written. */
export function encodeEthernet(f: EthernetFields, buf: Uint8Array, off: number): number {
  const hlen = f.vlan ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  const plen = f.payload?.length ?? 0;
  ensureRoom(buf, off, hlen + plen, 'an Ethernet frame');
  checkUint(f.ethertype, 0xffff, 'EtherType');
  writeMac(buf, off + ETH_DST_OFF, parseMac(f.dst));
  writeMac(buf, off + ETH_SRC_OFF, parseMac(f.src));
  let typeOff = off + ETH_TYPE_OFF;
  if (f.vlan) {
    checkUint(f.vlan.pcp, 7, 'VLAN PCP');
    checkUint(f.vlan.dei, 1, 'VLAN DEI');
    checkUint(f.vlan.vid, 0x0fff, 'VLAN ID');
    buf[typeOff] = ETHERTYPE_VLAN >>> 8;
    buf[typeOff + 1] = ETHERTYPE_VLAN & 0xff;
    const tci = (f.vlan.pcp << 13) | (f.vlan.dei << 12) | f.vlan.vid;
    buf[off + ETH_VLAN_TCI_OFF] = tci >>> 8;
    buf[off + ETH_VLAN_TCI_OFF + 1] = tci & 0xff;
    typeOff = off + ETH_VLAN_INNER_TYPE_OFF;
  }
  buf[typeOff] = f.ethertype >>> 8;
  buf[typeOff + 1] = f.ethertype & 0xff;
  if (f.payload) buf.set(f.payload, off + hlen);
  return hlen + plen;
}

/** Allocates and returns a whole frame (for tests and control code). */
export function buildEthernet(f: EthernetFields): Buffer {
  const b = Buffer.alloc((f.vlan ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN) + (f.payload?.length ?? 0));
  encodeEthernet(f, b, 0);
  return b;
}
