// Frame builders shared by the overlay unit tests (overlay-*.test.ts): TCP SYN segments with options
// over IPv4 and IPv6 inside Ethernet, and a full TCP checksum check. Built with src/wire codecs; the
// TCP header is written by hand because src/wire has no TCP codec.
import {
  buildEthernet, buildIpv4, buildIpv6, checksumAdd, checksumFinish, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_HEADER_LEN,
  IPPROTO_TCP, parseIpv4, pseudoHeaderSumIpv4, pseudoHeaderSumIpv6, IPV6_SRC_OFF, IPV6_DST_OFF,
} from '../../src/wire/index.js';

export const MAC_A = '02:00:00:00:00:0a';
export const MAC_B = '02:00:00:00:00:0b';

/** A TCP header (no payload) with the given flags and option bytes (padded to 4), checksum zero. */
export function tcpHeader(flags: number, options: number[], srcPort = 40000, dstPort = 5201): Buffer {
  const opts = [...options];
  while (opts.length % 4 !== 0) opts.push(0);
  const b = Buffer.alloc(20 + opts.length);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b.writeUInt32BE(12345, 4);
  b[12] = ((20 + opts.length) / 4) << 4;
  b[13] = flags;
  b.writeUInt16BE(64240, 14);
  Buffer.from(opts).copy(b, 20);
  return b;
}

export const SYN = 0x02;
export const ACK = 0x10;
export const mssOption = (mss: number): number[] => [2, 4, mss >>> 8, mss & 0xff];

/** An Ethernet/IPv4/TCP frame with a correct TCP checksum. */
export function tcp4Frame(tcp: Buffer, src = '10.0.42.1', dst = '10.0.42.2'): Buffer {
  const sum = checksumAdd(tcp, 0, tcp.length, pseudoHeaderSumIpv4(parseIpv4(src), parseIpv4(dst), IPPROTO_TCP, tcp.length));
  tcp.writeUInt16BE(checksumFinish(sum), 16);
  const ip = buildIpv4({ protocol: IPPROTO_TCP, src, dst, dontFragment: true, payload: tcp });
  return buildEthernet({ dst: MAC_B, src: MAC_A, ethertype: ETHERTYPE_IPV4, payload: ip });
}

/** An Ethernet/IPv6/TCP frame with a correct TCP checksum. */
export function tcp6Frame(tcp: Buffer, src = 'fd00::1', dst = 'fd00::2'): Buffer {
  const ip = buildIpv6({ nextHeader: IPPROTO_TCP, src, dst, payload: tcp });
  const sum = checksumAdd(ip, 40, tcp.length, pseudoHeaderSumIpv6(ip, IPV6_SRC_OFF, IPV6_DST_OFF, IPPROTO_TCP, tcp.length));
  ip.writeUInt16BE(checksumFinish(sum), 40 + 16);
  return buildEthernet({ dst: MAC_B, src: MAC_A, ethertype: ETHERTYPE_IPV6, payload: ip });
}

/** True if the TCP checksum of an untagged Ethernet/IPv4 or IPv6 TCP frame verifies. */
export function tcpChecksumOk(frame: Buffer): boolean {
  const ip = ETH_HEADER_LEN;
  if (frame.readUInt16BE(12) === ETHERTYPE_IPV4) {
    const hl = (frame[ip] & 0x0f) * 4;
    const total = frame.readUInt16BE(ip + 2);
    const tlen = total - hl;
    const ps = pseudoHeaderSumIpv4(frame.readUInt32BE(ip + 12), frame.readUInt32BE(ip + 16), IPPROTO_TCP, tlen);
    return checksumFinish(checksumAdd(frame, ip + hl, tlen, ps)) === 0;
  }
  const tlen = frame.readUInt16BE(ip + 4);
  const ps = pseudoHeaderSumIpv6(frame, ip + IPV6_SRC_OFF, ip + IPV6_DST_OFF, IPPROTO_TCP, tlen);
  return checksumFinish(checksumAdd(frame, ip + 40, tlen, ps)) === 0;
}

/** The MSS option value of a TCP frame built by tcp4Frame/tcp6Frame (options start after 20 bytes). */
export function findMss(frame: Buffer): number {
  const ip = ETH_HEADER_LEN;
  const tcp = frame.readUInt16BE(12) === ETHERTYPE_IPV4 ? ip + (frame[ip] & 0x0f) * 4 : ip + 40;
  const end = tcp + (frame[tcp + 12] >>> 4) * 4;
  for (let o = tcp + 20; o < end;) {
    if (frame[o] === 0) break;
    if (frame[o] === 1) { o++; continue; }
    if (frame[o] === 2) return frame.readUInt16BE(o + 2);
    o += frame[o + 1];
  }
  return -1;
}
