// MAC addresses at the edges of the data plane. Inside the FDB a MAC is a 48-bit number
// (convention 1), handled on the hot path as two 24-bit halves so every value stays a small
// integer (never a boxed double). Strings exist only for display and for the control plane.
// Used by fdb.ts, switch.ts, the control plane (static entries) and the CLI (FDB listings).
import { badRequest } from '../errors.js';

// ---- from the spec (IEEE 802-2014 section 8.2) ----
/** Bit 0 of the first octet: the I/G (individual/group) bit; set for multicast and broadcast. */
export const MAC_GROUP_BIT = 0x01;
/** The broadcast address ff:ff:ff:ff:ff:ff as a number. */
export const MAC_BROADCAST = 0xffff_ffff_ffff;

// ---- our choice ----
const HALF = 0x100_0000; // 2^24: the FDB splits a MAC into high and low 24-bit halves

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Parses "aa:bb:cc:dd:ee:ff" (or with dashes) into a 48-bit number; throws EMACINVALID. */
export function macFromString(s: string): number {
  if (!MAC_RE.test(s)) {
    throw badRequest('EMACINVALID', `"${s}" is not a MAC address; write it as six hex bytes like 02:42:ac:11:00:02.`);
  }
  return parseInt(s.replace(/[:-]/g, ''), 16);
}

/** Formats a 48-bit number as "aa:bb:cc:dd:ee:ff". */
export function macToString(mac: number): string {
  const hex = mac.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** Accepts a MAC as a number or a string; throws EMACINVALID for anything that is not 48 bits. */
export function macValue(mac: number | string): number {
  if (typeof mac === 'string') return macFromString(mac);
  if (!Number.isInteger(mac) || mac < 0 || mac > MAC_BROADCAST) {
    throw badRequest('EMACINVALID', `${mac} is not a 48-bit MAC address number.`);
  }
  return mac;
}

/** Reads the 6 bytes at buf[off] as a 48-bit number. */
export function macRead(buf: Uint8Array, off: number): number {
  return macHigh(buf, off) * HALF + macLow(buf, off);
}

/** High 24 bits of the MAC at buf[off] (first three octets). */
export function macHigh(buf: Uint8Array, off: number): number {
  return (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
}

/** Low 24 bits of the MAC at buf[off] (last three octets). */
export function macLow(buf: Uint8Array, off: number): number {
  return (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5];
}

/** Writes a 48-bit MAC number at buf[off]. */
export function macWrite(buf: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / HALF);
  const lo = mac - hi * HALF;
  buf[off] = hi >>> 16;
  buf[off + 1] = (hi >>> 8) & 0xff;
  buf[off + 2] = hi & 0xff;
  buf[off + 3] = lo >>> 16;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

/** Splits a 48-bit MAC into its high 24 bits. */
export function macHi(mac: number): number {
  return Math.floor(mac / HALF);
}

/** Splits a 48-bit MAC into its low 24 bits. */
export function macLo(mac: number): number {
  return mac - Math.floor(mac / HALF) * HALF;
}

/** Joins two 24-bit halves into a 48-bit number. */
export function macJoin(hi: number, lo: number): number {
  return hi * HALF + lo;
}

/** True for group (multicast or broadcast) addresses. */
export function macIsGroup(mac: number): boolean {
  return (macHi(mac) >>> 16 & MAC_GROUP_BIT) !== 0;
}
