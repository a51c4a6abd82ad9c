// VXLAN header (RFC 7348). Used by the VTEP on every frame: writeVxlanHeader in the headroom in front
// of an inner Ethernet frame (encapsulate in place, convention 2), vxlanValid/vxlanVni on receive.
//
// RFC 7348 section 5, VXLAN Header:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |R|R|R|R|I|R|R|R|            Reserved                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                VXLAN Network Identifier (VNI) |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The I flag (0x08) must be 1 for a valid VNI; reserved bits are zero on send and ignored on receive.
// Outer UDP destination port 4789 (IANA). The inner Ethernet frame follows the 8-byte header.
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';

// From the spec (RFC 7348 section 5)
export const VXLAN_FLAGS_OFF = 0;
export const VXLAN_VNI_OFF = 4;
export const VXLAN_HEADER_LEN = 8;
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_PORT = 4789;
export const VXLAN_VNI_MAX = 0xffffff;

// ---- hot path ----

/** True if (buf, off, len) holds at least a VXLAN header with the I flag set. */
export function vxlanValid(buf: Uint8Array, off: number, len: number): boolean {
  return len >= VXLAN_HEADER_LEN && (buf[off + VXLAN_FLAGS_OFF] & VXLAN_FLAG_I) !== 0;
}

/** The 24-bit VNI (caller checked vxlanValid). */
export function vxlanVni(buf: Uint8Array, off: number): number {
  return (buf[off + VXLAN_VNI_OFF] << 16) | (buf[off + VXLAN_VNI_OFF + 1] << 8) | buf[off + VXLAN_VNI_OFF + 2];
}

/** Writes the 8-byte header (I flag, VNI, reserved zero) at off; returns VXLAN_HEADER_LEN.
 *  Caller ensures room and 0 <= vni <= 0xffffff. */
export function writeVxlanHeader(buf: Uint8Array, off: number, vni: number): number {
  buf[off] = VXLAN_FLAG_I;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = vni >>> 16;
  buf[off + 5] = (vni >>> 8) & 0xff;
  buf[off + 6] = vni & 0xff;
  buf[off + 7] = 0;
  return VXLAN_HEADER_LEN;
}

// ---- control path ----

export interface VxlanPacket {
  /** the whole flags byte as received (reserved bits included) */
  flags: number;
  vni: number;
  /** the inner Ethernet frame, a view */
  payload: Buffer;
}

export function decodeVxlan(buf: Buffer, off: number, len: number): VxlanPacket | Malformed {
  const bad = needBytes(buf, off, len, VXLAN_HEADER_LEN, 'VXLAN header');
  if (bad) return bad;
  const flags = buf[off + VXLAN_FLAGS_OFF];
  if ((flags & VXLAN_FLAG_I) === 0) return malformed(`VXLAN I flag not set (flags 0x${flags.toString(16).padStart(2, '0')}): no valid VNI`);
  return { flags, vni: vxlanVni(buf, off), payload: buf.subarray(off + VXLAN_HEADER_LEN, off + len) };
}

export interface VxlanFields {
  vni: number;
  payload?: Uint8Array;
}

/** Writes header (reserved bits zero) and inner frame at off; returns bytes written. */
export function encodeVxlan(f: VxlanFields, buf: Uint8Array, off: number): number {
  checkUint(f.vni, VXLAN_VNI_MAX, 'VNI');
  const len = VXLAN_HEADER_LEN + (f.payload?.length ?? 0);
  ensureRoom(buf, off, len, 'a VXLAN packet');
  writeVxlanHeader(buf, off, f.vni);
  if (f.payload) buf.set(f.payload, off + VXLAN_HEADER_LEN);
  return len;
}

export function buildVxlan(f: VxlanFields): Buffer {
  const b = Buffer.alloc(VXLAN_HEADER_LEN + (f.payload?.length ?? 0));
  encodeVxlan(f, b, 0);
  return b;
}
