// tsnet's default IPAM driver (CNM "IPAM"): one address pool per network, validated like Docker's
// `network create --subnet --gateway --ip-range --aux-address`, and address allocation inside it.
// Pure: no I/O, no clock. A pool is a plain JSON object that goes as-is into the daemon's state file;
// `allocate` and `release` update it in place (and leave it untouched when they throw). Used by the
// network manager (create/connect/disconnect) and the Docker IPAM plugin.
//
// Docker behaviours kept: the gateway defaults to the first usable address; network, broadcast, gateway
// and aux addresses are never handed out; automatic allocation walks forward from the last automatic
// allocation (libnetwork bitseq "serial" mode) so a just-released address is not reused at once; with an
// ip-range, automatic allocation stays in the range (its first address included, as in Docker, unless it
// is the subnet's network address) but --ip may be anywhere in the subnet.
// Our choice where Docker varies: a subnet or ip-range with host bits set is rejected (as Docker >= 25
// does: "it should be 10.1.1.0/24"), not silently normalised.
import { badRequest, conflict, internal } from '../errors.js';
import {
  type Cidr,
  type Family,
  allocateSubnet,
  containsAddress,
  containsCidr,
  findOverlap,
  formatAddress,
  formatCidr,
  lastAddress,
  parseCidrOrThrow,
  tryParseAddress,
  tryParseCidr,
} from './ipam-pools.js';

export { allocateSubnet, DEFAULT_POOLS } from './ipam-pools.js';

// --- our choice ---
/** Smallest IPv4 subnet we accept: a /30 leaves a gateway and one endpoint. */
const MAX_PREFIX_V4 = 30;
const MAX_PREFIX_V6 = 126;
const POOL_STATE_VERSION = 1;

