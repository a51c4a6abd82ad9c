// Frames for the observe-* unit tests, built with the src/wire encoders: ARP, ICMP echo over IPv4,
// UDP, TCP SYN, ICMPv6 and a VLAN-tagged frame, between two containers of a 172.17.0.0/16 network.
import {
  buildArpRequest, buildArpReply, decodeArp, isMalformed, buildEthernet, buildIpv4, buildUdp, buildIpv6, encodeIcmpEcho,
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_ARP, ICMP_ECHO_REQUEST, IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMPV6,
} from '../../src/wire/index.js';

export const MAC_ROSE = '02:42:ac:11:00:02';
export const MAC_LILY = '02:42:ac:11:00:03';
export const MAC_GW = '02:42:ac:11:00:01';
export const IP_ROSE = '172.17.0.2';
export const IP_LILY = '172.17.0.3';

export const arpWhoHas = (): Buffer => buildArpRequest(MAC_ROSE, IP_ROSE, IP_LILY);

export function arpReply(): Buffer {
  const req = decodeArp(arpWhoHas(), 14, 28);
  if (isMalformed(req)) throw new Error('bad test ARP');
  return buildArpReply(req, MAC_LILY);
}

export function icmpEcho(seq: number, src = MAC_ROSE, dst = MAC_LILY): Buffer {
  const icmp = Buffer.alloc(8 + 56);
  encodeIcmpEcho({ type: ICMP_ECHO_REQUEST, id: 7, seq, data: Buffer.alloc(56, 0x61) }, icmp, 0);
  const ip = buildIpv4({ protocol: IPPROTO_ICMP, src: IP_ROSE, dst: IP_LILY, payload: icmp });
  return buildEthernet({ dst, src, ethertype: ETHERTYPE_IPV4, payload: ip });
}

export function udpFrame(dport: number): Buffer {
  const udp = buildUdp({ srcPort: 40000, dstPort: dport, payload: Buffer.from('hello'), pseudo: { src: IP_ROSE, dst: IP_LILY } });
  return buildEthernet({ dst: MAC_LILY, src: MAC_ROSE, ethertype: ETHERTYPE_IPV4, payload: buildIpv4({ protocol: IPPROTO_UDP, src: IP_ROSE, dst: IP_LILY, payload: udp }) });
}

export function tcpSyn(): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(41000, 0);
  tcp.writeUInt16BE(80, 2);
  tcp[12] = 5 << 4;
  tcp[13] = 0x02;
  return buildEthernet({ dst: MAC_LILY, src: MAC_ROSE, ethertype: ETHERTYPE_IPV4, payload: buildIpv4({ protocol: IPPROTO_TCP, src: IP_ROSE, dst: IP_LILY, payload: tcp }) });
}

export function icmp6NeighborSolicitation(): Buffer {
  const icmp = Buffer.alloc(24);
  icmp[0] = 135;
  return buildEthernet({ dst: '33:33:ff:00:00:03', src: MAC_ROSE, ethertype: ETHERTYPE_IPV6, payload: buildIpv6({ nextHeader: IPPROTO_ICMPV6, src: 'fe80::1', dst: 'ff02::1:ff00:3', payload: icmp }) });
}

export function vlanArp(): Buffer {
  return buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: MAC_ROSE, vlan: { pcp: 0, dei: 0, vid: 42 }, ethertype: ETHERTYPE_ARP, payload: arpWhoHas().subarray(14) });
}
