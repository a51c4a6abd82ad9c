// The virtio-net header (struct virtio_net_hdr) that a TAP opened with IFF_VNET_HDR puts in front of
// every frame it reads and expects in front of every frame it is given. It says whether the frame still
// needs its L4 checksum (NEEDS_CSUM: partial checksum at csum_start + csum_offset) and whether it is a
// TCP/UDP super-frame to be cut into gso_size pieces (GSO). Used by the TAP port (native side reads it)
// and by src/dataplane/gso-segmenter.ts, which turns such frames into plain ones.
//
// include/uapi/linux/virtio_net.h, struct virtio_net_hdr (10 bytes; virtio 1.x section 5.1.6):
//
//    0               1               2               3
//   +---------------+---------------+---------------+---------------+
//   |     flags     |   gso_type    |            hdr_len            |
//   +---------------+---------------+---------------+---------------+
//   |           gso_size            |           csum_start          |
//   +---------------+---------------+---------------+---------------+
//   |          csum_offset          |   (frame follows)
//   +---------------+---------------+
//
// The 16-bit fields are little-endian: tun converts them with tun16_to_cpu(), which is little-endian
// unless TUNSETVNETBE was set (never, by us) on a legacy big-endian host. csum_start is counted from the
// start of the Ethernet frame; csum_offset from csum_start. gso_size is the MSS (payload bytes per
// segment); hdr_len is a hint (length of the headers) that readers must not trust.
import { type Malformed, malformed, needBytes } from './malformed.js';
import { ensureRoom, checkUint } from './room.js';

// From the spec (include/uapi/linux/virtio_net.h)
export const VIRTIO_NET_HDR_LEN = 10;
/** With VIRTIO_NET_F_MRG_RXBUF a u16 num_buffers follows (12 bytes); tun never uses it unless
 *  TUNSETVNETHDRSZ sets 12, which we do not. */
export const VIRTIO_NET_HDR_MRG_LEN = 12;
export const VNET_FLAGS_OFF = 0;
export const VNET_GSO_TYPE_OFF = 1;
export const VNET_HDR_LEN_OFF = 2;
export const VNET_GSO_SIZE_OFF = 4;
export const VNET_CSUM_START_OFF = 6;
export const VNET_CSUM_OFFSET_OFF = 8;
/** flags: the checksum over [csum_start, end) still has to be computed and stored at csum_start + csum_offset */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** flags: the checksum was already verified (receive direction) */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
/** gso_type bit: the TCP super-frame carries ECN (CWR must only be on the first segment) */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

// ---- hot path: no allocation; the caller has checked off + VIRTIO_NET_HDR_LEN <= buf.length ----

const le16 = (buf: Uint8Array, o: number): number => buf[o] | (buf[o + 1] << 8);

export const vnetFlags = (buf: Uint8Array, off: number): number => buf[off + VNET_FLAGS_OFF];
/** gso_type including the ECN bit; mask with ~VIRTIO_NET_HDR_GSO_ECN for the type. */
export const vnetGsoType = (buf: Uint8Array, off: number): number => buf[off + VNET_GSO_TYPE_OFF];
export const vnetHdrLen = (buf: Uint8Array, off: number): number => le16(buf, off + VNET_HDR_LEN_OFF);
export const vnetGsoSize = (buf: Uint8Array, off: number): number => le16(buf, off + VNET_GSO_SIZE_OFF);
export const vnetCsumStart = (buf: Uint8Array, off: number): number => le16(buf, off + VNET_CSUM_START_OFF);
export const vnetCsumOffset = (buf: Uint8Array, off: number): number => le16(buf, off + VNET_CSUM_OFFSET_OFF);

/** Writes the 10-byte header at off (values taken modulo their field width); returns VIRTIO_NET_HDR_LEN.
 *  Caller ensures room. A plain frame is writeVnetHdr(buf, off, 0, 0, 0, 0, 0, 0). */
