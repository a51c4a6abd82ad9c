// Block arithmetic for the cross-host IPAM helper: a global network's IPv4 subnet is cut into
// equal blocks of prefix length `blockPrefixLen`; block i is the i-th one in address order. Each
// host starts probing at a host-specific index (hash of host id and network id) so that hosts
// rarely contend for the same block. The claim scheme itself is documented in claim-protocol.ts.
// Used by node.ts.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';

// ---- our choice ----
/** Upper bound on blocks per network so a probe loop stays short (a /8 in /24 blocks = 65536). */
export const MAX_BLOCKS = 1 << 16;

export interface BlockLayout {
  base: number;
  prefixLen: number;
  blockPrefixLen: number;
  count: number;
}

export function blockLayout(subnet: string, blockPrefixLen: number): BlockLayout {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefixLen: number;
  try {
    [addr, prefixLen] = ipaddr.parseCIDR(subnet);
  } catch {
    throw badRequest('EBADSUBNET', `subnet "${subnet}" is not a CIDR such as 10.10.0.0/16.`);
  }
  if (addr.kind() !== 'ipv4') throw badRequest('EBADSUBNET', `block allocation supports IPv4 subnets only, not ${subnet}.`);
  if (!Number.isInteger(blockPrefixLen) || blockPrefixLen < prefixLen || blockPrefixLen > 30) {
    throw badRequest('EBADBLOCK', `block prefix length must be between ${prefixLen} and 30 for subnet ${subnet}.`);
  }
  const count = 2 ** (blockPrefixLen - prefixLen);
  if (count > MAX_BLOCKS) throw badRequest('EBADBLOCK', `/${blockPrefixLen} blocks of ${subnet} are too many (${count}); use a shorter block prefix.`);
  const bytes = (addr as ipaddr.IPv4).octets;
  const raw = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  return { base: (raw & mask) >>> 0, prefixLen, blockPrefixLen, count };
}

export function blockCidr(l: BlockLayout, index: number): string {
  const a = (l.base + index * 2 ** (32 - l.blockPrefixLen)) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${l.blockPrefixLen}`;
}

export function blockIndex(l: BlockLayout, cidr: string): number {
  const [addr] = ipaddr.parseCIDR(cidr);
  const o = (addr as ipaddr.IPv4).octets;
  const raw = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  return Math.floor((raw - l.base) / 2 ** (32 - l.blockPrefixLen));
}

/** Probe order for a host: a host-specific start, then wrapping linear probing. */
export function probeOrder(l: BlockLayout, hostId: string, networkId: string, prefer?: number): number[] {
  const start = prefer ?? createHash('sha256').update(hostId + '/' + networkId).digest().readUInt32BE(0) % l.count;
  const out: number[] = [];
  for (let i = 0; i < l.count; i++) out.push((start + i) % l.count);
  return out;
}
