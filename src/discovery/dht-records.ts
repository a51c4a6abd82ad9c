// DHT keys, validators and selectors for tsnet records in kad-dht. Every value is a signed envelope
// (signed.ts); validators check the signature and that the key matches the record, selectors apply
// the deterministic rules of rules.ts so a conflicting definition for one name resolves to the same
// winner on every host. Used by libp2p-host.ts (kadDHT init)
// and the parts that put/get records (node.ts, network-registry.ts, network-participation.ts,
// sync-service.ts).
import { createHash } from 'node:crypto';
import { NS_CLAIM, NS_HOST, NS_NETWORK } from './constants.js';
import { compareClaims, compareForName, newerHost, validateNetwork } from './rules.js';
import { decodeSigned, open, packr } from './signed.js';
import type { ClaimRecord, HostRecord, NetworkRecord } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const h = (s: string) => createHash('sha256').update(s).digest('hex');

export const networkNameKey = (name: string) => enc.encode(`/${NS_NETWORK}/${h('name:' + name)}`);
export const networkIdKey = (id: string) => enc.encode(`/${NS_NETWORK}/${h('id:' + id)}`);
export const hostKey = (hostId: string) => enc.encode(`/${NS_HOST}/${hostId}`);
export const claimKey = (key: string) => enc.encode(`/${NS_CLAIM}/${h(key)}`);

async function openNetwork(value: Uint8Array): Promise<NetworkRecord> {
  const rec = await open<NetworkRecord>(decodeSigned(value));
  validateNetwork(rec);
  return rec;
}

async function validateNetworkValue(key: Uint8Array, value: Uint8Array): Promise<void> {
  const rec = await openNetwork(value);
  const k = dec.decode(key);
  if (k !== dec.decode(networkNameKey(rec.name)) && k !== dec.decode(networkIdKey(rec.id))) {
    throw new Error('network record does not belong under this key');
  }
}

async function validateHostValue(key: Uint8Array, value: Uint8Array): Promise<void> {
  const env = decodeSigned(value);
  const rec = await open<HostRecord>(env);
  if (dec.decode(key) !== `/${NS_HOST}/${rec.hostId}` || env.signer !== rec.hostId) throw new Error('host record not signed by its host');
}

async function validateClaimValue(key: Uint8Array, value: Uint8Array): Promise<void> {
  const env = decodeSigned(value);
  const rec = await open<ClaimRecord>(env);
  if (dec.decode(key) !== dec.decode(claimKey(rec.key)) || env.signer !== rec.hostId) throw new Error('claim not signed by its host');
}

export const validators = {
  [NS_NETWORK]: validateNetworkValue,
  [NS_HOST]: validateHostValue,
  [NS_CLAIM]: validateClaimValue,
};

/** Selectors run on values that passed validation; unreadable ones lose. */
function unpackAll<T>(values: Uint8Array[]): Array<T | undefined> {
  return values.map((v) => {
    try {
      return decodeBody<T>(v);
    } catch {
      return undefined;
    }
  });
}

/** Decodes an envelope's body without verifying (selectors only see validated values). */
export function decodeBody<T>(value: Uint8Array): T {
  return packr.unpack(decodeSigned(value).body) as T;
}

function selectBy<T>(cmp: (a: T, b: T) => number) {
  return (_key: Uint8Array, values: Uint8Array[]): number => {
    const recs = unpackAll<T>(values);
    let best = -1;
    recs.forEach((r, i) => {
      if (r === undefined) return;
      if (best < 0 || cmp(r, recs[best] as T) < 0) best = i;
    });
    return Math.max(best, 0);
  };
}

export const selectors = {
  [NS_NETWORK]: selectBy<NetworkRecord>(compareForName),
  [NS_HOST]: selectBy<HostRecord>((a, b) => (newerHost(a, b) === a ? -1 : 1)),
  [NS_CLAIM]: selectBy<ClaimRecord>(compareClaims),
};

export { openNetwork };
