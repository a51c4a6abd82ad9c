// DNS messages (RFC 1035 section 4): header, questions and resource records. A, AAAA, PTR and CNAME
// rdata are decoded to text; every other type is passed through as raw rdata bytes (RFC 3597). Names
// are compressed on encode and pointers followed (with loop protection) on decode, see dns-name.ts.
// Used by the embedded DNS responder (name discovery), capture views and tests.
//
// RFC 1035 section 4.1.1, Header:                  section 4.1.3, Resource record:
//                                 1  1  1  1  1  1
//   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+   +-------------------------------+
//  |                      ID                       |   /             NAME              /
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+   +-------------------------------+
//  |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |   |        TYPE   |    CLASS      |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+   +-------------------------------+
//  |         QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |   |              TTL              |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+   +-------------------------------+
//  question: NAME, TYPE (16), CLASS (16)               |   RDLENGTH    |  RDATA ...    /
//                                                      +-------------------------------+
// (AD and CD from RFC 4035 section 3.2.)
import { readName, writeName, type CompressionTable } from './dns-name.js';
import { readIpv4, writeIpv4, ipv4ToString, parseIpv4, ipv6ToString, writeIpv6 } from './ip-addr.js';
import { type Malformed, malformed, needBytes, isMalformed } from './malformed.js';
import { checkUint } from './room.js';
import { badRequest, internal } from '../errors.js';

// From the spec (RFC 1035 sections 3.2.2, 4.1; RFC 3596 for AAAA; RFC 6891 for OPT)
export const DNS_HEADER_LEN = 12;
export const DNS_PORT = 53;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_NS = 2;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_SOA = 6;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_MX = 15;
export const DNS_TYPE_TXT = 16;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_SRV = 33;
export const DNS_TYPE_OPT = 41;
export const DNS_TYPE_ANY = 255;
export const DNS_CLASS_IN = 1;
export const DNS_RCODE_NOERROR = 0;
export const DNS_RCODE_FORMERR = 1;
export const DNS_RCODE_SERVFAIL = 2;
export const DNS_RCODE_NXDOMAIN = 3;
export const DNS_RCODE_NOTIMP = 4;
export const DNS_RCODE_REFUSED = 5;

// Our choice: the largest message buildDns() will make (the UDP payload limit).
export const DNS_MAX_MESSAGE = 65535;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  /** for OPT this is the requestor's UDP payload size */
  class: number;
  /** for OPT this holds the extended RCODE, version and flags */
  ttl: number;
  /** A/AAAA: address text; CNAME/PTR: name text; other types: the raw rdata (a view when decoded) */
  data: string | Uint8Array;
}

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
}

export interface DnsMessage extends DnsFlags {
  id: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** What encodeDns takes: flags default to false/0 and sections to empty. */
export type DnsMessageFields = { id: number } & Partial<Omit<DnsMessage, 'id'>>;

const hasNameData = (type: number) => type === DNS_TYPE_CNAME || type === DNS_TYPE_PTR;

export function decodeDns(buf: Buffer, off: number, len: number): DnsMessage | Malformed {
  const bad = needBytes(buf, off, len, DNS_HEADER_LEN, 'DNS header');
  if (bad) return bad;
  const end = off + len;
  const flags = buf.readUInt16BE(off + 2);
  const counts = [buf.readUInt16BE(off + 4), buf.readUInt16BE(off + 6), buf.readUInt16BE(off + 8), buf.readUInt16BE(off + 10)];
  const msg: DnsMessage = {
    id: buf.readUInt16BE(off),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let pos = off + DNS_HEADER_LEN;
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, off, end, pos);
    if (isMalformed(n)) return malformed(`question ${i}: ${n.reason}`);
    if (n.next + 4 > end) return malformed(`truncated: question ${i} needs 4 bytes of type and class`);
    msg.questions.push({ name: n.name, type: buf.readUInt16BE(n.next), class: buf.readUInt16BE(n.next + 2) });
    pos = n.next + 4;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals];
  const names = ['answer', 'authority', 'additional'];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const rr = readRecord(buf, off, end, pos);
      if (isMalformed(rr)) return malformed(`${names[s]} ${i}: ${rr.reason}`);
      sections[s].push(rr.record);
      pos = rr.next;
    }
  }
  return msg;
}

function readRecord(buf: Buffer, off: number, end: number, pos: number): { record: DnsRecord; next: number } | Malformed {
  const n = readName(buf, off, end, pos);
  if (isMalformed(n)) return n;
  pos = n.next;
  if (pos + 10 > end) return malformed(`truncated: record needs 10 bytes after its name, ${end - pos} left`);
  const type = buf.readUInt16BE(pos);
  const klass = buf.readUInt16BE(pos + 2);
  const ttl = buf.readUInt32BE(pos + 4);
  const rdlen = buf.readUInt16BE(pos + 8);
  const rd = pos + 10;
  if (rd + rdlen > end) return malformed(`truncated: rdata of ${rdlen} bytes runs past the message`);
  let data: string | Uint8Array;
  if (type === DNS_TYPE_A && klass === DNS_CLASS_IN) {
    if (rdlen !== 4) return malformed(`A record with ${rdlen} bytes of rdata, expected 4`);
    data = ipv4ToString(readIpv4(buf, rd));
  } else if (type === DNS_TYPE_AAAA && klass === DNS_CLASS_IN) {
    if (rdlen !== 16) return malformed(`AAAA record with ${rdlen} bytes of rdata, expected 16`);
    data = ipv6ToString(buf, rd);
  } else if (hasNameData(type)) {
    const target = readName(buf, off, rd + rdlen, rd);
    if (isMalformed(target)) return malformed(`rdata: ${target.reason}`);
    if (target.next !== rd + rdlen) return malformed(`rdata length ${rdlen} does not match its name`);
    data = target.name;
  } else {
    data = buf.subarray(rd, rd + rdlen);
  }
  return { record: { name: n.name, type, class: klass, ttl, data }, next: rd + rdlen };
}

