// MAC addresses as 48-bit numbers (convention 1: numbers in the FDB, strings only at the edges).
// A JS number holds 48 bits exactly, so the switch keys its forwarding table by readMac() with no
// allocation. Used by ethernet.ts, arp.ts, the switch and the control plane.
import { badRequest } from '../errors.js';

// From the spec (IEEE 802-2014 section 8.2): bit 0 of the first octet is the I/G (group) bit.
export const MAC_BROADCAST = 0xffffffffffff;
const FIRST_OCTET = 0x10000000000; // 2^40

/** Reads 6 bytes at off as a number (first octet most significant). */
export function readMac(buf: Uint8Array, off: number): number {
  const hi = (buf[off] << 8) | buf[off + 1];
  const lo = ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0;
  return hi * 0x100000000 + lo;
}

/** Writes a 48-bit MAC number as 6 bytes at off. */
export function writeMac(buf: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac >>> 0;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi & 0xff;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

export function isBroadcastMac(mac: number): boolean {
  return mac === MAC_BROADCAST;
}

/** True for group addresses (multicast and broadcast): the I/G bit is set. */
export function isMulticastMac(mac: number): boolean {
  return (Math.floor(mac / FIRST_OCTET) & 1) === 1;
}

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/** "02:42:ac:11:00:02" (lower case, colon separated). */
export function macToString(mac: number): string {
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac >>> 0;
  return `${HEX[hi >>> 8]}:${HEX[hi & 0xff]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

const MAC_RE = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

/** Parses "02:42:ac:11:00:02" (or with '-') to a number, or null if it is not a MAC address. */
export function tryParseMac(s: string): number | null {
  const m = MAC_RE.exec(s.trim());
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 6; i++) n = n * 256 + parseInt(m[i], 16);
  return n;
}

/** Parses a MAC string; throws a TsnetError (EBADMAC) if it is not one. */
export function parseMac(s: string): number {
  const n = tryParseMac(s);
  if (n === null) throw badRequest('EBADMAC', `"${s}" is not a MAC address; write six hex octets like 02:42:ac:11:00:02.`);
  return n;
}
