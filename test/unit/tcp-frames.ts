// Builders of plain Ethernet + IPv4/IPv6 + TCP segments with complete checksums, of TCP super-frames
// as a TAP with TSO delivers them (virtio-net header, partial checksum), and a reference checksum
// written independently of src/ (byte by byte), for the coalescer, segmenter, switch and TAP port
// unit tests. A "flow" is the constant part (addresses, ports, ack, options); segment() fills in
// seq, flags, id and the payload.

import { rng } from '../helpers/fault-rng.js';
import { writeVnetHdr, VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6 } from '../../src/wire/virtio-net-hdr.js';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

/** NOP NOP Timestamps (RFC 7323) with TSval `tsval`, as Linux sends on every data segment. */
export function tsOptions(tsval = 0x00123456): number[] {
  return [1, 1, 8, 10, tsval >>> 24, (tsval >>> 16) & 0xff, (tsval >>> 8) & 0xff, tsval & 0xff, 0x9a, 0xbc, 0xde, 0xf0];
}

/** One's complement sum of bytes as big-endian words, folded, not complemented. */
export function refFold(bytes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += i % 2 === 0 ? bytes[i] * 256 : bytes[i];
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}
export const refChecksum = (bytes: ArrayLike<number>): number => ~refFold(bytes) & 0xffff;

export const SRC4 = [192, 168, 77, 1], DST4 = [172, 16, 0, 2]; // above 2^30 as numbers: catches boxing
export const SRC6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const DST6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 2];

/** The pseudo-header bytes for an L4 length (RFC 9293 section 3.1, RFC 8200 section 8.1); TCP by default. */
export function pseudo(v6: boolean, l4Len: number, proto = 6): number[] {
  return v6
    ? [...SRC6, ...DST6, 0, 0, l4Len >>> 8, l4Len & 0xff, 0, 0, 0, proto]
    : [...SRC4, ...DST4, 0, proto, l4Len >>> 8, l4Len & 0xff];
}

export interface Flow {
  v6?: boolean;
  srcPort?: number;
  dstPort?: number;
  ack?: number;
  tcpOptions?: number[];
  ttl?: number;
  tos?: number;
  df?: boolean;
  window?: number;
  dstMac?: number[];
}

export interface Seg {
  seq: number;
  payload: Buffer;
  flags?: number;
  /** IPv4 id (default 0x1000) */
  id?: number;
  /** store a wrong TCP checksum */
  badChecksum?: boolean;
}

/** IP header fields of a test frame (defaults: TOS 0, TTL 64, id 0, DF set, flow label 0). */
export interface IpFields {
  v6?: boolean;
  tos?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  flowLabel?: number;
  dstMac?: number[];
}

/** Writes the Ethernet header (02:..:01 -> dstMac, default 02:..:02) and an IPv4 (valid header
 *  checksum) or IPv6 header between SRC and DST for `proto` with `l4Len` transport bytes at f[0]. */
export function writeEthIp(f: Buffer, o: IpFields, proto: number, l4Len: number): void {
  f.set(o.dstMac ?? [0x02, 0, 0, 0, 0, 2], 0);
  f.set([0x02, 0, 0, 0, 0, 1], 6);
  f.writeUInt16BE(o.v6 ? 0x86dd : 0x0800, 12);
  const ip = 14;
  const tos = o.tos ?? 0;
  if (o.v6) {
    const fl = o.flowLabel ?? 0;
    f.set([0x60 | (tos >>> 4), ((tos & 0x0f) << 4) | (fl >>> 16), (fl >>> 8) & 0xff, fl & 0xff], ip);
    f.writeUInt16BE(l4Len, ip + 4);
    f[ip + 6] = proto;
    f[ip + 7] = o.ttl ?? 64;
    f.set(SRC6, ip + 8);
    f.set(DST6, ip + 24);
  } else {
    f[ip] = 0x45;
    f[ip + 1] = tos;
    f.writeUInt16BE(20 + l4Len, ip + 2);
    f.writeUInt16BE(o.id ?? 0, ip + 4);
    f.writeUInt16BE(o.df === false ? 0 : 0x4000, ip + 6);
    f[ip + 8] = o.ttl ?? 64;
    f[ip + 9] = proto;
    f.set(SRC4, ip + 12);
    f.set(DST4, ip + 16);
    f.writeUInt16BE(refChecksum(f.subarray(ip, ip + 20)), ip + 10);
  }
}

/** A complete Ethernet frame: 14 + 20/40 + 20 + options + payload bytes, checksums valid. */
export function segment(flow: Flow, s: Seg): Buffer {
  const v6 = flow.v6 ?? false;
  const opts = flow.tcpOptions ?? [];
  const tcpLen = 20 + opts.length;
  const ipLen = v6 ? 40 : 20;
  const l4Len = tcpLen + s.payload.length;
  const f = Buffer.alloc(14 + ipLen + l4Len);
  writeEthIp(f, { ...flow, id: s.id ?? 0x1000, flowLabel: 0xabcde }, 6, l4Len);
  const ip = 14;
  const t = ip + ipLen;
  f.writeUInt16BE(flow.srcPort ?? 40000, t);
  f.writeUInt16BE(flow.dstPort ?? 5201, t + 2);
  f.writeUInt32BE(s.seq >>> 0, t + 4);
  f.writeUInt32BE((flow.ack ?? 0x11223344) >>> 0, t + 8);
  f[t + 12] = (tcpLen / 4) << 4;
  f[t + 13] = s.flags ?? ACK;
  f.writeUInt16BE(flow.window ?? 502, t + 14);
  f.set(opts, t + 20);
  s.payload.copy(f, t + tcpLen);
  const c = refChecksum([...pseudo(v6, l4Len), ...f.subarray(t)]);
  f.writeUInt16BE(s.badChecksum ? c ^ 0x0101 : c, t + 16);
  return f;
}

