// Receive-side TCP coalescing (userspace GRO) for TAPs opened with offloads: consecutive MTU-sized
// segments of one TCP flow that a burst of output() calls brings (frames from the VXLAN tunnel, one
// segment each) are merged into one super-frame and written once behind a virtio-net header with
// gso_type TCPV4/TCPV6 and NEEDS_CSUM, so the container's kernel runs its TCP receive path once per
// ~64 KB instead of once per segment. Used by the TAP port (tap-port.ts) on offload devices; the
// reverse of gso-segmenter.ts. wireguard-go's tun GRO (tun/offload_linux.go) does the same.
//
// The merge rules are Linux's inet_gro_receive() / ipv6_gro_receive() / tcp_gro_receive()
// (net/ipv4/af_inet.c, net/ipv6/ip6_offload.c, net/ipv4/tcp_offload.c), restricted to what a bulk
// transfer needs:
//  - same Ethernet header (destination, source, EtherType; no VLAN tag), IPv4 with IHL 5 and no
//    fragment bits, or IPv6 with TCP as the next header (no extension headers), and the frame length
//    exactly the IP length (no padding);
//  - same addresses, ports and ack number; identical TCP header length and options bytes (the
//    timestamps included); seq == previous seq + previous payload;
//  - flags ACK, or ACK|PSH (PSH is merged and ends the super-frame); a segment with SYN, FIN, RST, URG,
//    ECE or CWR, a pure ACK (payload 0), anything else (ARP, UDP, VLAN...) is written alone, after the
//    pending super-frame (order is kept);
//  - IPv4: same TOS, TTL and DF, header checksum valid, id either first id + k for the k-th segment or
//    fixed with DF set; IPv6: same first word (version, traffic class, flow label) and hop limit;
//  - every merged segment but the last carries exactly the first one's payload size (the gso_size): a
//    shorter one is merged and ends the super-frame, a longer one starts a new one; the IP packet
//    stays <= 65535 bytes.
// The TCP checksum of every segment is verified before it is merged (while its payload is copied:
// inetCopySum): the super-frame goes to the kernel with NEEDS_CSUM, which it does not verify. A
// segment whose checksum fails is written as it is, unmerged, for the kernel to drop. The first
// segment of a super-frame is only referenced (port.ts: frames stay unchanged until the end of the
// burst) and copied and verified when a second one follows, so a segment that stays alone (a burst
// of one frame, another flow in between) costs no copy and no checksum.
//
// A super-frame of n >= 2 segments is the first segment's headers (PSH set if a merged one had it)
// with the IPv4 total length and header checksum or the IPv6 payload length fixed, the TCP checksum
// field holding the folded, not complemented pseudo-header sum for the new TCP length (what Linux
// leaves for CHECKSUM_PARTIAL), behind {NEEDS_CSUM, TCPV4/TCPV6, hdr_len, gso_size = first payload,
// csum_start = Ethernet + IP header, csum_offset 16}. A pending "super-frame" of one segment is
// written unchanged as a plain frame, from the caller's buffer. One flow is pending at a time: a frame of another flow flushes
// it first. Hot path: nothing allocated per frame, never throws on a bad frame.
import { ETH_HEADER_LEN, IPV4_MIN_HEADER_LEN, IPV4_ID_OFF, IPV4_FLAGS_FRAG_OFF, IPV4_FLAG_DF, IPPROTO_TCP } from '../wire/index.js';
import { inetCopySum, inetFold, inetSum } from '../wire/inet-checksum.js';
import { VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6 } from '../wire/virtio-net-hdr.js';
import { TCP_SEQ_OFF, TCP_ACK_OFF, TCP_DATA_OFF_OFF, TCP_FLAGS_OFF, TCP_CHECKSUM_OFF, TCP_MIN_HEADER_LEN, TCP_FLAG_PSH, TCP_FLAG_ACK } from '../wire/tcp.js';
import { IP_MAX_PACKET, alignedFrameStart, mergeableIpPayload, pseudoSumWithoutLength, sameIpFlow } from './coalesce-ip.js';
import { PendingSuperFrame } from './pending-super-frame.js';