export interface PoolRequest {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

/** The serialisable state of one network's address pool. */
export interface IpamPool {
  version: number;
  family: Family;
  /** Normalised CIDR, e.g. "172.19.0.0/16". */
  subnet: string;
  gateway: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
  /** True when the user gave --subnet (Docker allows --ip only on such networks). */
  userSubnet: boolean;
  /** Addresses handed out to endpoints, sorted numerically (reserved addresses are not listed). */
  allocated: string[];
  /** Last address handed out automatically; the next automatic allocation starts after it. */
  last?: string;
}

/**
 * Validates a pool request and builds the pool. Without a subnet, the first free default pool is taken
 * (avoiding `existingSubnets` and `hostRoutes`); a given subnet must not overlap `existingSubnets`.
 */
export function createPool(req: PoolRequest, existingSubnets: readonly string[], hostRoutes: readonly string[]): IpamPool {
  const aux = req.auxAddresses ?? {};
  if (!req.subnet && (req.gateway || req.ipRange || Object.keys(aux).length > 0)) {
    throw badRequest('EINVALID_IPAM_CONFIG', 'every gateway, ip-range and aux-address needs a corresponding --subnet.');
  }
  const userSubnet = !!req.subnet;
  const subnetText = req.subnet ?? allocateSubnet(existingSubnets, hostRoutes);
  const { cidr: subnet, host } = parseCidrOrThrow(subnetText, 'subnet');
  if (host !== subnet.base) {
    throw badRequest('EINVALID_SUBNET', `invalid subnet ${subnetText}: it should be ${formatCidr(subnet)}.`);
  }
  const maxPrefix = subnet.family === 4 ? MAX_PREFIX_V4 : MAX_PREFIX_V6;
  if (subnet.prefix > maxPrefix) {
    throw badRequest('EINVALID_SUBNET', `subnet ${subnetText} is too small: use a prefix of /${maxPrefix} or shorter.`);
  }
  const overlap = findOverlap(subnet, existingSubnets);
  if (overlap !== undefined) {
    throw conflict('ESUBNET_OVERLAP', `subnet ${formatCidr(subnet)} overlaps subnet ${overlap} of another network: choose a different --subnet.`);
  }
  const subnetName = formatCidr(subnet);

  let ipRange: string | undefined;
  if (req.ipRange) {
    const { cidr: range, host: rangeHost } = parseCidrOrThrow(req.ipRange, 'ip-range');
    if (rangeHost !== range.base) {
      throw badRequest('EINVALID_IP_RANGE', `invalid ip-range ${req.ipRange}: it should be ${formatCidr(range)}.`);
    }
    if (!containsCidr(subnet, range)) {
      throw badRequest('EINVALID_IP_RANGE', `ip-range ${req.ipRange} is not inside subnet ${subnetName}.`);
    }
    ipRange = formatCidr(range);
  }

  let gateway: bigint;
  if (req.gateway) {
    gateway = addressInSubnet(req.gateway, subnet, 'gateway', 'EINVALID_GATEWAY');
  } else {
    gateway = subnet.base + 1n;
  }

  const auxAddresses: Record<string, string> = {};
  for (const [name, text] of Object.entries(aux)) {
    auxAddresses[name] = formatAddress(subnet.family, addressInSubnet(text, subnet, `aux-address ${name}=`, 'EINVALID_AUX_ADDRESS'));
  }

  return {
    version: POOL_STATE_VERSION,
    family: subnet.family,
    subnet: subnetName,
    gateway: formatAddress(subnet.family, gateway),
    ...(ipRange ? { ipRange } : {}),
    auxAddresses,
    userSubnet,
    allocated: [],
  };
}

/** Parses an address that must be a usable host address of `subnet`. */
function addressInSubnet(text: string, subnet: Cidr, what: string, code: string): bigint {
  const label = what.endsWith('=') ? `${what}${text}` : `${what} ${text}`;
  const a = tryParseAddress(text);
  if (!a) throw badRequest(code, `invalid ${label}: expected an IP address like ${subnet.family === 4 ? '10.0.0.1' : 'fd00::1'}.`);
  if (!containsAddress(subnet, a.family, a.value)) throw badRequest(code, `${label} is not inside subnet ${formatCidr(subnet)}.`);
  if (a.value === subnet.base) throw badRequest(code, `${label} is the network address of subnet ${formatCidr(subnet)}.`);
  if (subnet.family === 4 && a.value === lastAddress(subnet)) {
    throw badRequest(code, `${label} is the broadcast address of subnet ${formatCidr(subnet)}.`);
  }
  return a.value;
}

/** The pool's parsed subnet, range and reserved addresses. */
function view(pool: IpamPool) {
  const subnet = tryParseCidr(pool.subnet)?.cidr;
  if (!subnet) throw internal('EIPAM_STATE_INVALID', `the address pool state is corrupt: bad subnet ${pool.subnet}.`);
  const range = pool.ipRange ? tryParseCidr(pool.ipRange)?.cidr ?? subnet : subnet;
  const reserved = new Map<bigint, string>();
  reserved.set(subnet.base, 'the network address');
  if (subnet.family === 4) reserved.set(lastAddress(subnet), 'the broadcast address');
  const gw = tryParseAddress(pool.gateway);
  if (gw) reserved.set(gw.value, 'reserved for the gateway');
  for (const [name, text] of Object.entries(pool.auxAddresses)) {
    const a = tryParseAddress(text);
    if (a) reserved.set(a.value, `reserved as aux-address ${name}`);
  }
  return { subnet, range, reserved };
}

const valueAt = (pool: IpamPool, i: number) => tryParseAddress(pool.allocated[i]!)!.value;

/** Index of the first allocated address >= v (binary search over the sorted list). */
function lowerBound(pool: IpamPool, v: bigint): number {
  let lo = 0;
  let hi = pool.allocated.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (valueAt(pool, mid) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First free address in [from, to], or undefined. Walks the sorted list in step with the candidate. */
function scan(pool: IpamPool, reserved: Map<bigint, string>, from: bigint, to: bigint): bigint | undefined {
  let i = lowerBound(pool, from);
  const n = pool.allocated.length;
  for (let c = from; c <= to; c++) {
    if (reserved.has(c)) continue;
    while (i < n && valueAt(pool, i) < c) i++;
    if (i < n && valueAt(pool, i) === c) continue;
    return c;
  }
  return undefined;
}

/**
 * Hands out an address of the pool and records it. With `requested` (docker --ip), exactly that
 * address or an error; otherwise the next free address after the last automatic one (wrapping).
 */
export function allocate(pool: IpamPool, requested?: string): string {
  const { subnet, range, reserved } = view(pool);
  let value: bigint;
  if (requested !== undefined) {
    const a = tryParseAddress(requested);
    if (!a) throw badRequest('EINVALID_ADDRESS', `invalid address ${requested}: expected an IP address like 172.19.0.5.`);
    if (!containsAddress(subnet, a.family, a.value)) {
      throw badRequest('EINVALID_ADDRESS', `address ${requested} is not inside subnet ${pool.subnet} of this network.`);
    }
    const why = reserved.get(a.value);
    if (why === 'the network address' || why === 'the broadcast address') {
      throw badRequest('EINVALID_ADDRESS', `address ${requested} is ${why} of subnet ${pool.subnet} and cannot be assigned.`);
    }
    if (why) throw conflict('EADDR_IN_USE', `address ${requested} is ${why} of this network: choose another --ip.`);
    const i = lowerBound(pool, a.value);
    if (i < pool.allocated.length && valueAt(pool, i) === a.value) {
      throw conflict('EADDR_IN_USE', `address ${requested} is already in use on this network: choose another --ip.`);
    }
    value = a.value;
  } else {
    const lo = range.base;
    const hi = lastAddress(range);
    const last = pool.last ? tryParseAddress(pool.last)?.value : undefined;
    const start = last !== undefined && last >= lo && last < hi ? last + 1n : lo;
    const found = scan(pool, reserved, start, hi) ?? (start > lo ? scan(pool, reserved, lo, start - 1n) : undefined);
    if (found === undefined) {
      const where = pool.ipRange ? `ip-range ${pool.ipRange}` : `subnet ${pool.subnet}`;
      throw conflict('EPOOL_EXHAUSTED', `no free address left in ${where}: disconnect a container or use a network with a larger subnet.`);
    }
    value = found;
  }
  const text = formatAddress(subnet.family, value);
  pool.allocated.splice(lowerBound(pool, value), 0, text);
  if (requested === undefined) pool.last = text;
  return text;
}

/** Returns an address to the pool; false if it was not allocated (releasing twice is harmless). */
export function release(pool: IpamPool, addr: string): boolean {
  const a = tryParseAddress(addr);
  if (!a || a.family !== pool.family) throw badRequest('EINVALID_ADDRESS', `invalid address ${addr}: expected an IP address of subnet ${pool.subnet}.`);
  const i = lowerBound(pool, a.value);
  if (i >= pool.allocated.length || valueAt(pool, i) !== a.value) return false;
  pool.allocated.splice(i, 1);
  return true;
}

export function isAllocated(pool: IpamPool, addr: string): boolean {
  const a = tryParseAddress(addr);
  if (!a || a.family !== pool.family) return false;
  const i = lowerBound(pool, a.value);
  return i < pool.allocated.length && valueAt(pool, i) === a.value;
}

/** "172.19.0.2" -> "172.19.0.2/16": the address with the pool's prefix, as `ip addr add` wants it. */
export function withPrefix(pool: IpamPool, addr: string): string {
  return `${addr}/${pool.subnet.slice(pool.subnet.indexOf('/') + 1)}`;
}

/**
 * Rebuilds a pool read from the state file, checking its shape (throws internal 'EIPAM_STATE_INVALID'
 * with a sentence naming the bad field) and re-sorting the allocated list.
 */
export function loadPool(json: unknown): IpamPool {
  const bad = (what: string) => internal('EIPAM_STATE_INVALID', `the address pool in the state file is corrupt: ${what}.`);
  if (typeof json !== 'object' || json === null) throw bad('it is not an object');
  const p = json as Record<string, unknown>;
  if (p.version !== POOL_STATE_VERSION) throw bad(`unknown version ${String(p.version)}`);
  const subnet = typeof p.subnet === 'string' ? tryParseCidr(p.subnet) : undefined;
  if (!subnet || subnet.host !== subnet.cidr.base) throw bad(`subnet ${String(p.subnet)} is not a network CIDR`);
  const family = subnet.cidr.family;
  const addrIn = (v: unknown) => {
    const a = typeof v === 'string' ? tryParseAddress(v) : undefined;
    return a !== undefined && containsAddress(subnet.cidr, a.family, a.value) ? a : undefined;
  };
  if (!addrIn(p.gateway)) throw bad(`gateway ${String(p.gateway)} is not inside ${p.subnet}`);
  if (p.ipRange !== undefined && (typeof p.ipRange !== 'string' || !tryParseCidr(p.ipRange))) throw bad(`ip-range ${String(p.ipRange)} is not a CIDR`);
  if (typeof p.auxAddresses !== 'object' || p.auxAddresses === null) throw bad('auxAddresses is not an object');
  const auxAddresses: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.auxAddresses as Record<string, unknown>)) {
    if (!addrIn(v)) throw bad(`aux-address ${k}=${String(v)} is not inside ${p.subnet}`);
    auxAddresses[k] = v as string;
  }
  if (!Array.isArray(p.allocated)) throw bad('allocated is not a list');
  const values = new Map<bigint, string>();
  for (const v of p.allocated) {
    const a = addrIn(v);
    if (!a) throw bad(`allocated address ${String(v)} is not inside ${p.subnet}`);
    values.set(a.value, formatAddress(family, a.value));
  }
  const allocated = [...values.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map((e) => e[1]);
  if (p.last !== undefined && !addrIn(p.last)) throw bad(`last ${String(p.last)} is not inside ${p.subnet}`);
  return {
    version: POOL_STATE_VERSION,
    family,
    subnet: p.subnet as string,
    gateway: p.gateway as string,
    ...(p.ipRange !== undefined ? { ipRange: p.ipRange as string } : {}),
    auxAddresses,
    userSubnet: p.userSubnet === true,
    allocated,
    ...(p.last !== undefined ? { last: p.last as string } : {}),
  };
}

/** Docker's MAC for an IPv4 endpoint: 02:42 followed by the four address bytes ("172.19.0.2" -> "02:42:ac:13:00:02"). */
export function macFromIp(ipv4: string): string {
  const a = tryParseAddress(ipv4);
  if (!a || a.family !== 4) throw badRequest('EINVALID_ADDRESS', `invalid IPv4 address ${ipv4}: a MAC address is derived only from an IPv4 address.`);
  const bytes = [0x02, 0x42];
  for (let shift = 24n; shift >= 0n; shift -= 8n) bytes.push(Number((a.value >> shift) & 0xffn));
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