/** Deterministic payload bytes: `n` bytes starting at stream offset `at`. */
export function payloadAt(at: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = ((at + i) * 7919 + ((at + i) >>> 8)) & 0xff;
  return b;
}

/** `count` consecutive full segments of `mss` bytes from seq0 (ids counting up from id0). */
export function run(flow: Flow, seq0: number, mss: number, count: number, id0 = 0x1000, lastFlags = ACK): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(segment(flow, { seq: (seq0 + i * mss) >>> 0, payload: payloadAt(i * mss, mss), id: (id0 + i) & 0xffff, flags: i === count - 1 ? lastFlags : ACK }));
  }
  return out;
}

/** A TCP super-frame as a TAP with TSO delivers it (test/unit/dataplane-gso-segmenter.test.ts, dataplane-switch-offload.test.ts). */
export interface SuperFrameSpec {
  v6?: boolean;
  vlan?: boolean;
  ipOptionWords?: number;
  tcpOptions?: number[];
  payloadLen: number;
  mss: number;
  flags: number;
  seq?: number;
  id?: number;
  gsoType?: number;
  seed?: number;
}

export interface SuperFrame {
  buf: Buffer;
  hdrOff: number;
  off: number;
  len: number;
  ethLen: number;
  ipLen: number;
  tcpLen: number;
  payload: Buffer;
}

/** NOP NOP Timestamps (RFC 7323), as Linux sends on every data segment. */
export const TS_OPTS = tsOptions();
/** Bytes before the virtio header: frames at odd-ish offsets. */
const PAD = 6;

/** The frame at `off` with its virtio-net header (NEEDS_CSUM, TSO) at `hdrOff`, the TCP checksum
 *  field holding the pseudo-header sum only, payload from a seeded PRNG. */
export function buildSuperFrame(s: SuperFrameSpec): SuperFrame {
  const v6 = s.v6 ?? false;
  const ethLen = s.vlan ? 18 : 14;
  const ipLen = v6 ? 40 : 20 + 4 * (s.ipOptionWords ?? 0);
  const opts = s.tcpOptions ?? [];
  const tcpLen = 20 + opts.length;
  const r = rng(s.seed ?? 99);
  const payload = r.bytes(s.payloadLen);
  const len = ethLen + ipLen + tcpLen + s.payloadLen;
  const buf = Buffer.alloc(PAD + VIRTIO_NET_HDR_LEN + len + 3, 0xa5); // + trailing junk past the frame
  const hdrOff = PAD, off = PAD + VIRTIO_NET_HDR_LEN;
  let p = off;
  buf.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], p);
  p += 12;
  if (s.vlan) {
    buf.set([0x81, 0x00, 0x20, 0x64], p); // PCP 1, VID 100
    p += 4;
  }
  buf.writeUInt16BE(v6 ? 0x86dd : 0x0800, p);
  p += 2;
  const ip = p;
  if (v6) {
    buf.set([0x60, 0x0a, 0xbc, 0xde], ip); // traffic class 0x00 | flow label 0xabcde
    buf.writeUInt16BE(tcpLen + s.payloadLen, ip + 4);
    buf[ip + 6] = 6;
    buf[ip + 7] = 64;
    buf.set(SRC6, ip + 8);
    buf.set(DST6, ip + 24);
  } else {
    buf[ip] = 0x40 | (ipLen / 4);
    buf[ip + 1] = 0x02; // ECT(0)
    buf.writeUInt16BE(ipLen + tcpLen + s.payloadLen, ip + 2);
    buf.writeUInt16BE(s.id ?? 0x1234, ip + 4);
    buf.writeUInt16BE(0x4000, ip + 6); // DF
    buf[ip + 8] = 64;
    buf[ip + 9] = 6;
    buf.set(SRC4, ip + 12);
    buf.set(DST4, ip + 16);
    for (let i = 20; i < ipLen; i++) buf[ip + i] = 1; // NOP options
    buf.writeUInt16BE(0, ip + 10);
    buf.writeUInt16BE(refChecksum(buf.subarray(ip, ip + ipLen)), ip + 10);
  }
  const t = ip + ipLen;
  buf.writeUInt16BE(40000, t);
  buf.writeUInt16BE(5201, t + 2);
  buf.writeUInt32BE(s.seq ?? 1_000_000, t + 4);
  buf.writeUInt32BE(0x11223344, t + 8);
  buf[t + 12] = (tcpLen / 4) << 4;
  buf[t + 13] = s.flags;
  buf.writeUInt16BE(502, t + 14);
  // what the kernel leaves for CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented
  buf.writeUInt16BE(refFold(pseudo(v6, tcpLen + s.payloadLen)), t + 16);
  buf.writeUInt16BE(0, t + 18);
  buf.set(opts, t + 20);
  payload.copy(buf, t + tcpLen);
  const gso = s.gsoType ?? (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
  writeVnetHdr(buf, hdrOff, VIRTIO_NET_HDR_F_NEEDS_CSUM, gso, ethLen + ipLen + tcpLen, s.mss, t - off, 16);
  return { buf, hdrOff, off, len, ethLen, ipLen, tcpLen, payload };
}