export { COALESCE_BUFFER_BYTES, type CoalescedOutput } from './coalesce-ip.js';

/**
 * The TCP header offset (absolute, in buf) of a frame that may be merged: Ethernet without VLAN,
 * IPv4 (IHL 5, no fragment, valid header checksum) or IPv6 (next header TCP), the frame length exactly
 * the IP length, TCP flags ACK or ACK|PSH with the reserved bits clear, and payload > 0. Else -1.
 */
export function mergeableTcp(buf: Buffer, off: number, len: number): number {
  const t = mergeableIpPayload(buf, off, len, IPPROTO_TCP, TCP_MIN_HEADER_LEN);
  if (t < 0) return -1;
  const d = buf[t + TCP_DATA_OFF_OFF];
  const tcpLen = (d >>> 4) << 2;
  if ((d & 0x0f) !== 0 || tcpLen < TCP_MIN_HEADER_LEN || t + tcpLen >= off + len) return -1;
  if ((buf[t + TCP_FLAGS_OFF] & ~TCP_FLAG_PSH) !== TCP_FLAG_ACK) return -1;
  return t;
}

/** Index into the Int32Array state: 32-bit values kept out of object fields (a number above 2^30 in a
 *  field or crossing a call may be boxed, 16 bytes). */
const S_NEXT_SEQ = 0;

export class TcpCoalescer extends PendingSuperFrame {
  private readonly state = new Int32Array(1);
  /** The pending super-frame's TCP header length and its first segment's IPv4 id. */
  private tcpLen = 0;
  private id0 = 0;

  /** Takes one frame: merges it into the pending super-frame, starts a new one with it, or writes it
   *  (after the pending one). A frame that starts a super-frame is referenced until the next add(),
   *  flush() or drop() (the caller keeps it unchanged until then); merged ones are copied. Never throws. */
  add(buf: Buffer, off: number, len: number): void {
    const t = mergeableTcp(buf, off, len);
    if (t < 0) {
      this.flush();
      this.out.writeFrame(buf, off, len);
      return;
    }
    const tcpLen = (buf[t + TCP_DATA_OFF_OFF] >>> 4) << 2;
    const payload = off + len - t - tcpLen;
    const psh = (buf[t + TCP_FLAGS_OFF] & TCP_FLAG_PSH) !== 0;
    if (this.count > 0 && this.follows(buf, off, t, tcpLen, payload)) {
      if (this.pb !== this.buffer && !this.copyFirst()) {
        // the first segment's checksum failed: it goes alone, this one starts over
        this.flush();
        if (psh) this.out.writeFrame(buf, off, len);
        else this.begin(buf, off, len, t, tcpLen, payload);
        return;
      }
      if (!this.append(buf, t, tcpLen, payload)) {
        this.flush();
        this.out.writeFrame(buf, off, len); // bad checksum: the kernel drops it
        return;
      }
      if (psh || payload < this.gsoSize) this.flush();
      return;
    }
    this.flush();
    if (psh) this.out.writeFrame(buf, off, len);
    else this.begin(buf, off, len, t, tcpLen, payload);
  }

  /** Writes the pending super-frame, if any (the end of a burst). */
  flush(): void {
    const n = this.takePending();
    if (n === 0) return;
    const gsoType = this.ipLen === IPV4_MIN_HEADER_LEN ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    this.writePending(n, this.tcpLen, gsoType, TCP_CHECKSUM_OFF, -1);
  }

