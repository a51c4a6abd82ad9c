// Builders of plain Ethernet + IPv4/IPv6 + TCP segments with complete checksums, and a reference
// checksum written independently of src/ (byte by byte), for the coalescer and TAP port unit tests
// (test/unit/dataplane-tcp-coalescer.test.ts, dataplane-tap-port.test.ts). A "flow" is the constant
// part (addresses, ports, ack, options); segment() fills in seq, flags, id and the payload.

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

/** The TCP pseudo-header bytes for a TCP length (RFC 9293 section 3.1, RFC 8200 section 8.1). */
export function pseudo(v6: boolean, l4Len: number): number[] {
  return v6
    ? [...SRC6, ...DST6, 0, 0, l4Len >>> 8, l4Len & 0xff, 0, 0, 0, 6]
    : [...SRC4, ...DST4, 0, 6, l4Len >>> 8, l4Len & 0xff];
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

/** A complete Ethernet frame: 14 + 20/40 + 20 + options + payload bytes, checksums valid. */
export function segment(flow: Flow, s: Seg): Buffer {
  const v6 = flow.v6 ?? false;
  const opts = flow.tcpOptions ?? [];
  const tcpLen = 20 + opts.length;
  const ipLen = v6 ? 40 : 20;
  const l4Len = tcpLen + s.payload.length;
  const f = Buffer.alloc(14 + ipLen + l4Len);
  f.set(flow.dstMac ?? [0x02, 0, 0, 0, 0, 2], 0);
  f.set([0x02, 0, 0, 0, 0, 1], 6);
  f.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const ip = 14;
  if (v6) {
    f.set([0x60 | ((flow.tos ?? 0) >>> 4), ((flow.tos ?? 0) & 0x0f) << 4 | 0x0a, 0xbc, 0xde], ip);
    f.writeUInt16BE(l4Len, ip + 4);
    f[ip + 6] = 6;
    f[ip + 7] = flow.ttl ?? 64;
    f.set(SRC6, ip + 8);
    f.set(DST6, ip + 24);
  } else {
    f[ip] = 0x45;
    f[ip + 1] = flow.tos ?? 0;
    f.writeUInt16BE(20 + l4Len, ip + 2);
    f.writeUInt16BE(s.id ?? 0x1000, ip + 4);
    f.writeUInt16BE(flow.df === false ? 0 : 0x4000, ip + 6);
    f[ip + 8] = flow.ttl ?? 64;
    f[ip + 9] = 6;
    f.set(SRC4, ip + 12);
    f.set(DST4, ip + 16);
    f.writeUInt16BE(refChecksum(f.subarray(ip, ip + 20)), ip + 10);
  }
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
