// Decodes one Ethernet frame into what a person reading a trace wants: the MACs, the addresses and
// ports, and a tcpdump-like one-line summary ("ARP who-has 172.17.0.3 tell 172.17.0.2", "IP
// 172.17.0.2 > 172.17.0.3: ICMP echo request, id 7, seq 1, length 64"). Used by the trace view,
// the trace filter and the lab exercises. Allocates (strings): it runs only while someone traces,
// never on the forwarding path. Built on the src/wire codecs; never throws on a bad frame.
import {
  ARP_OP_REPLY, ARP_OP_REQUEST, arpIsEthIpv4, arpOp, arpSenderIp, arpSenderMac, arpTargetIp,
  ETH_HEADER_LEN, ETH_VLAN_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MIN,
  ETHERTYPE_VLAN, ethDstMac, ethSrcMac, ethType, ethVlanId,
  ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, icmpCode, icmpType, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP,
  ipv4HeaderLen, ipv4Protocol, ipv4Src, ipv4Dst, ipv4ToString, ipv4TotalLen, IPV4_FLAGS_FRAG_OFF, IPV4_MIN_HEADER_LEN,
  IPV6_DST_OFF, IPV6_HEADER_LEN, IPV6_SRC_OFF, ipv6NextHeader, ipv6PayloadLen, ipv6ToString,
  macToString, UDP_HEADER_LEN, udpDstPort, udpSrcPort, VXLAN_HEADER_LEN, VXLAN_PORT, vxlanVni,
  ICMP_ECHO_ID_OFF, ICMP_ECHO_SEQ_OFF, ICMP_HEADER_LEN,
} from '../wire/index.js';
import { TCP_DATA_OFF_OFF, TCP_FLAGS_OFF, TCP_MIN_HEADER_LEN } from '../wire/tcp.js';

// ---- from the spec ----
/** RFC 9293 section 3.1: data offset (high nibble of byte 12) and flags (byte 13). */
/** tcpdump's letters for FIN, SYN, RST, PSH, ACK, URG (bits 0..5 of byte 13). */
const TCP_FLAG_LETTERS = ['F', 'S', 'R', 'P', '.', 'U'];
/** RFC 4443 section 2.1: ICMPv6 message types shown by name. */
const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 128: 'echo request', 129: 'echo reply',
  133: 'router solicitation', 134: 'router advertisement', 135: 'neighbor solicitation', 136: 'neighbor advertisement', 143: 'multicast listener report v2',
};
/** RFC 792: ICMP types shown by name (echo is handled apart). */
const ICMP_NAMES: Record<number, string> = { 3: 'destination unreachable', 5: 'redirect', 11: 'time exceeded' };
/** IPv4 fragment offset mask (RFC 791 section 3.1). */
const IPV4_FRAG_OFFSET_MASK = 0x1fff;

/** What the trace and its filter know about a frame. Addresses are strings ('' when absent). */
export interface FrameInfo {
  src: string;
  dst: string;
  /** EtherType of the payload (inside a VLAN tag), -1 for a runt, < 0x600 for an 802.3 length */
  etherType: number;
  /** VLAN ID, or -1 */
  vlan: number;
  /** 'arp' | 'ip' | 'ip6' | 'other' | 'runt' */
  l3: 'arp' | 'ip' | 'ip6' | 'other' | 'runt';
  /** 'icmp' | 'icmp6' | 'udp' | 'tcp' | '' (other or none) */
  l4: 'icmp' | 'icmp6' | 'udp' | 'tcp' | '';
  /** IP source/destination, or ARP sender/target protocol address */
  ipSrc: string;
  ipDst: string;
  sport: number;
  dport: number;
  len: number;
  summary: string;
}

function tcpFlags(b: number): string {
  let s = '';
  for (let i = 0; i < TCP_FLAG_LETTERS.length; i++) if ((b & (1 << i)) !== 0) s += TCP_FLAG_LETTERS[i];
  return s || 'none';
}

function summariseL4(info: FrameInfo, buf: Buffer, p: number, plen: number, proto: number, fragment: boolean): string {
  const a = info.ipSrc;
  const b = info.ipDst;
  if (fragment) return `${a} > ${b}: fragment, length ${plen}`;
  if (proto === IPPROTO_ICMP && plen >= ICMP_HEADER_LEN) {
    info.l4 = 'icmp';
    const t = icmpType(buf, p);
    if (t === ICMP_ECHO_REQUEST || t === ICMP_ECHO_REPLY) {
      const id = buf.readUInt16BE(p + ICMP_ECHO_ID_OFF);
      const seq = buf.readUInt16BE(p + ICMP_ECHO_SEQ_OFF);
      return `${a} > ${b}: ICMP echo ${t === ICMP_ECHO_REQUEST ? 'request' : 'reply'}, id ${id}, seq ${seq}, length ${plen}`;
    }
    return `${a} > ${b}: ICMP ${ICMP_NAMES[t] ?? `type ${t}`} code ${icmpCode(buf, p)}, length ${plen}`;
  }
  if (proto === IPPROTO_ICMPV6 && plen >= 4) {
    info.l4 = 'icmp6';
    const t = buf[p];
    return `${a} > ${b}: ICMP6, ${ICMPV6_NAMES[t] ?? `type ${t}`}, length ${plen}`;
  }
  if (proto === IPPROTO_UDP && plen >= UDP_HEADER_LEN) {
    info.l4 = 'udp';
    info.sport = udpSrcPort(buf, p);
    info.dport = udpDstPort(buf, p);
    const head = `${a}.${info.sport} > ${b}.${info.dport}: UDP, length ${plen - UDP_HEADER_LEN}`;
    if (info.dport === VXLAN_PORT && plen >= UDP_HEADER_LEN + VXLAN_HEADER_LEN + ETH_HEADER_LEN) {
      const inner = summariseFrame(buf, p + UDP_HEADER_LEN + VXLAN_HEADER_LEN, plen - UDP_HEADER_LEN - VXLAN_HEADER_LEN);
      return `${head} VXLAN vni ${vxlanVni(buf, p + UDP_HEADER_LEN)}: ${inner.src} > ${inner.dst} ${inner.summary}`;
    }
    return head;
  }
  if (proto === IPPROTO_TCP && plen >= TCP_MIN_HEADER_LEN) {
    info.l4 = 'tcp';
    info.sport = buf.readUInt16BE(p);
    info.dport = buf.readUInt16BE(p + 2);
    const hl = (buf[p + TCP_DATA_OFF_OFF] >>> 4) * 4;
    return `${a}.${info.sport} > ${b}.${info.dport}: TCP [${tcpFlags(buf[p + TCP_FLAGS_OFF])}], length ${Math.max(0, plen - hl)}`;
  }
  return `${a} > ${b}: protocol ${proto}, length ${plen}`;
}

