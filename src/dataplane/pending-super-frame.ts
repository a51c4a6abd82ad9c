// The state both receive-side coalescers (tcp-coalescer.ts, udp-coalescer.ts) keep for the one
// super-frame they build at a time: where its bytes are (the caller's buffer while only the first
// packet is pending, then the coalescer's own buffer with room for the virtio-net header), how many
// packets it holds, its IP header length, gso_size and pseudo-header sum, and the steps that do not
// depend on the transport: taking the pending frame out (a lone packet written as it came),
// adopting the first packet once it has been copied, and finishing a super-frame of n >= 2 packets:
// the IP length (and the transport's own length field, if it has one) set for the whole, the
// transport checksum field holding the folded, not complemented pseudo-header sum for that length
// (what Linux leaves for CHECKSUM_PARTIAL), behind {NEEDS_CSUM, gso_type, hdr_len, gso_size = the
// first payload, csum_start = Ethernet + IP header, csum_offset}. Hot path: nothing allocated.
import { ETH_HEADER_LEN } from '../wire/index.js';
import { inetFold } from '../wire/inet-checksum.js';
import { VIRTIO_NET_HDR_F_NEEDS_CSUM, writeVnetHdr } from '../wire/virtio-net-hdr.js';
import { COALESCE_BUFFER_BYTES, VNET_HDR_OFF, setSuperFrameIpLength, type CoalescedOutput } from './coalesce-ip.js';

export abstract class PendingSuperFrame {
  /** Holds the pending super-frame once it has two packets (and its virtio-net header at the start). */
  readonly buffer: Buffer;
  protected readonly out: CoalescedOutput;
  /** Packets in the pending super-frame; 0: nothing pending. */
  protected count = 0;
  /** Where the pending bytes are: the caller's buffer while only the first packet is pending (not
   *  copied: frames stay unchanged until the end of the burst, port.ts), then `buffer`. */
  protected pb: Buffer;
  /** Pending frame in pb: start, end (of the bytes so far), IP header length. */
  protected start = 0;
  protected end = 0;
  protected ipLen = 0;
  /** Payload bytes of the first packet: the gso_size. */
  protected gsoSize = 0;
  /** Pseudo-header sum without the length (addresses + protocol), unfolded; set when copied. */
  protected pseudo = 0;

  constructor(out: CoalescedOutput) {
    this.out = out;
    this.buffer = Buffer.alloc(COALESCE_BUFFER_BYTES);
    this.pb = this.buffer;
  }

  /** Packets waiting in the pending super-frame (0 if none). */
  get pendingSegments(): number {
    return this.count;
  }

  /** Forgets the pending super-frame without writing it (the port closes). */
  drop(): void {
    this.count = 0;
    this.pb = this.buffer;
  }

  /** Ends the pending super-frame: returns how many packets it holds when they are two or more (in
   *  `buffer` from `start` to `end`, for the caller to finish and write); a lone packet is written
   *  as it came and 0 returned, as when nothing was pending. */
  protected takePending(): number {
    const n = this.count;
    if (n === 0) return 0;
    this.count = 0;
    const b = this.pb;
    this.pb = this.buffer; // keep no reference to the caller's buffer
    if (n === 1) {
      this.out.writeFrame(b, this.start, this.end - this.start);
      return 0;
    }
    return n;
  }

  /** Finishes the pending super-frame of n >= 2 packets in `buffer` (see the header) and writes it.
   *  `l4LenOff` is the transport's length field (-1: none, as in TCP). */
  protected writePending(n: number, l4HdrLen: number, gsoType: number, checksumOff: number, l4LenOff: number): void {
    const b = this.buffer;
    const p = this.start;
    const len = this.end - p;
    const ip = p + ETH_HEADER_LEN;
    const l4 = ip + this.ipLen;
    const l4Len = setSuperFrameIpLength(b, ip, this.ipLen, this.end);
    if (l4LenOff >= 0) {
      b[l4 + l4LenOff] = l4Len >>> 8;
      b[l4 + l4LenOff + 1] = l4Len & 0xff;
    }
    const partial = inetFold(this.pseudo + l4Len);
    b[l4 + checksumOff] = partial >>> 8;
    b[l4 + checksumOff + 1] = partial & 0xff;
    const hdrs = l4 + l4HdrLen - p;
    writeVnetHdr(b, VNET_HDR_OFF, VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType, hdrs, this.gsoSize, ETH_HEADER_LEN + this.ipLen, checksumOff);
    this.out.writeSuperFrame(b, VNET_HDR_OFF, b, p, len, n, n * hdrs + (len - hdrs));
  }

  /** The first packet's payload was copied to buffer[p + hdrs...] and verified: copies its `hdrs`
   *  header bytes in front of it and makes `buffer` the pending frame's home. */
  protected adoptCopiedFirst(p: number, hdrs: number, pseudo: number): void {
    const src = this.pb;
    const b = this.buffer;
    const off = this.start;
    for (let i = 0; i < hdrs; i++) b[p + i] = src[off + i];
    this.pb = b;
    this.start = p;
    this.end = p + hdrs + this.gsoSize;
    this.pseudo = pseudo;
  }

  /** Starts a pending super-frame with this packet, by reference (nothing copied or verified yet:
   *  a packet that stays alone is written as it is, and the kernel verifies it). */
  protected beginPending(buf: Buffer, off: number, len: number, l4: number, payload: number): void {
    this.count = 1;
    this.pb = buf;
    this.start = off;
    this.end = off + len;
    this.ipLen = l4 - off - ETH_HEADER_LEN;
    this.gsoSize = payload;
  }
}