export function writeVnetHdr(
  buf: Uint8Array, off: number, flags: number, gsoType: number, hdrLen: number, gsoSize: number, csumStart: number, csumOffset: number,
): number {
  buf[off + VNET_FLAGS_OFF] = flags;
  buf[off + VNET_GSO_TYPE_OFF] = gsoType;
  buf[off + VNET_HDR_LEN_OFF] = hdrLen & 0xff;
  buf[off + VNET_HDR_LEN_OFF + 1] = (hdrLen >>> 8) & 0xff;
  buf[off + VNET_GSO_SIZE_OFF] = gsoSize & 0xff;
  buf[off + VNET_GSO_SIZE_OFF + 1] = (gsoSize >>> 8) & 0xff;
  buf[off + VNET_CSUM_START_OFF] = csumStart & 0xff;
  buf[off + VNET_CSUM_START_OFF + 1] = (csumStart >>> 8) & 0xff;
  buf[off + VNET_CSUM_OFFSET_OFF] = csumOffset & 0xff;
  buf[off + VNET_CSUM_OFFSET_OFF + 1] = (csumOffset >>> 8) & 0xff;
  return VIRTIO_NET_HDR_LEN;
}

// ---- control path: plain objects (trace views, tests) ----

export interface VirtioNetHdr {
  needsCsum: boolean;
  dataValid: boolean;
  /** raw flags byte */
  flags: number;
  /** gso_type without the ECN bit */
  gsoType: number;
  ecn: boolean;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function decodeVirtioNetHdr(buf: Buffer, off: number, len: number): VirtioNetHdr | Malformed {
  const bad = needBytes(buf, off, len, VIRTIO_NET_HDR_LEN, 'virtio-net header');
  if (bad) return bad;
  const flags = vnetFlags(buf, off);
  const t = vnetGsoType(buf, off);
  const gsoType = t & ~VIRTIO_NET_HDR_GSO_ECN;
  if (gsoType !== VIRTIO_NET_HDR_GSO_NONE && gsoType !== VIRTIO_NET_HDR_GSO_TCPV4 && gsoType !== VIRTIO_NET_HDR_GSO_UDP &&
    gsoType !== VIRTIO_NET_HDR_GSO_TCPV6 && gsoType !== VIRTIO_NET_HDR_GSO_UDP_L4) {
    return malformed(`unknown virtio-net gso_type ${gsoType}`);
  }
  return {
    needsCsum: (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0,
    dataValid: (flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0,
    flags,
    gsoType,
    ecn: (t & VIRTIO_NET_HDR_GSO_ECN) !== 0,
    hdrLen: vnetHdrLen(buf, off),
    gsoSize: vnetGsoSize(buf, off),
    csumStart: vnetCsumStart(buf, off),
    csumOffset: vnetCsumOffset(buf, off),
  };
}

export interface VirtioNetHdrFields {
  flags?: number;
  gsoType?: number;
  hdrLen?: number;
  gsoSize?: number;
  csumStart?: number;
  csumOffset?: number;
}

/** Checked writer for control code and tests; returns VIRTIO_NET_HDR_LEN. */
export function encodeVirtioNetHdr(f: VirtioNetHdrFields, buf: Uint8Array, off: number): number {
  const flags = f.flags ?? 0, gsoType = f.gsoType ?? 0, hdrLen = f.hdrLen ?? 0;
  const gsoSize = f.gsoSize ?? 0, csumStart = f.csumStart ?? 0, csumOffset = f.csumOffset ?? 0;
  checkUint(flags, 0xff, 'virtio-net flags');
  checkUint(gsoType, 0xff, 'virtio-net gso_type');
  checkUint(hdrLen, 0xffff, 'virtio-net hdr_len');
  checkUint(gsoSize, 0xffff, 'virtio-net gso_size');
  checkUint(csumStart, 0xffff, 'virtio-net csum_start');
  checkUint(csumOffset, 0xffff, 'virtio-net csum_offset');
  ensureRoom(buf, off, VIRTIO_NET_HDR_LEN, 'a virtio-net header');
  return writeVnetHdr(buf, off, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
}
