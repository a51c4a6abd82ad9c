// IPv4 and IPv6 address helpers: IPv4 addresses as unsigned 32-bit numbers on the hot path, both
// families as strings at the edges (decoded objects, control plane). IPv6 text follows RFC 5952
// (lower case, longest run of zero groups compressed). Used by the ipv4/ipv6/arp/udp/dns codecs.
import { badRequest } from '../errors.js';

/** Reads 4 bytes at off as an unsigned 32-bit number. */
export function readIpv4(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function writeIpv4(buf: Uint8Array, off: number, ip: number): void {
  buf[off] = ip >>> 24;
  buf[off + 1] = (ip >>> 16) & 0xff;
  buf[off + 2] = (ip >>> 8) & 0xff;
  buf[off + 3] = ip & 0xff;
}

export function ipv4ToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Parses dotted-quad text (1-3 decimal digits per part, no leading sign), or returns null. */
export function tryParseIpv4(s: string): number | null {
  let n = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + part;
}

/** Parses dotted-quad text; throws a TsnetError (EBADIP) otherwise. */
export function parseIpv4(s: string): number {
  const n = tryParseIpv4(s);
  if (n === null) throw badRequest('EBADIP', `"${s}" is not an IPv4 address; write it as four numbers like 10.0.0.1.`);
  return n;
}

/** Formats the 16 bytes at off as RFC 5952 text. */
export function ipv6ToString(buf: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 section 4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes at off; returns false if invalid. */
export function tryWriteIpv6(s: string, buf: Uint8Array, off: number): boolean {
  let text = s.trim();
  const groups: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const n = tryParseIpv4(v4[1]);
    if (n === null) return false;
    tail = [n >>> 16, n & 0xffff];
    text = text.slice(0, text.length - v4[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const p of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return false;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return false;
  groups.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  for (let i = 0; i < 8; i++) {
    buf[off + 2 * i] = groups[i] >>> 8;
    buf[off + 2 * i + 1] = groups[i] & 0xff;
  }
  return true;
}

/** Writes IPv6 text as 16 bytes at off; throws a TsnetError (EBADIP) if it is not an IPv6 address. */
export function writeIpv6(s: string, buf: Uint8Array, off: number): void {
  if (!tryWriteIpv6(s, buf, off)) throw badRequest('EBADIP', `"${s}" is not an IPv6 address; write it like fd00::1.`);
}
