// DNS domain names on the wire (RFC 1035 section 3.1 labels, section 4.1.4 compression): reading with
// pointer-following and loop protection, writing with suffix compression. Used by dns.ts only.
//
// RFC 1035 section 4.1.4, a compression pointer (two octets) in place of the rest of a name:
//
//    +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//    | 1  1|                OFFSET                   |
//    +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//
// Names are presented as dotted text without the trailing dot ("" is the root). Label bytes other than
// letters, digits, '-' and '_' are written \DDD (and '.' and '\' as \. and \\), RFC 1035 section 5.1
// style, so any label round-trips.
import { type Malformed, malformed } from './malformed.js';
import { badRequest, internal } from '../errors.js';

// From the spec (RFC 1035 sections 2.3.4 and 4.1.4)
export const DNS_MAX_LABEL = 63;
export const DNS_MAX_NAME = 255;
export const DNS_POINTER_MASK = 0xc0;
export const DNS_MAX_POINTER_OFFSET = 0x3fff;

export interface NameRead {
  name: string;
  /** position just after the name where it started (after the first pointer, if any) */
  next: number;
}

function labelToText(buf: Uint8Array, start: number, n: number): string {
  let s = '';
  for (let i = start; i < start + n; i++) {
    const c = buf[i];
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
    if (ok) s += String.fromCharCode(c);
    else if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else s += '\\' + c.toString().padStart(3, '0');
  }
  return s;
}

/** Reads the name at `pos` of the message that starts at msgOff and ends at msgEnd. Pointers must point
 *  strictly backwards (which rules out loops) and the name may not exceed 255 octets. */
export function readName(buf: Uint8Array, msgOff: number, msgEnd: number, pos: number): NameRead | Malformed {
  const labels: string[] = [];
  let wireLen = 1; // the root label
  let next = -1;
  let limit = pos; // a pointer must point before the start of the labels it replaces
  for (;;) {
    if (pos >= msgEnd) return malformed(`truncated: name runs past the end of the message at offset ${pos - msgOff}`);
    const n = buf[pos];
    if ((n & DNS_POINTER_MASK) === DNS_POINTER_MASK) {
      if (pos + 2 > msgEnd) return malformed(`truncated: compression pointer at offset ${pos - msgOff} needs 2 bytes`);
      const target = msgOff + (((n & 0x3f) << 8) | buf[pos + 1]);
      if (next < 0) next = pos + 2;
      if (target >= limit) return malformed(`bad compression pointer at offset ${pos - msgOff}: points forward or loops to ${target - msgOff}`);
      limit = target;
      pos = target;
      continue;
    }
    if ((n & DNS_POINTER_MASK) !== 0) return malformed(`unsupported label type 0x${(n & DNS_POINTER_MASK).toString(16)} at offset ${pos - msgOff}`);
    if (n === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.'), next };
    }
    if (pos + 1 + n > msgEnd) return malformed(`truncated: label of ${n} bytes at offset ${pos - msgOff} runs past the message`);
    wireLen += n + 1;
    if (wireLen > DNS_MAX_NAME) return malformed(`name longer than ${DNS_MAX_NAME} octets`);
    labels.push(labelToText(buf, pos + 1, n));
    pos += 1 + n;
  }
}

/** Splits presentation text into label byte arrays; throws EWIRE_FIELD on an invalid name. */
export function nameToLabels(name: string): Uint8Array[] {
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '') return [];
  if (!text.includes('\\') && /^[\x21-\x7e]+$/.test(text) && text.length < DNS_MAX_NAME - 1) {
    // fast path: plain printable ASCII, no escapes
    const parts = text.split('.');
    if (parts.every((p) => p.length > 0 && p.length <= DNS_MAX_LABEL)) return parts.map((p) => Buffer.from(p, 'latin1'));
  }
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let total = 1;
  const fail = (why: string) => badRequest('EWIRE_FIELD', `DNS name "${name}" is invalid: ${why}.`);
  const finish = () => {
    if (cur.length === 0) throw fail('empty label');
    if (cur.length > DNS_MAX_LABEL) throw fail(`a label is longer than ${DNS_MAX_LABEL} bytes`);
    total += cur.length + 1;
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '.') { finish(); continue; }
    if (ch === '\\') {
      const d = /^\d{3}/.exec(text.slice(i + 1, i + 4));
      if (d) {
        const v = Number(d[0]);
        if (v > 255) throw fail(`escape \\${d[0]} is above 255`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(++i) & 0xff);
      } else throw fail('it ends with a lone backslash');
      continue;
    }
    const c = text.charCodeAt(i);
    if (c > 0xff) throw fail('it has a non-Latin-1 character (use punycode)');
    cur.push(c);
  }
  finish();
  if (total > DNS_MAX_NAME) throw fail(`it is longer than ${DNS_MAX_NAME} octets`);
  return labels;
}

/** Suffix -> offset (from the start of the message) of names already written, for compression. */
export type CompressionTable = Map<string, number>;

/** Writes a name at pos (absolute), compressing against `table` if given; returns the next position.
 *  Exact-case suffixes are matched, so decoding gives back the same text. With `point` false the name
 *  is written in full but its suffixes still become pointer targets for later names. */
export function writeName(name: string, buf: Uint8Array, msgOff: number, pos: number, end: number, table?: CompressionTable, point = true): number {
  const labels = nameToLabels(name);
  const room = (n: number) => {
    if (pos + n > end) throw internal('EWIRE_SPACE', `no room to encode the DNS name "${name}" in a ${end - msgOff}-byte buffer.`);
  };
  const texts = table ? labels.map((l) => String.fromCharCode(...l)) : [];
  for (let i = 0; i < labels.length; i++) {
    const key = table ? texts.slice(i).join('\u0000') : '';
    const at = point ? table?.get(key) : undefined;
    if (at !== undefined) {
      room(2);
      buf[pos] = DNS_POINTER_MASK | (at >>> 8);
      buf[pos + 1] = at & 0xff;
      return pos + 2;
    }
    if (table && pos - msgOff <= DNS_MAX_POINTER_OFFSET && !table.has(key)) table.set(key, pos - msgOff);
    const l = labels[i];
    room(1 + l.length);
    buf[pos] = l.length;
    buf.set(l, pos + 1);
    pos += 1 + l.length;
  }
  room(1);
  buf[pos] = 0;
  return pos + 1;
}
