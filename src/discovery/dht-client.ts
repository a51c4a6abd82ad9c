// Thin DHT client helpers for the discovery node: bounded put/get of signed records through
// libp2p's content routing (kad-dht underneath) and the content id under which a network's members
// announce themselves as providers. Failures are logged and become "not found": the DHT is the
// persistence and lookup layer, gossip keeps the authoritative copies. Used by
// node.ts, network-registry.ts, network-participation.ts, sync-service.ts and maintenance.ts.
import type { Libp2p } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { DHT_TIMEOUT_MS } from './constants.js';
import { decodeSigned, encodeSigned, open, type Signed } from './signed.js';
import type { DiscoveryLogger } from './types.js';

export async function dhtPut(node: Libp2p, key: Uint8Array, env: Signed, log: DiscoveryLogger): Promise<void> {
  try {
    await node.contentRouting.put(key, encodeSigned(env), { signal: AbortSignal.timeout(DHT_TIMEOUT_MS) });
  } catch (err) {
    log.debug(`discovery: DHT put: ${(err as Error).message}`);
  }
}

export async function dhtGetRaw(node: Libp2p, key: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return await node.contentRouting.get(key, { signal: AbortSignal.timeout(DHT_TIMEOUT_MS) });
  } catch {
    return undefined;
  }
}

/** Gets and verifies a signed record; undefined when missing or invalid. */
export async function dhtGet<T>(node: Libp2p, key: Uint8Array): Promise<T | undefined> {
  const bytes = await dhtGetRaw(node, key);
  if (!bytes) return undefined;
  try {
    return await open<T>(decodeSigned(bytes));
  } catch {
    return undefined;
  }
}

/** The DHT content id under which the members of a network announce themselves. */
export async function networkCid(networkId: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('tsnet-network:' + networkId)));
}
