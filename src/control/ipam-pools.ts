// Subnet arithmetic and the default address pools of tsnet's IPAM. Strict parsing of addresses and
// CIDRs (dotted-quad IPv4, any IPv6 form) through ipaddr.js, addresses as bigints so IPv4 and IPv6
// share one code path, overlap tests, and `allocateSubnet`, which picks a subnet for a network created
// without --subnet the way Docker's default IPAM does. Used by ipam.ts and by the network manager.
import ipaddr from 'ipaddr.js';
import { badRequest, conflict } from '../errors.js';

// --- our choice (the same defaults as Docker's daemon: libnetwork ipamutils/utils.go) ---
/** 172.17.0.0/16 .. 172.31.0.0/16, then the /20 blocks of 192.168.0.0/16, in this order. */
export const DEFAULT_POOLS: readonly string[] = [
  ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
];

export type Family = 4 | 6;

/** A parsed CIDR: `base` is the network address (host bits cleared). */
export interface Cidr {
  family: Family;
  base: bigint;
  prefix: number;
  /** Number of address bits (32 or 128). */
  bits: number;
}

export interface ParsedAddress {
  family: Family;
  value: bigint;
}

const bitsOf = (family: Family) => (family === 4 ? 32 : 128);

/** Parses one address strictly (dotted-quad IPv4 or IPv6); undefined if it is not one. */
export function tryParseAddress(text: string): ParsedAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 4, value: bytesToBig(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) {
    return { family: 6, value: bytesToBig(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  return undefined;
}

/** Parses "a.b.c.d/n" or "v6/n"; `host` keeps the address as written (host bits possibly set). */
export function tryParseCidr(text: string): { cidr: Cidr; host: bigint } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = tryParseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = bitsOf(addr.family);
  if (prefix > bits) return undefined;
  return { cidr: { family: addr.family, base: addr.value & netmask(prefix, bits), prefix, bits }, host: addr.value };
}

export function netmask(prefix: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

/** Last address of the CIDR (the IPv4 broadcast address). */
export function lastAddress(c: Cidr): bigint {
  return c.base | (((1n << BigInt(c.bits)) - 1n) >> BigInt(c.prefix));
}

export function containsAddress(c: Cidr, family: Family, value: bigint): boolean {
  return c.family === family && value >= c.base && value <= lastAddress(c);
}

/** True when `inner` lies entirely inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && inner.base >= outer.base && lastAddress(inner) <= lastAddress(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

export function formatAddress(family: Family, value: bigint): string {
  const n = family === 4 ? 4 : 16;
  const bytes: number[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  const a = ipaddr.fromByteArray(bytes);
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.base)}/${c.prefix}`;
}

function bytesToBig(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Parses a CIDR given by the user or throws a bad-request TsnetError naming `what` ("subnet", "ip-range"). */
export function parseCidrOrThrow(text: string, what: string): { cidr: Cidr; host: bigint } {
  const parsed = tryParseCidr(text);
  if (!parsed) {
    throw badRequest(`EINVALID_${what.toUpperCase().replace(/[^A-Z]/g, '_')}`, `invalid ${what} ${text}: expected a CIDR like 10.0.0.0/24.`);
  }
  return parsed;
}

/** Parses route destinations and existing subnets, silently skipping what is not a CIDR or is a default route. */
function parseMany(list: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const text of list) {
    const p = tryParseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
    if (p && p.cidr.prefix > 0) out.push(p.cidr);
  }
  return out;
}

/**
 * Picks the first default pool that overlaps neither an existing network's subnet nor a route of the
 * host (default routes are ignored). Throws conflict 'ESUBNETS_EXHAUSTED' when none is left.
 */
export function allocateSubnet(existingSubnets: readonly string[], hostRoutes: readonly string[], pools: readonly string[] = DEFAULT_POOLS): string {
  const taken = [...parseMany(existingSubnets), ...parseMany(hostRoutes)];
  for (const text of pools) {
    const candidate = tryParseCidr(text)!.cidr;
    if (!taken.some((t) => cidrsOverlap(t, candidate))) return formatCidr(candidate);
  }
  throw conflict(
    'ESUBNETS_EXHAUSTED',
    'all default address pools overlap existing networks or host routes: remove an unused network or pass --subnet.',
  );
}

/** The existing subnet (as written) that overlaps `cidr`, if any. */
export function findOverlap(cidr: Cidr, existingSubnets: readonly string[]): string | undefined {
  for (const text of existingSubnets) {
    const p = tryParseCidr(text);
    if (p && cidrsOverlap(p.cidr, cidr)) return text;
  }
  return undefined;
}
