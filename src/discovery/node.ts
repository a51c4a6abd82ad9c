// The discovery node: one per tsnet daemon. A libp2p host (libp2p-host.ts: TCP, noise, yamux,
// identify, ping, kad-dht in server mode on the private '/tsnet/kad/1.0.0' protocol) plus tsnet's
// own sync protocol. It keeps the cluster's host records, the global network catalogue, the
// endpoint records of the networks this host joined, and the claim table; it detects dead hosts
// (ping + disconnects) and reports members and endpoints coming and going. This file builds the
// parts and is the public face (DiscoveryNode); the work is done in:
//   local-host.ts             this host's signed record, joined networks, version clock
//   membership.ts             known hosts and their liveness (ping, disconnect + redial)
//   member-events.ts          reactions to hosts going up/down/changing networks; member listeners
//   sync-service.ts           hellos, gossip, endpoint pushes, claim rounds, anti-entropy (sending side)
//   sync-handlers.ts          incoming sync messages
//   maintenance.ts            the periodic anti-entropy / redial / provider lookup loop
//   network-registry.ts       global network definitions
//   network-participation.ts  joining/leaving networks and this host's endpoint records
// Built by createDiscoveryNode (index.ts re-exports it; the daemon, `tsnet switch` and tests use it).
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { hostname as osHostname } from 'node:os';
import { badRequest } from '../errors.js';
import { toMultiaddr } from './addresses.js';
import { NetworkCatalogue } from './catalogue.js';
import { ClaimProtocol, type BlockClaim } from './claim-protocol.js';
import { ClaimTable } from './claims.js';
import * as C from './constants.js';
import { dhtGet, dhtPut } from './dht-client.js';
import * as R from './dht-records.js';
import { EndpointTable, type EndpointListener } from './endpoints.js';
import { loadIdentity } from './identity.js';
import { createLibp2pHost, type Services } from './libp2p-host.js';
import { LocalHost } from './local-host.js';
import { Maintenance } from './maintenance.js';
import { MemberEvents, type MemberListener } from './member-events.js';
import { Membership } from './membership.js';
import { NetworkParticipation } from './network-participation.js';
import { NetworkRegistry } from './network-registry.js';
import { liveMembersOf, type NodeCore } from './node-core.js';
import { SyncService } from './sync-service.js';
import type {
  ClaimRecord, DiscoveryLogger, DiscoveryOptions, EndpointInput, EndpointRecord, HostRecord, NetworkDefinition, PeerInfo,
} from './types.js';
import { EnvelopeVerifier } from './verified-envelopes.js';

export type { EndpointListener, MemberListener };

const silent: DiscoveryLogger = { debug() {}, info() {}, warn() {} };

export async function createDiscoveryNode(opts: DiscoveryOptions): Promise<DiscoveryNode> {
  if (!opts.listen?.length) throw badRequest('EBADOPTIONS', 'discovery needs at least one listen address such as 0.0.0.0:7946.');
  if (!/^.+:\d+$/.test(opts.vtep ?? '')) throw badRequest('EBADOPTIONS', `vtep must be ip:port, got "${opts.vtep}".`);
  const key = await loadIdentity(opts);
  return new DiscoveryNode(await createLibp2pHost(key, opts), key, opts);
}

export class DiscoveryNode {
  readonly peerId: string;
  readonly endpointsTable: EndpointTable;
  private readonly core: NodeCore;
  private readonly endpointListeners = new Set<EndpointListener>();
  private readonly sync: SyncService;
  private readonly events: MemberEvents;
  private readonly maintenance: Maintenance;
  private readonly networks: NetworkRegistry;
  private readonly participation: NetworkParticipation;
  private readonly claimer: ClaimProtocol;
  private running = false;

  constructor(readonly libp2p: Libp2p<Services>, key: PrivateKey, private readonly opts: DiscoveryOptions) {
    const peerId = (this.peerId = libp2p.peerId.toString());
    const clock = opts.clock ?? { now: () => Date.now() };
    const log = opts.logger ?? silent;
    this.endpointsTable = new EndpointTable(peerId, (n, r, k) => this.endpointListeners.forEach((f) => f(n, r, k)));
    const members = new Membership({
      libp2p, self: peerId, clock, log,
      pingIntervalMs: opts.pingIntervalMs ?? C.DEFAULT_PING_INTERVAL_MS,
      downAfterMs: opts.downAfterMs ?? C.DEFAULT_DOWN_AFTER_MS,
      hello: (peer) => this.sync.sendHello(peer),
      onUp: (h) => this.events.hostUp(h),
      onDown: (h) => this.events.hostDown(h),
      onChanged: (prev, h) => this.events.hostChanged(prev, h),
    });
    const local = new LocalHost(key, peerId, clock);
    this.core = {
      libp2p, peerId, clock, log, local, members, endpoints: this.endpointsTable,
      catalogue: new NetworkCatalogue(), claimTable: new ClaimTable(), verifier: new EnvelopeVerifier(log),
    };
    this.sync = new SyncService(this.core);
    this.events = new MemberEvents(this.core, this.sync);
    const ae = opts.antiEntropyIntervalMs ?? C.DEFAULT_ANTI_ENTROPY_INTERVAL_MS;
    this.maintenance = new Maintenance(this.core, this.sync, (opts.join ?? []).map(toMultiaddr), ae);
    this.networks = new NetworkRegistry(this.core, this.sync);
    this.participation = new NetworkParticipation(this.core, this.sync, this.events, this.maintenance);
    this.claimer = new ClaimProtocol({
      self: peerId, clock, table: this.core.claimTable,
      isLive: (h) => h === peerId || members.isLive(h),
      hostname: (h) => (h === peerId ? local.record.hostname : members.get(h)?.rec.hostname ?? h),
      sign: (rec) => local.sign(rec),
      round: (env) => this.sync.claimRound(env),
      publish: (env, rec) => this.sync.publishClaim(env, rec),
      dhtGet: (k) => dhtGet<ClaimRecord>(libp2p, R.claimKey(k)),
      endpointNames: (networkId) => {
        const m = new Map<string, string>();
        for (const r of this.endpointsTable.live(networkId)) {
          if (r.hostId === peerId) continue;
          m.set(r.name, r.hostId);
          for (const a of r.aliases ?? []) m.set(a, r.hostId);
        }
        return m;
      },
      nextVersion: (prev) => local.nextVersion(prev),
    });
  }

