// This host's part in global networks: joining (announce it in the host record and as a DHT
// provider, find the other members) and leaving, and publishing or removing its own endpoint
// records, which are pushed to the network's live members (anti-entropy repairs missed pushes).
// Used by node.ts (DiscoveryNode's join/leave/endpoint methods).
import { conflict } from '../errors.js';
import { dhtPut, networkCid } from './dht-client.js';
import * as R from './dht-records.js';
import type { Maintenance } from './maintenance.js';
import type { MemberEvents } from './member-events.js';
import type { NodeCore } from './node-core.js';
import type { SyncService } from './sync-service.js';
import type { EndpointInput, EndpointRecord } from './types.js';

export class NetworkParticipation {
  constructor(
    private readonly core: NodeCore,
    private readonly sync: SyncService,
    private readonly events: MemberEvents,
    private readonly maintenance: Maintenance,
  ) {}

  /** Joins a global network: announce it (host record, DHT provider record), find and connect its members. */
  async join(networkId: string): Promise<void> {
    const { core } = this;
    if (core.local.joined.has(networkId)) return;
    core.local.joined.add(networkId);
    await this.updateHost();
    for (const h of core.members.live()) if (h.rec.networks.includes(networkId)) this.events.emit(networkId, h.rec, 'up');
    const cid = await networkCid(networkId);
    core.libp2p.contentRouting.provide(cid).catch((err) => core.log.debug(`discovery: provide ${networkId}: ${err.message}`));
    void this.maintenance.findMembers(networkId);
  }

  /** Leaves a global network: others drop this host's endpoints there; remote endpoints are reported deleted here. */
  async leave(networkId: string): Promise<void> {
    const { core } = this;
    if (!core.local.joined.delete(networkId)) return;
    core.endpoints.dropNetwork(networkId);
    await this.updateHost();
    const cid = await networkCid(networkId);
    core.libp2p.contentRouting.cancelReprovide(cid).catch(() => undefined);
  }

  /** Publishes (creates or updates) one of this host's endpoints; joins the network if needed. */
  async publishEndpoint(input: EndpointInput): Promise<EndpointRecord> {
    const { core } = this;
    await this.join(input.networkId);
    const prev = core.endpoints.get(input.networkId, input.endpointId);
    if (prev && prev.hostId !== core.peerId && !prev.deleted) {
      throw conflict('EENDPOINT_EXISTS', `endpoint ${input.endpointId.slice(0, 12)} belongs to host ${prev.hostId}; use a new endpoint id.`);
    }
    const rec: EndpointRecord = {
      networkId: input.networkId, endpointId: input.endpointId, name: input.name, aliases: [...(input.aliases ?? [])],
      ipv4: input.ipv4, mac: input.mac, vtep: input.vtep ?? core.local.record.vtep, hostId: core.peerId,
      version: core.local.nextVersion(prev?.version),
    };
    core.endpoints.apply(rec);
    this.sync.pushEndpoints(rec.networkId, [rec], false);
    return rec;
  }

  /** Removes one of this host's endpoints (a tombstone reaches the members). */
  async removeEndpoint(networkId: string, endpointId: string): Promise<void> {
    const { core } = this;
    const prev = core.endpoints.get(networkId, endpointId);
    if (!prev || prev.hostId !== core.peerId || prev.deleted) return;
    const rec: EndpointRecord = { ...prev, deleted: true, version: core.local.nextVersion(prev.version) };
    core.endpoints.apply(rec);
    this.sync.pushEndpoints(networkId, [rec], false);
  }

  /** Re-signs this host's record after the joined set changed; gossips it and stores it in the DHT. */
  private async updateHost(): Promise<void> {
    const env = await this.core.local.update();
    this.sync.scheduleGossip();
    void dhtPut(this.core.libp2p, R.hostKey(this.core.peerId), env, this.core.log);
  }
}
