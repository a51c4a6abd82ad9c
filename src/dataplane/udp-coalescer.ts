// Receive-side UDP coalescing (userspace UDP GRO) for TAPs opened with offloads: consecutive
// datagrams of one UDP flow that a burst of output() calls brings (frames from the VXLAN tunnel, one
// datagram each) are merged into one super-frame and written once behind a virtio-net header with
// gso_type UDP_L4 and NEEDS_CSUM. The container's kernel takes it in one write, runs its IP receive
// path once and cuts it back into the same datagrams at the UDP layer (udp_rcv_segment(), for a
// socket without UDP_GRO), so a receiver reading a fast stream finds a batch of datagrams queued
// per write instead of one; the writer pays one system call per burst instead of one per datagram.
// Used by the TAP port (tap-port.ts) next to the TCP coalescer; wireguard-go's tun UDP GRO
// (tun/offload_linux.go) does the same.
//
// The merge rules are Linux's udp_gro_receive_segment() (net/ipv4/udp_offload.c) on top of the IP
// rules of coalesce-ip.ts:
//  - a unicast destination MAC (broadcast and multicast pass as they came);
//  - same Ethernet and IP flow (coalesce-ip.ts sameIpFlow(); the IPv4 id is not compared: segmentation
//    numbers the datagrams from the first one's), same source and destination port;
//  - the UDP length exactly the IP payload, a payload of at least one byte and a checksum present
//    (IPv4 datagrams without one, checksum 0, pass unmerged);
//  - every merged datagram but the last carries exactly the first one's payload size (the gso_size,
//    which is what keeps the datagram boundaries): a shorter one is merged and ends the super-frame,
//    a longer one starts a new one; at most UDP_GRO_MAX_SEGMENTS datagrams and 65535 IP bytes.
// The checksum of every datagram is verified before it is merged (while its payload is copied): the
// super-frame goes to the kernel with NEEDS_CSUM, which it does not verify. A datagram whose checksum
// fails is written as it is, unmerged, for the kernel to drop. As in the TCP coalescer, the first
// datagram is only referenced until a second one follows, so a datagram that stays alone costs no
// copy and no checksum, and is written unchanged.
//
// A super-frame of n >= 2 datagrams is the first one's headers with the IPv4 total length and header
// checksum or the IPv6 payload length fixed, the UDP length set to the whole UDP payload plus header
// and the UDP checksum field holding the folded, not complemented pseudo-header sum for that length
// (what Linux's UDP GSO sender leaves; segmentation adjusts it per datagram), behind {NEEDS_CSUM,
// UDP_L4, hdr_len, gso_size = first payload, csum_start = Ethernet + IP header, csum_offset 6}.
// One flow is pending at a time. Hot path: nothing allocated per frame, never throws on a bad frame.
import { ETH_HEADER_LEN, IPPROTO_UDP, UDP_CHECKSUM_OFF, UDP_DST_PORT_OFF, UDP_HEADER_LEN, UDP_LEN_OFF } from '../wire/index.js';
import { inetCopySum, inetFold, inetSum } from '../wire/inet-checksum.js';
import { VIRTIO_NET_HDR_GSO_UDP_L4 } from '../wire/virtio-net-hdr.js';
import { IP_MAX_PACKET, alignedFrameStart, mergeableIpPayload, pseudoSumWithoutLength, sameIpFlow } from './coalesce-ip.js';
import { PendingSuperFrame } from './pending-super-frame.js';

// From Linux (include/net/udp.h UDP_GRO_CNT_MAX): at most this many datagrams in one GRO packet;
// virtio_net_hdr_to_skb() refuses a UDP_L4 frame of more than UDP_MAX_SEGMENTS (128).
export const UDP_GRO_MAX_SEGMENTS = 64;

/**
 * The UDP header offset (absolute, in buf) of a frame that may be merged: a unicast destination MAC,
 * the IP rules of coalesce-ip.ts with UDP as the transport, the UDP length exactly the IP payload,
 * payload > 0 and a checksum present. Else -1.
 */