export interface DnsEncodeOptions {
  /** Also compress the names inside CNAME/PTR rdata. Default false: like dnsmasq, rdata names are
   *  written in full (and serve as pointer targets for later names), which old resolvers always parse. */
  compressRdata?: boolean;
}

/** Writes the message at off, owner names compressed; returns bytes written. Throws EWIRE_SPACE if buf
 *  is too small from off, EWIRE_FIELD for invalid fields. */
export function encodeDns(m: DnsMessageFields, buf: Uint8Array, off: number, opts: DnsEncodeOptions = {}): number {
  const end = buf.length;
  const room = (pos: number, n: number) => {
    if (pos + n > end) throw internal('EWIRE_SPACE', `no room to encode a DNS message in ${end - off} bytes.`);
  };
  const u16 = (pos: number, v: number) => { buf[pos] = v >>> 8; buf[pos + 1] = v & 0xff; };
  const qs = m.questions ?? [], an = m.answers ?? [], ns = m.authorities ?? [], ar = m.additionals ?? [];
  checkUint(m.id, 0xffff, 'DNS id');
  checkUint(m.opcode ?? 0, 15, 'DNS opcode');
  checkUint(m.rcode ?? 0, 15, 'DNS rcode');
  for (const [n, what] of [[qs.length, 'questions'], [an.length, 'answers'], [ns.length, 'authorities'], [ar.length, 'additionals']] as const) {
    checkUint(n, 0xffff, `number of DNS ${what}`);
  }
  room(off, DNS_HEADER_LEN);
  const flags =
    (m.qr ? 0x8000 : 0) | ((m.opcode ?? 0) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) | (m.z ? 0x0040 : 0) | (m.ad ? 0x0020 : 0) | (m.cd ? 0x0010 : 0) | (m.rcode ?? 0);
  u16(off, m.id);
  u16(off + 2, flags);
  u16(off + 4, qs.length);
  u16(off + 6, an.length);
  u16(off + 8, ns.length);
  u16(off + 10, ar.length);
  const table: CompressionTable = new Map();
  let pos = off + DNS_HEADER_LEN;
  for (const q of qs) {
    checkUint(q.type, 0xffff, 'DNS question type');
    checkUint(q.class, 0xffff, 'DNS question class');
    pos = writeName(q.name, buf, off, pos, end, table);
    room(pos, 4);
    u16(pos, q.type);
    u16(pos + 2, q.class);
    pos += 4;
  }
  for (const rr of [...an, ...ns, ...ar]) {
    checkUint(rr.type, 0xffff, 'DNS record type');
    checkUint(rr.class, 0xffff, 'DNS record class');
    checkUint(rr.ttl, 0xffffffff, 'DNS TTL');
    pos = writeName(rr.name, buf, off, pos, end, table);
    room(pos, 10);
    u16(pos, rr.type);
    u16(pos + 2, rr.class);
    buf[pos + 4] = rr.ttl >>> 24;
    buf[pos + 5] = (rr.ttl >>> 16) & 0xff;
    buf[pos + 6] = (rr.ttl >>> 8) & 0xff;
    buf[pos + 7] = rr.ttl & 0xff;
    const rd = pos + 10;
    let rdEnd: number;
    if (typeof rr.data !== 'string') {
      room(rd, rr.data.length);
      buf.set(rr.data, rd);
      rdEnd = rd + rr.data.length;
    } else if (rr.type === DNS_TYPE_A && rr.class === DNS_CLASS_IN) {
      room(rd, 4);
      writeIpv4(buf, rd, parseIpv4(rr.data));
      rdEnd = rd + 4;
    } else if (rr.type === DNS_TYPE_AAAA && rr.class === DNS_CLASS_IN) {
      room(rd, 16);
      writeIpv6(rr.data, buf, rd);
      rdEnd = rd + 16;
    } else if (hasNameData(rr.type)) {
      rdEnd = writeName(rr.data, buf, off, rd, end, table, opts.compressRdata ?? false);
    } else {
      throw badRequest('EWIRE_FIELD', `DNS record type ${rr.type} takes raw rdata bytes, not text "${rr.data}".`);
    }
    checkUint(rdEnd - rd, 0xffff, 'DNS rdata length');
    u16(pos + 8, rdEnd - rd);
    pos = rdEnd;
  }
  return pos - off;
}

/** Encodes into a new Buffer of exactly the message's size. */
export function buildDns(m: DnsMessageFields, opts: DnsEncodeOptions = {}): Buffer {
  const scratch = Buffer.alloc(DNS_MAX_MESSAGE);
  const n = encodeDns(m, scratch, 0, opts);
  return Buffer.from(scratch.subarray(0, n));
}
