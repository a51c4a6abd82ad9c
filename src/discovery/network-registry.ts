// Global network definitions: publish (the definition that wins its name, by compareForName),
// find by name or id (the gossiped catalogue first, then the DHT), list, and remove (a signed
// tombstone that beats the definition everywhere). Definitions are stored in the DHT under their
// name and their id and gossiped in hellos. Used by node.ts (DiscoveryNode's network methods).
import { conflict, notFound } from '../errors.js';
import { dhtGetRaw, dhtPut } from './dht-client.js';
import * as R from './dht-records.js';
import type { NodeCore } from './node-core.js';
import { compareForName, validateNetwork } from './rules.js';
import { decodeSigned } from './signed.js';
import type { SyncService } from './sync-service.js';
import type { NetworkDefinition, NetworkRecord } from './types.js';

export class NetworkRegistry {
  constructor(private readonly core: NodeCore, private readonly sync: SyncService) {}

  /**
   * Publishes a global network definition; resolves to the definition that wins its name (compare
   * ids: another host may have published the same name first). Throws ENETWORK_EXISTS when the name
   * is already known to belong to another network, EVNI_IN_USE when its VNI is taken.
   */
  async publish(def: NetworkDefinition): Promise<NetworkDefinition> {
    const { catalogue } = this.core;
    validateNetwork(def);
    const known = catalogue.find(def.name) ?? (await this.lookup(def.name));
    if (known && known.id !== def.id && compareForName(known, def) < 0) {
      throw conflict('ENETWORK_EXISTS', `a network named ${def.name} already exists (id ${known.id.slice(0, 12)}); choose another name.`);
    }
    const vniUser = catalogue.list().find((n) => n.vni === def.vni && n.id !== def.id);
    if (vniUser) throw conflict('EVNI_IN_USE', `VNI ${def.vni} is already used by network ${vniUser.name}; choose another VNI.`);
    await this.store({ ...def, options: { ...def.options } });
    return catalogue.find(def.name) ?? def;
  }

  /** The winning live definition for a name, or the definition with this id; null if none is known. */
  async find(nameOrId: string): Promise<NetworkDefinition | null> {
    return this.core.catalogue.find(nameOrId) ?? (await this.lookup(nameOrId)) ?? null;
  }

  /** All live global networks known to this host (the gossiped catalogue). */
  list(): NetworkDefinition[] {
    return this.core.catalogue.list();
  }

  /** Removes a global network cluster-wide. Throws ENETWORK_NOT_FOUND. */
  async remove(nameOrId: string): Promise<void> {
    const def = await this.find(nameOrId);
    if (!def) throw notFoundNetwork(nameOrId);
    await this.store({ ...def, deleted: true, deletedAt: this.core.clock.now() });
  }

  private async store(rec: NetworkRecord): Promise<void> {
    const { core } = this;
    const env = await core.local.sign(rec);
    if (core.catalogue.merge(rec, env)) this.sync.scheduleGossip();
    await Promise.all([
      dhtPut(core.libp2p, R.networkNameKey(rec.name), env, core.log),
      dhtPut(core.libp2p, R.networkIdKey(rec.id), env, core.log),
    ]);
  }

  private async lookup(nameOrId: string): Promise<NetworkDefinition | undefined> {
    const { core } = this;
    const key = /^[0-9a-f]{64}$/.test(nameOrId) ? R.networkIdKey(nameOrId) : R.networkNameKey(nameOrId);
    const bytes = await dhtGetRaw(core.libp2p, key);
    if (!bytes) return undefined;
    try {
      const env = decodeSigned(bytes);
      const rec = await R.openNetwork(bytes);
      if (core.catalogue.merge(rec, env)) this.sync.scheduleGossip();
    } catch (err) {
      core.log.warn(`discovery: bad network record in DHT: ${(err as Error).message}`);
    }
    return core.catalogue.find(nameOrId);
  }
}

function notFoundNetwork(nameOrId: string) {
  return notFound('ENETWORK_NOT_FOUND', `no global network named or with id ${nameOrId} is known; check the name with network ls.`);
}
