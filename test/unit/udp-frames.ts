// Builders of plain Ethernet + IPv4/IPv6 + UDP datagrams with complete checksums, for the UDP
// coalescer and TAP port unit tests (addresses and the reference checksum from tcp-frames.ts), and
// of UDP super-frames (UDP_L4) with the datagrams Linux would cut them into, for the segmenter tests.
import { payloadAt, pseudo, refChecksum, refFold, writeEthIp } from './tcp-frames.js';
import { HEADROOM } from '../../src/dataplane/port.js';
import { VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4, writeVnetHdr } from '../../src/wire/virtio-net-hdr.js';

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

/** A UDP_SEGMENT send as a TAP with USO hands it over (see udpSuperFrame). */
export interface UdpSuperFrameSpec {
  v6?: boolean;
  payloadLen: number;
  gsoSize: number;
  id?: number;
  /** bytes of the payload replaced before the frame is built (to steer a checksum) */
  patch?: { at: number; bytes: number[] };
}

const SEND: Omit<Dgram, 'payload'> = { srcPort: 44321, dstPort: 4433 };

function payloadOf(s: UdpSuperFrameSpec): Buffer {
  const p = payloadAt(0, s.payloadLen);
  if (s.patch) p.set(s.patch.bytes, s.patch.at);
  return p;
}

/** The super-frame at HEADROOM + 10 in a buffer with junk after it, its virtio header before it. */
export function udpSuperFrame(s: UdpSuperFrameSpec): { buf: Buffer; off: number; len: number; hdrOff: number } {
  const frame = datagram({ ...SEND, v6: s.v6, id: s.id ?? 0x7ffe, payload: payloadOf(s) });
  const l4 = 14 + (s.v6 ? 40 : 20);
  // the kernel leaves the pseudo-header sum in the field (CHECKSUM_PARTIAL); any value must do
  frame.writeUInt16BE(refFold(pseudo(s.v6 ?? false, frame.length - l4, UDP)), l4 + 6);
  const off = HEADROOM + VIRTIO_NET_HDR_LEN;
  const buf = Buffer.alloc(off + frame.length + 5, 0x5a);
  frame.copy(buf, off);
  writeVnetHdr(buf, HEADROOM, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4, l4 + 8, s.gsoSize, l4, 6);
  return { buf, off, len: frame.length, hdrOff: HEADROOM };
}

/** The datagrams Linux would put on the wire for this send. */
export function udpSuperFrameDatagrams(s: UdpSuperFrameSpec): Buffer[] {
  const p = payloadOf(s);
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < p.length || i === 0; at += s.gsoSize, i++) {
    out.push(datagram({ ...SEND, v6: s.v6, id: ((s.id ?? 0x7ffe) + i) & 0xffff, payload: p.subarray(at, Math.min(p.length, at + s.gsoSize)) }));
  }
  return out;
}