  /** True if the segment at buf[off] (TCP header at t) continues the pending flow. */
  private follows(buf: Buffer, off: number, t: number, tcpLen: number, payload: number): boolean {
    const b = this.pb;
    const p = this.start;
    const ipLen = this.ipLen;
    if (t - off !== ETH_HEADER_LEN + ipLen || tcpLen !== this.tcpLen || payload > this.gsoSize) return false;
    if (this.end - p - ETH_HEADER_LEN + payload > IP_MAX_PACKET) return false;
    if (!sameIpFlow(buf, off, b, p, ipLen)) return false;
    const l3 = off + ETH_HEADER_LEN;
    const q = p + ETH_HEADER_LEN;
    if (ipLen === IPV4_MIN_HEADER_LEN) {
      const id = (buf[l3 + IPV4_ID_OFF] << 8) | buf[l3 + IPV4_ID_OFF + 1];
      const df = ((buf[l3 + IPV4_FLAGS_FRAG_OFF] << 8) & IPV4_FLAG_DF) !== 0;
      if (id !== ((this.id0 + this.count) & 0xffff) && !(df && id === this.id0)) return false;
    }
    const u = q + ipLen;
    for (let i = 0; i < TCP_SEQ_OFF; i++) if (buf[t + i] !== b[u + i]) return false;
    const seq = (buf[t + TCP_SEQ_OFF] << 24) | (buf[t + TCP_SEQ_OFF + 1] << 16) | (buf[t + TCP_SEQ_OFF + 2] << 8) | buf[t + TCP_SEQ_OFF + 3];
    if (seq !== this.state[S_NEXT_SEQ]) return false;
    for (let i = TCP_ACK_OFF; i < TCP_ACK_OFF + 4; i++) if (buf[t + i] !== b[u + i]) return false;
    for (let i = TCP_MIN_HEADER_LEN; i < tcpLen; i++) if (buf[t + i] !== b[u + i]) return false;
    return true;
  }

  /** Copies the payload behind the pending one and verifies the segment's checksum; false (nothing
   *  changed) if it fails. */
  private append(buf: Buffer, t: number, tcpLen: number, payload: number): boolean {
    const b = this.buffer;
    const sum = inetCopySum(buf, t + tcpLen, b, this.end, payload, inetSum(buf, t, tcpLen, this.pseudo + tcpLen + payload));
    if (inetFold(sum) !== 0xffff) return false;
    this.end += payload;
    this.count++;
    this.state[S_NEXT_SEQ] = (this.state[S_NEXT_SEQ] + payload) | 0;
    const u = this.start + ETH_HEADER_LEN + this.ipLen;
    b[u + TCP_FLAGS_OFF] |= buf[t + TCP_FLAGS_OFF] & TCP_FLAG_PSH;
    return true;
  }

  /** Starts a pending super-frame with this segment, by reference (nothing copied or verified yet:
   *  a segment that stays alone is written as it is, and the kernel verifies it). */
  private begin(buf: Buffer, off: number, len: number, t: number, tcpLen: number, payload: number): void {
    this.beginPending(buf, off, len, t, payload);
    const l3 = off + ETH_HEADER_LEN;
    this.tcpLen = tcpLen;
    this.id0 = this.ipLen === IPV4_MIN_HEADER_LEN ? (buf[l3 + IPV4_ID_OFF] << 8) | buf[l3 + IPV4_ID_OFF + 1] : 0;
    const seq = (buf[t + TCP_SEQ_OFF] << 24) | (buf[t + TCP_SEQ_OFF + 1] << 16) | (buf[t + TCP_SEQ_OFF + 2] << 8) | buf[t + TCP_SEQ_OFF + 3];
    this.state[S_NEXT_SEQ] = (seq + payload) | 0;
  }

  /** A second segment follows: copies the first into `buffer` and verifies its checksum. False if it
   *  fails (still pending by reference then, to be written alone). */
  private copyFirst(): boolean {
    const src = this.pb;
    const off = this.start;
    const hdrs = ETH_HEADER_LEN + this.ipLen + this.tcpLen;
    const t = off + ETH_HEADER_LEN + this.ipLen;
    const payload = this.gsoSize;
    // the payload at the same address alignment modulo 4 as in src: inetCopySum moves words
    const p = alignedFrameStart(src, off, hdrs, this.buffer);
    const pseudo = pseudoSumWithoutLength(src, off + ETH_HEADER_LEN, this.ipLen, IPPROTO_TCP);
    const sum = inetCopySum(src, t + this.tcpLen, this.buffer, p + hdrs, payload, inetSum(src, t, this.tcpLen, pseudo + this.tcpLen + payload));
    if (inetFold(sum) !== 0xffff) return false;
    this.adoptCopiedFirst(p, hdrs, pseudo);
    return true;
  }
}
