// Builders of plain Ethernet + IPv4/IPv6 + UDP datagrams with complete checksums, for the UDP
// coalescer and TAP port unit tests (addresses and the reference checksum from tcp-frames.ts).
import { payloadAt, pseudo, refChecksum, writeEthIp } from './tcp-frames.js';

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
  writeEthIp(f, { ...d, id: d.id ?? 0x2000 }, UDP, l4Len);
  const ip = 14;
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