  // ---------------------------------------------------------------- lifecycle
  async start(): Promise<void> {
    await this.libp2p.start();
    this.running = true;
    const addrs = this.addresses();
    const { opts, core } = this;
    await core.local.init({ hostname: opts.hostname ?? osHostname(), vtep: opts.vtep, advertise: opts.advertise ?? addrs[0] ?? '', addrs });
    await this.sync.start();
    core.members.start();
    await this.maintenance.start();
    void dhtPut(this.libp2p, R.hostKey(this.peerId), core.local.envelope, core.log);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.maintenance.stop();
    this.sync.stop();
    this.core.members.stop();
    await this.libp2p.stop();
  }

  /** Dialable multiaddrs of this node, with /p2p/<peerId>. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  /** This host's own record. */
  hostRecord(): HostRecord {
    const rec = this.core.local.record;
    return { ...rec, networks: [...rec.networks] };
  }

  /** Live cluster members (other hosts), with last seen time, ping RTT and VTEP. */
  peers(): PeerInfo[] {
    return this.core.members.liveInfos();
  }

  /** Every host ever heard of, live or not. */
  knownHosts(): HostRecord[] {
    return this.core.members.all().map((h) => h.rec);
  }

  onEndpoint(fn: EndpointListener): () => void {
    this.endpointListeners.add(fn);
    return () => this.endpointListeners.delete(fn);
  }

  onMember(fn: MemberListener): () => void {
    return this.events.subscribe(fn);
  }

  // ---------------------------------------------------------------- networks (network-registry.ts)
  /** The definition that wins the name; throws ENETWORK_EXISTS, EVNI_IN_USE, EBADNETWORK. */
  publishNetwork(def: NetworkDefinition): Promise<NetworkDefinition> {
    return this.networks.publish(def);
  }

  /** The winning live definition for a name, or the definition with this id; null if none is known. */
  findNetwork(nameOrId: string): Promise<NetworkDefinition | null> {
    return this.networks.find(nameOrId);
  }

  /** All live global networks known to this host (the gossiped catalogue). */
  listNetworks(): NetworkDefinition[] {
    return this.networks.list();
  }

  /** Removes a global network cluster-wide (a tombstone that beats the definition everywhere). */
  removeNetwork(nameOrId: string): Promise<void> {
    return this.networks.remove(nameOrId);
  }

  // ---------------------------------------------------------------- membership, endpoints (network-participation.ts)
  /** Joins a global network: announce it (DHT provider record), find and connect its members. */
  joinNetwork(networkId: string): Promise<void> {
    return this.participation.join(networkId);
  }

  /** Leaves a global network: others drop this host's endpoints there; remote endpoints are reported deleted here. */
  leaveNetwork(networkId: string): Promise<void> {
    return this.participation.leave(networkId);
  }

  joinedNetworks(): string[] {
    return [...this.core.local.joined];
  }

  /** Live hosts (other than this one) that joined a network. */
  membersOf(networkId: string): HostRecord[] {
    return liveMembersOf(this.core, networkId);
  }

  /** Publishes (creates or updates) one of this host's endpoints; joins the network if needed. */
  publishEndpoint(input: EndpointInput): Promise<EndpointRecord> {
    return this.participation.publishEndpoint(input);
  }

  /** Removes one of this host's endpoints (a tombstone reaches the members). */
  removeEndpoint(networkId: string, endpointId: string): Promise<void> {
    return this.participation.removeEndpoint(networkId, endpointId);
  }

  /** Live endpoints of a network, this host's and the members'. */
  endpoints(networkId: string): EndpointRecord[] {
    return this.endpointsTable.live(networkId);
  }

  /** The live endpoint using an IPv4 address on a network (the IPAM duplicate check), if any. */
  addressInUse(networkId: string, ipv4: string): EndpointRecord | undefined {
    return this.endpointsTable.live(networkId).find((r) => r.ipv4 === ipv4 || r.ipv4.split('/')[0] === ipv4);
  }

  // ---------------------------------------------------------------- claims (claim-protocol.ts)
  /** Claims a container name in a scope (network id or 'cluster'); throws ENAME_IN_USE. */
  claimName(scope: string, name: string, owner: string): Promise<void> {
    return this.claimer.claimName(scope, name, owner);
  }

  releaseName(scope: string, name: string): Promise<void> {
    return this.claimer.releaseName(scope, name);
  }

  /** Claims a free /blockPrefixLen block of a global network's subnet for this host. */
  claimBlock(networkId: string, subnet: string, blockPrefixLen: number, opts: { preferIndex?: number } = {}): Promise<string> {
    return this.claimer.claimBlock(networkId, subnet, blockPrefixLen, opts.preferIndex);
  }

  releaseBlock(networkId: string, cidr: string): Promise<void> {
    return this.claimer.releaseBlock(networkId, cidr);
  }

  /** Held blocks cluster-wide (optionally of one network), as this host knows them. */
  listBlocks(networkId?: string): BlockClaim[] {
    return this.claimer.blocks(networkId);
  }
}