export function mergeableUdp(buf: Buffer, off: number, len: number): number {
  if ((buf[off] & 1) !== 0) return -1; // multicast or broadcast destination: delivered as it came
  const u = mergeableIpPayload(buf, off, len, IPPROTO_UDP, UDP_HEADER_LEN + 1);
  if (u < 0) return -1;
  const udpLen = (buf[u + UDP_LEN_OFF] << 8) | buf[u + UDP_LEN_OFF + 1];
  if (udpLen !== off + len - u || udpLen <= UDP_HEADER_LEN) return -1;
  if (buf[u + UDP_CHECKSUM_OFF] === 0 && buf[u + UDP_CHECKSUM_OFF + 1] === 0) return -1;
  return u;
}

export class UdpCoalescer extends PendingSuperFrame {
  /** Takes one frame whose UDP header mergeableUdp() found at `u`: merges it into the pending
   *  super-frame or starts a new one with it (after writing the pending one). A frame that starts a
   *  super-frame is referenced until the next add(), flush() or drop(); merged ones are copied. */
  add(buf: Buffer, off: number, len: number, u: number): void {
    const payload = off + len - u - UDP_HEADER_LEN;
    if (this.count > 0 && this.follows(buf, off, u, payload)) {
      if (this.pb !== this.buffer && !this.copyFirst()) {
        // the first datagram's checksum failed: it goes alone, this one starts over
        this.flush();
        this.beginPending(buf, off, len, u, payload);
        return;
      }
      if (!this.append(buf, u, payload)) {
        this.flush();
        this.out.writeFrame(buf, off, len); // bad checksum: the kernel drops it
        return;
      }
      if (payload < this.gsoSize || this.count === UDP_GRO_MAX_SEGMENTS) this.flush();
      return;
    }
    this.flush();
    this.beginPending(buf, off, len, u, payload);
  }

  /** Writes the pending super-frame, if any (the end of a burst, or another kind of frame comes). */
  flush(): void {
    const n = this.takePending();
    if (n > 0) this.writePending(n, UDP_HEADER_LEN, VIRTIO_NET_HDR_GSO_UDP_L4, UDP_CHECKSUM_OFF, UDP_LEN_OFF);
  }

  /** True if the datagram at buf[off] (UDP header at u) continues the pending flow. */
  private follows(buf: Buffer, off: number, u: number, payload: number): boolean {
    const b = this.pb;
    const p = this.start;
    const ipLen = this.ipLen;
    if (u - off !== ETH_HEADER_LEN + ipLen || payload > this.gsoSize) return false;
    if (this.end - p - ETH_HEADER_LEN + payload > IP_MAX_PACKET) return false;
    if (!sameIpFlow(buf, off, b, p, ipLen)) return false;
    const q = p + ETH_HEADER_LEN + ipLen;
    for (let i = 0; i < UDP_DST_PORT_OFF + 2; i++) if (buf[u + i] !== b[q + i]) return false;
    return true;
  }

  /** Copies the payload behind the pending one and verifies the datagram's checksum; false (nothing
   *  changed) if it fails. */
  private append(buf: Buffer, u: number, payload: number): boolean {
    const sum = inetCopySum(buf, u + UDP_HEADER_LEN, this.buffer, this.end, payload,
      inetSum(buf, u, UDP_HEADER_LEN, this.pseudo + UDP_HEADER_LEN + payload));
    if (inetFold(sum) !== 0xffff) return false;
    this.end += payload;
    this.count++;
    return true;
  }

  /** A second datagram follows: copies the first into `buffer` and verifies its checksum. False if
   *  it fails (still pending by reference then, to be written alone). */
  private copyFirst(): boolean {
    const src = this.pb;
    const off = this.start;
    const hdrs = ETH_HEADER_LEN + this.ipLen + UDP_HEADER_LEN;
    const u = off + ETH_HEADER_LEN + this.ipLen;
    const payload = this.gsoSize;
    const p = alignedFrameStart(src, off, hdrs, this.buffer);
    const pseudo = pseudoSumWithoutLength(src, off + ETH_HEADER_LEN, this.ipLen, IPPROTO_UDP);
    const sum = inetCopySum(src, u + UDP_HEADER_LEN, this.buffer, p + hdrs, payload, inetSum(src, u, UDP_HEADER_LEN, pseudo + UDP_HEADER_LEN + payload));
    if (inetFold(sum) !== 0xffff) return false;
    this.adoptCopiedFirst(p, hdrs, pseudo);
    return true;
  }
}
