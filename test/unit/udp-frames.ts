// Builders of plain Ethernet + IPv4/IPv6 + UDP datagrams with complete checksums, for the UDP
// coalescer and TAP port unit tests (addresses and the reference checksum from tcp-frames.ts).
import { DST4, DST6, SRC4, SRC6, payloadAt, pseudo, refChecksum } from './tcp-frames.js';

export const UDP = 17;

export interface Dgram {
  v6?: boolean;
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
  tos?: number;
  id?: number;
  payload: Buffer;
  badChecksum?: boolean;
  noChecksum?: boolean;
}

/** A complete Ethernet + IPv4/IPv6 + UDP frame, checksums valid (unless asked otherwise). */
export function datagram(d: Dgram): Buffer {
  const v6 = d.v6 ?? false;
  const ipLen = v6 ? 40 : 20;
  const l4Len = 8 + d.payload.length;
  const f = Buffer.alloc(14 + ipLen + l4Len);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0);
  f.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const ip = 14;
  if (v6) {
    f.set([0x60 | ((d.tos ?? 0) >>> 4), ((d.tos ?? 0) & 0x0f) << 4, 0, 0], ip);
    f.writeUInt16BE(l4Len, ip + 4);
    f[ip + 6] = UDP;
    f[ip + 7] = d.ttl ?? 64;
    f.set(SRC6, ip + 8);
    f.set(DST6, ip + 24);
  } else {
    f[ip] = 0x45;
    f[ip + 1] = d.tos ?? 0;
    f.writeUInt16BE(20 + l4Len, ip + 2);
    f.writeUInt16BE(d.id ?? 0x2000, ip + 4);
    f.writeUInt16BE(0x4000, ip + 6);
    f[ip + 8] = d.ttl ?? 64;
    f[ip + 9] = UDP;
    f.set(SRC4, ip + 12);
    f.set(DST4, ip + 16);
    f.writeUInt16BE(refChecksum(f.subarray(ip, ip + 20)), ip + 10);
  }
  const u = ip + ipLen;
  f.writeUInt16BE(d.srcPort ?? 40000, u);
  f.writeUInt16BE(d.dstPort ?? 5201, u + 2);
  f.writeUInt16BE(l4Len, u + 4);
  d.payload.copy(f, u + 8);
  if (!d.noChecksum) {
    const c = refChecksum([...pseudo(v6, l4Len, UDP), ...f.subarray(u)]) || 0xffff;
    f.writeUInt16BE(d.badChecksum ? c ^ 0x0101 : c, u + 6);
  }
  return f;
}

/** `count` datagrams of `size` bytes of one flow (ids counting up). */
export function stream(count: number, size: number, base: Omit<Dgram, 'payload'> = {}): Buffer[] {
  return Array.from({ length: count }, (_, i) => datagram({ ...base, id: 0x2000 + i, payload: payloadAt(i * size, size) }));
}