/** Decodes the frame at buf[off, off+len). Never throws; anything it cannot read is said plainly. */
export function summariseFrame(buf: Buffer, off: number, len: number): FrameInfo {
  const info: FrameInfo = { src: '', dst: '', etherType: -1, vlan: -1, l3: 'runt', l4: '', ipSrc: '', ipDst: '', sport: -1, dport: -1, len, summary: '' };
  if (len < ETH_HEADER_LEN || off < 0 || off + len > buf.length) {
    info.summary = `runt frame, length ${len}`;
    return info;
  }
  info.src = macToString(ethSrcMac(buf, off));
  info.dst = macToString(ethDstMac(buf, off));
  const outer = buf.readUInt16BE(off + 12);
  const tagged = outer === ETHERTYPE_VLAN;
  info.vlan = ethVlanId(buf, off, len);
  info.etherType = ethType(buf, off, len);
  const l3 = off + (tagged ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN);
  const l3len = off + len - l3;
  const prefix = tagged ? `vlan ${info.vlan}, ` : '';
  info.l3 = 'other';
  if (info.etherType === -1) {
    info.l3 = 'runt';
    info.summary = `${prefix}truncated VLAN tag, length ${len}`;
  } else if (info.etherType === ETHERTYPE_ARP) {
    info.l3 = 'arp';
    if (!arpIsEthIpv4(buf, l3, l3len)) info.summary = `${prefix}ARP (not Ethernet/IPv4), length ${len}`;
    else {
      info.ipSrc = ipv4ToString(arpSenderIp(buf, l3));
      info.ipDst = ipv4ToString(arpTargetIp(buf, l3));
      const op = arpOp(buf, l3);
      if (op === ARP_OP_REQUEST) info.summary = `${prefix}ARP who-has ${info.ipDst} tell ${info.ipSrc}`;
      else if (op === ARP_OP_REPLY) info.summary = `${prefix}ARP reply ${info.ipSrc} is-at ${macToString(arpSenderMac(buf, l3))}`;
      else info.summary = `${prefix}ARP op ${op} ${info.ipSrc} > ${info.ipDst}`;
    }
  } else if (info.etherType === ETHERTYPE_IPV4) {
    info.l3 = 'ip';
    if (l3len < IPV4_MIN_HEADER_LEN || ipv4HeaderLen(buf, l3) < IPV4_MIN_HEADER_LEN || ipv4HeaderLen(buf, l3) > l3len) {
      info.summary = `${prefix}IP truncated, length ${len}`;
    } else {
      const hl = ipv4HeaderLen(buf, l3);
      info.ipSrc = ipv4ToString(ipv4Src(buf, l3));
      info.ipDst = ipv4ToString(ipv4Dst(buf, l3));
      const total = Math.min(ipv4TotalLen(buf, l3), l3len);
      const fragment = (buf.readUInt16BE(l3 + IPV4_FLAGS_FRAG_OFF) & IPV4_FRAG_OFFSET_MASK) !== 0;
      info.summary = `${prefix}IP ${summariseL4(info, buf, l3 + hl, Math.max(0, total - hl), ipv4Protocol(buf, l3), fragment)}`;
    }
  } else if (info.etherType === ETHERTYPE_IPV6) {
    info.l3 = 'ip6';
    if (l3len < IPV6_HEADER_LEN) info.summary = `${prefix}IP6 truncated, length ${len}`;
    else {
      info.ipSrc = ipv6ToString(buf, l3 + IPV6_SRC_OFF);
      info.ipDst = ipv6ToString(buf, l3 + IPV6_DST_OFF);
      const plen = Math.min(ipv6PayloadLen(buf, l3), l3len - IPV6_HEADER_LEN);
      info.summary = `${prefix}IP6 ${summariseL4(info, buf, l3 + IPV6_HEADER_LEN, plen, ipv6NextHeader(buf, l3), false)}`;
    }
  } else if (info.etherType < ETHERTYPE_MIN) {
    info.summary = `${prefix}802.3, length ${info.etherType}`;
  } else {
    info.summary = `${prefix}ethertype 0x${info.etherType.toString(16).padStart(4, '0')}, length ${len}`;
  }
  return info;
}
