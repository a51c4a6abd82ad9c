// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of 16-bit
// words. Used by ipv4.ts, udp.ts and icmp.ts, and by the data plane when it rewrites headers.
// Sums are kept unfolded in a JS number (safe up to 2^53, i.e. any packet) and folded once at the end.

/** Adds the bytes buf[off, off+len) as big-endian 16-bit words to `sum` (odd tail padded with zero). */
export function checksumAdd(buf: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === end) sum += buf[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: the value to put in a checksum field. */
export function checksumFinish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of buf[off, off+len), starting from an optional partial sum (pseudo-header). */
export function internetChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return checksumFinish(checksumAdd(buf, off, len, initial));
}

/** Partial sum of the IPv4 pseudo-header (RFC 768, RFC 793 section 3.1): src, dst, zero, protocol, length. */
export function pseudoHeaderSumIpv4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1): addresses read from buf at srcOff and
 *  dstOff (16 bytes each), upper-layer length, next header. */
export function pseudoHeaderSumIpv6(buf: Uint8Array, srcOff: number, dstOff: number, nextHeader: number, length: number): number {
  let sum = checksumAdd(buf, srcOff, 16);
  sum = checksumAdd(buf, dstOff, 16, sum);
  return sum + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}
