// Deterministic conflict rules shared by the DHT selectors, the gossip catalogue and the claim
// tables, so every host picks the same winner from the same records without a consensus service.
// Used by dht-records.ts, catalogue.ts, claims.ts.
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';
import type { ClaimRecord, HostRecord, NetworkRecord } from './types.js';

// ---- from the spec: RFC 7348 section 5, the VNI is a 24-bit field ----
export const VNI_MAX = 0xffffff;

/** Same network id: the tombstone wins (ids are random and never reused). */
export function newerNetworkVersion(a: NetworkRecord, b: NetworkRecord): NetworkRecord {
  if (a.deleted && !b.deleted) return a;
  if (b.deleted && !a.deleted) return b;
  return (a.deletedAt ?? 0) >= (b.deletedAt ?? 0) ? a : b;
}

/**
 * Order of definitions competing for one name: negative if `a` wins. Same id: tombstone wins. Live
 * beats deleted (a removed network frees its name); between live ones the earliest createdAt wins,
 * then the smallest id; between tombstones the latest deletion.
 */
export function compareForName(a: NetworkRecord, b: NetworkRecord): number {
  if (a.id === b.id) return newerNetworkVersion(a, b) === a ? -1 : 1;
  if (!!a.deleted !== !!b.deleted) return a.deleted ? 1 : -1;
  if (a.deleted) return (b.deletedAt ?? 0) - (a.deletedAt ?? 0) || (a.id < b.id ? -1 : 1);
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Index of the winning record for one name. */
export function pickForName(records: NetworkRecord[]): number {
  let best = 0;
  for (let i = 1; i < records.length; i++) if (compareForName(records[i], records[best]) < 0) best = i;
  return best;
}

/** Same (key, host): the higher version is the current state of that host's claim. */
export function newerClaim(a: ClaimRecord, b: ClaimRecord): ClaimRecord {
  return a.version >= b.version ? a : b;
}

const STATE_RANK = { held: 0, pending: 1, released: 2 } as const;

/** Order of claims by different hosts on one key (DHT selector): held, then earliest, then smallest host id. */
export function compareClaims(a: ClaimRecord, b: ClaimRecord): number {
  if (a.hostId === b.hostId) return newerClaim(a, b) === a ? -1 : 1;
  return STATE_RANK[a.state] - STATE_RANK[b.state] || a.claimedAt - b.claimedAt || (a.hostId < b.hostId ? -1 : 1);
}

/** Same host: a later incarnation, then a higher seq, is the current record. */
export function newerHost(a: HostRecord, b: HostRecord): HostRecord {
  if (a.startedAt !== b.startedAt) return a.startedAt > b.startedAt ? a : b;
  return a.seq >= b.seq ? a : b;
}

/** Throws EBADNETWORK unless the definition is complete and coherent. */
export function validateNetwork(def: NetworkRecord): void {
  const bad = (what: string) => badRequest('EBADNETWORK', `network definition ${def?.name ?? ''}: ${what}.`);
  if (typeof def !== 'object' || def === null) throw bad('is not an object');
  if (typeof def.id !== 'string' || !/^[0-9a-f]{64}$/.test(def.id)) throw bad('id must be 64 lowercase hex digits');
  if (typeof def.name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(def.name)) throw bad('name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
  if (def.driver !== 'overlay') throw bad('driver must be "overlay" for a global network');
  if (!Number.isInteger(def.vni) || def.vni < 1 || def.vni > VNI_MAX) throw bad(`vni must be 1-${VNI_MAX}`);
  let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    net = ipaddr.parseCIDR(def.subnet);
  } catch {
    throw bad(`subnet "${def.subnet}" is not a CIDR`);
  }
  if (def.gateway) {
    let gw: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      gw = ipaddr.parse(def.gateway);
    } catch {
      throw bad(`gateway "${def.gateway}" is not an IP address`);
    }
    if (gw.kind() !== net[0].kind() || !gw.match(net)) throw bad(`gateway ${def.gateway} is outside subnet ${def.subnet}`);
  }
  if (typeof def.createdAt !== 'number' || typeof def.createdBy !== 'string') throw bad('createdAt and createdBy are required');
  if (typeof def.options !== 'object' || def.options === null) throw bad('options must be an object');
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const NAME_RE = /^[a-zA-Z0-9_.-]{0,63}$/;

/** True when an endpoint record from another host is well-formed in every field (the sync protocol
 *  drops the others): ids, name and aliases, an IPv4 address (optionally with a prefix), a MAC, a
 *  VTEP 'ip:port', a numeric version, and an optional boolean tombstone. */
export function isValidEndpointRecord(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const e = r as Record<string, unknown>;
  if (typeof e.networkId !== 'string' || !/^[0-9a-f]{64}$/.test(e.networkId)) return false;
  if (typeof e.endpointId !== 'string' || e.endpointId.length === 0 || e.endpointId.length > 128) return false;
  if (typeof e.hostId !== 'string' || typeof e.version !== 'number' || !Number.isFinite(e.version)) return false;
  if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) return false;
  if (!Array.isArray(e.aliases) || e.aliases.length > 64 || !e.aliases.every((a) => typeof a === 'string' && NAME_RE.test(a))) return false;
  if (typeof e.ipv4 !== 'string' || !ipaddr.IPv4.isValid(e.ipv4.split('/')[0]!) || !ipaddr.IPv4.isValidFourPartDecimal(e.ipv4.split('/')[0]!)) return false;
  if (typeof e.mac !== 'string' || !MAC_RE.test(e.mac)) return false;
  if (typeof e.vtep !== 'string' || !/^[0-9a-fA-F.:[\]]+:\d{1,5}$/.test(e.vtep)) return false;
  if (e.deleted !== undefined && typeof e.deleted !== 'boolean') return false;
  return true;
}
