// The discovery node: one per tsnet daemon. A libp2p host (TCP, noise, yamux, identify, ping,
// kad-dht in server mode on the private '/tsnet/kad/1.0.0' protocol) plus tsnet's own sync protocol.
// It keeps the cluster's host records, the global network catalogue, the endpoint records of the
// networks this host joined, and the claim table; it detects dead hosts (ping + disconnects) and
// reports members and endpoints coming and going. Built by createDiscoveryNode (index.ts re-exports).
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import { hostname as osHostname } from 'node:os';
import { badRequest, conflict, notFound } from '../errors.js';
import { peerIdOf, toMultiaddr } from './addresses.js';
import { NetworkCatalogue } from './catalogue.js';
import { ClaimProtocol, type BlockClaim } from './claim-protocol.js';
import { ClaimTable } from './claims.js';
import * as C from './constants.js';
import * as R from './dht-records.js';
import { EndpointTable } from './endpoints.js';
import { dhtGet, dhtGetRaw, dhtPut, networkCid } from './dht-client.js';
import { loadIdentity } from './identity.js';
import { createLibp2pHost, type Services } from './libp2p-host.js';
import { Membership } from './membership.js';
import { compareForName, isValidEndpointRecord, validateNetwork } from './rules.js';
import { decodeSigned, open, sign, type Signed } from './signed.js';
import { request, serveSync, type SyncMessage } from './sync-protocol.js';
import type {
  ClaimRecord, Clock, DiscoveryLogger, DiscoveryOptions, EndpointEventKind, EndpointInput, EndpointRecord,
  HostRecord, MemberEventKind, NetworkDefinition, NetworkRecord, PeerInfo,
} from './types.js';

export type EndpointListener = (networkId: string, rec: EndpointRecord, kind: EndpointEventKind) => void;
export type MemberListener = (networkId: string, host: HostRecord, kind: MemberEventKind) => void;

const silent: DiscoveryLogger = { debug() {}, info() {}, warn() {} };

export async function createDiscoveryNode(opts: DiscoveryOptions): Promise<DiscoveryNode> {
  if (!opts.listen?.length) throw badRequest('EBADOPTIONS', 'discovery needs at least one listen address such as 0.0.0.0:7946.');
  if (!/^.+:\d+$/.test(opts.vtep ?? '')) throw badRequest('EBADOPTIONS', `vtep must be ip:port, got "${opts.vtep}".`);
  const key = await loadIdentity(opts);
  return new DiscoveryNode(await createLibp2pHost(key, opts), key, opts);
}

export class DiscoveryNode {
  readonly peerId: string;
  private readonly clock: Clock;
  private readonly log: DiscoveryLogger;
  private host!: HostRecord;
  private hostEnv!: Signed;
  private readonly joined = new Set<string>();
  private readonly catalogue = new NetworkCatalogue();
  private readonly claimTable = new ClaimTable();
  private readonly claimer: ClaimProtocol;
  readonly endpointsTable: EndpointTable;
  private readonly members: Membership;
  private readonly endpointListeners = new Set<EndpointListener>();
  private readonly memberListeners = new Set<MemberListener>();
  private readonly joinAddrs: Multiaddr[];
  private readonly seenSigs = new Set<string>();
  private lastVersion = 0;
  private timers: NodeJS.Timeout[] = [];
  private gossipTimer?: NodeJS.Timeout;
  private running = false;

  constructor(readonly libp2p: Libp2p<Services>, private readonly key: PrivateKey, private readonly opts: DiscoveryOptions) {
    this.peerId = libp2p.peerId.toString();
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.log = opts.logger ?? silent;
    this.joinAddrs = (opts.join ?? []).map(toMultiaddr);
    this.endpointsTable = new EndpointTable(this.peerId, (n, r, k) => this.endpointListeners.forEach((f) => f(n, r, k)));
    this.members = new Membership({
      libp2p,
      self: this.peerId,
      clock: this.clock,
      log: this.log,
      pingIntervalMs: opts.pingIntervalMs ?? C.DEFAULT_PING_INTERVAL_MS,
      pingFailures: opts.pingFailures ?? C.DEFAULT_PING_FAILURES,
      hello: (peer) => this.sendHello(peer),
      onUp: (h) => this.hostUp(h),
      onDown: (h) => this.hostDown(h),
    });
    this.claimer = new ClaimProtocol({
      self: this.peerId,
      clock: this.clock,
      table: this.claimTable,
      isLive: (h) => h === this.peerId || this.members.isLive(h),
      hostname: (h) => (h === this.peerId ? this.host.hostname : this.members.get(h)?.rec.hostname ?? h),
      sign: (rec) => sign(this.key, this.peerId, rec),
      round: (env) => this.claimRound(env),
      publish: (env, rec) => this.publishClaim(env, rec),
      dhtGet: (key) => this.dhtGet<ClaimRecord>(R.claimKey(key)),
      endpointNames: (networkId) => {
        const m = new Map<string, string>();
        for (const r of this.endpointsTable.live(networkId)) {
          if (r.hostId === this.peerId) continue;
          m.set(r.name, r.hostId);
          for (const a of r.aliases ?? []) m.set(a, r.hostId);
        }
        return m;
      },
      nextVersion: (prev) => this.nextVersion(prev),
    });
  }

  // ---------------------------------------------------------------- lifecycle
  async start(): Promise<void> {
    await this.libp2p.start();
    this.running = true;
    const addrs = this.addresses();
    const now = this.clock.now();
    this.host = {
      hostId: this.peerId,
      hostname: this.opts.hostname ?? osHostname(),
      vtep: this.opts.vtep,
      advertise: this.opts.advertise ?? addrs[0] ?? '',
      addrs,
      startedAt: now,
      networks: [],
      seq: 0,
    };
    this.hostEnv = await sign(this.key, this.peerId, this.host);
    await serveSync(this.libp2p, (from, msg) => this.onMessage(from, msg));
    this.members.start();
    const ae = this.opts.antiEntropyIntervalMs ?? C.DEFAULT_ANTI_ENTROPY_INTERVAL_MS;
    this.timers.push(setInterval(() => void this.maintain(), ae));
    await Promise.all(this.joinAddrs.map((a) => this.dialJoin(a)));
    void this.dhtPut(R.hostKey(this.peerId), this.hostEnv);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.gossipTimer);
    this.members.stop();
    await this.libp2p.stop();
  }

  /** Dialable multiaddrs of this node, with /p2p/<peerId>. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  /** This host's own record. */
  hostRecord(): HostRecord {
    return { ...this.host, networks: [...this.host.networks] };
  }

  /** Live cluster members (other hosts), with last seen time, ping RTT and VTEP. */
  peers(): PeerInfo[] {
    return this.members.liveInfos();
  }

  /** Every host ever heard of, live or not. */
  knownHosts(): HostRecord[] {
    return this.members.all().map((h) => h.rec);
  }

  onEndpoint(fn: EndpointListener): () => void {
    this.endpointListeners.add(fn);
    return () => this.endpointListeners.delete(fn);
  }

  onMember(fn: MemberListener): () => void {
    this.memberListeners.add(fn);
    return () => this.memberListeners.delete(fn);
  }

  // ---------------------------------------------------------------- networks
  /**
   * Publishes a global network definition; resolves to the definition that wins its name (compare
   * ids: another host may have published the same name first). Throws ENETWORK_EXISTS when the name
   * is already known to belong to another network, EVNI_IN_USE when its VNI is taken.
   */
  async publishNetwork(def: NetworkDefinition): Promise<NetworkDefinition> {
    validateNetwork(def);
    const known = this.catalogue.find(def.name) ?? (await this.lookupNetwork(def.name));
    if (known && known.id !== def.id && compareForName(known, def) < 0) {
      throw conflict('ENETWORK_EXISTS', `a network named ${def.name} already exists (id ${known.id.slice(0, 12)}); choose another name.`);
    }
    const vniUser = this.catalogue.list().find((n) => n.vni === def.vni && n.id !== def.id);
    if (vniUser) throw conflict('EVNI_IN_USE', `VNI ${def.vni} is already used by network ${vniUser.name}; choose another VNI.`);
    await this.storeNetwork({ ...def, options: { ...def.options } });
    return this.catalogue.find(def.name) ?? def;
  }

  /** The winning live definition for a name, or the definition with this id; null if none is known. */
  async findNetwork(nameOrId: string): Promise<NetworkDefinition | null> {
    return this.catalogue.find(nameOrId) ?? (await this.lookupNetwork(nameOrId)) ?? null;
  }

  /** All live global networks known to this host (the gossiped catalogue). */
  listNetworks(): NetworkDefinition[] {
    return this.catalogue.list();
  }

  /** Removes a global network cluster-wide (a tombstone that beats the definition everywhere). */
  async removeNetwork(nameOrId: string): Promise<void> {
    const def = await this.findNetwork(nameOrId);
    if (!def) throw notFoundNetwork(nameOrId);
    await this.storeNetwork({ ...def, deleted: true, deletedAt: this.clock.now() });
  }

  private async storeNetwork(rec: NetworkRecord): Promise<void> {
    const env = await sign(this.key, this.peerId, rec);
    if (this.catalogue.merge(rec, env)) this.scheduleGossip();
    await Promise.all([this.dhtPut(R.networkNameKey(rec.name), env), this.dhtPut(R.networkIdKey(rec.id), env)]);
  }

  private async lookupNetwork(nameOrId: string): Promise<NetworkDefinition | undefined> {
    const key = /^[0-9a-f]{64}$/.test(nameOrId) ? R.networkIdKey(nameOrId) : R.networkNameKey(nameOrId);
    const bytes = await this.dhtGetRaw(key);
    if (!bytes) return undefined;
    try {
      const env = decodeSigned(bytes);
      const rec = await R.openNetwork(bytes);
      if (this.catalogue.merge(rec, env)) this.scheduleGossip();
    } catch (err) {
      this.log.warn(`discovery: bad network record in DHT: ${(err as Error).message}`);
    }
    return this.catalogue.find(nameOrId);
  }

  // ---------------------------------------------------------------- membership and endpoints
  /** Joins a global network: announce it (DHT provider record), find and connect its members. */
  async joinNetwork(networkId: string): Promise<void> {
    if (this.joined.has(networkId)) return;
    this.joined.add(networkId);
    await this.updateHost();
    for (const h of this.members.live()) if (h.rec.networks.includes(networkId)) this.emitMember(networkId, h.rec, 'up');
    const cid = await networkCid(networkId);
    this.libp2p.contentRouting.provide(cid).catch((err) => this.log.debug(`discovery: provide ${networkId}: ${err.message}`));
    void this.findMembers(networkId);
  }

  /** Leaves a global network: others drop this host's endpoints there; remote endpoints are reported deleted here. */
  async leaveNetwork(networkId: string): Promise<void> {
    if (!this.joined.delete(networkId)) return;
    this.endpointsTable.dropNetwork(networkId);
    await this.updateHost();
    const cid = await networkCid(networkId);
    this.libp2p.contentRouting.cancelReprovide(cid).catch(() => undefined);
  }

  joinedNetworks(): string[] {
    return [...this.joined];
  }

  /** Live hosts (other than this one) that joined a network. */
  membersOf(networkId: string): HostRecord[] {
    return this.members.live().filter((h) => h.rec.networks.includes(networkId)).map((h) => h.rec);
  }

  /** Publishes (creates or updates) one of this host's endpoints; joins the network if needed. */
  async publishEndpoint(input: EndpointInput): Promise<EndpointRecord> {
    await this.joinNetwork(input.networkId);
    const prev = this.endpointsTable.get(input.networkId, input.endpointId);
    if (prev && prev.hostId !== this.peerId && !prev.deleted) {
      throw conflict('EENDPOINT_EXISTS', `endpoint ${input.endpointId.slice(0, 12)} belongs to host ${prev.hostId}; use a new endpoint id.`);
    }
    const rec: EndpointRecord = {
      networkId: input.networkId, endpointId: input.endpointId, name: input.name, aliases: [...(input.aliases ?? [])],
      ipv4: input.ipv4, mac: input.mac, vtep: input.vtep ?? this.host.vtep, hostId: this.peerId,
      version: this.nextVersion(prev?.version),
    };
    this.endpointsTable.apply(rec);
    this.pushEndpoints(rec.networkId, [rec], false);
    return rec;
  }

  /** Removes one of this host's endpoints (a tombstone reaches the members). */
  async removeEndpoint(networkId: string, endpointId: string): Promise<void> {
    const prev = this.endpointsTable.get(networkId, endpointId);
    if (!prev || prev.hostId !== this.peerId || prev.deleted) return;
    const rec: EndpointRecord = { ...prev, deleted: true, version: this.nextVersion(prev.version) };
    this.endpointsTable.apply(rec);
    this.pushEndpoints(networkId, [rec], false);
  }

  /** Live endpoints of a network, this host's and the members'. */
  endpoints(networkId: string): EndpointRecord[] {
    return this.endpointsTable.live(networkId);
  }

  /** The live endpoint using an IPv4 address on a network (the IPAM duplicate check), if any. */
  addressInUse(networkId: string, ipv4: string): EndpointRecord | undefined {
    return this.endpointsTable.live(networkId).find((r) => r.ipv4 === ipv4 || r.ipv4.split('/')[0] === ipv4);
  }

  // ---------------------------------------------------------------- claims
  /** Claims a container name in a scope (network id or 'cluster'); throws ENAME_IN_USE. */
  claimName(scope: string, name: string, owner: string): Promise<void> {
    return this.claimer.claimName(scope, name, owner);
  }

  releaseName(scope: string, name: string): Promise<void> {
    return this.claimer.releaseName(scope, name);
  }

  /** Claims a free /blockPrefixLen block of a global network's subnet for this host (see claim-protocol.ts). */
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

  // ---------------------------------------------------------------- internals: versions, hosts
  private nextVersion(prev = 0): number {
    this.lastVersion = Math.max(this.lastVersion + 1, prev + 1, this.clock.now());
    return this.lastVersion;
  }

  private async updateHost(): Promise<void> {
    this.host = { ...this.host, networks: [...this.joined].sort(), seq: this.host.seq + 1 };
    this.hostEnv = await sign(this.key, this.peerId, this.host);
    this.scheduleGossip();
    void this.dhtPut(R.hostKey(this.peerId), this.hostEnv);
  }

  private emitMember(networkId: string, rec: HostRecord, kind: MemberEventKind): void {
    for (const f of this.memberListeners) f(networkId, rec, kind);
  }

  private hostUp(rec: HostRecord): void {
    for (const n of rec.networks) {
      if (!this.joined.has(n)) continue;
      this.emitMember(n, rec, 'up');
      this.pushEndpoints(n, this.endpointsTable.ownedBy(n, this.peerId), true, rec.hostId);
    }
  }

  private hostDown(rec: HostRecord): void {
    for (const n of rec.networks) if (this.joined.has(n)) this.emitMember(n, rec, 'down');
    this.endpointsTable.dropHost(rec.hostId);
  }

  /** A newer record of a live host: networks it left or joined. */
  private hostChanged(prev: HostRecord, rec: HostRecord): void {
    for (const n of prev.networks) {
      if (rec.networks.includes(n) || !this.joined.has(n)) continue;
      this.emitMember(n, rec, 'down');
      this.endpointsTable.dropHost(rec.hostId, n);
    }
    for (const n of rec.networks) {
      if (prev.networks.includes(n) || !this.joined.has(n)) continue;
      this.emitMember(n, rec, 'up');
      this.pushEndpoints(n, this.endpointsTable.ownedBy(n, this.peerId), true, rec.hostId);
    }
  }

  // ---------------------------------------------------------------- internals: messages
  private helloMessage(): SyncMessage {
    return {
      t: 'hello',
      host: this.hostEnv,
      hosts: this.members.all().map((h) => h.env),
      networks: this.catalogue.envelopes(),
      claims: this.claimTable.envelopes(),
    };
  }

  private async sendHello(peer: PeerId): Promise<void> {
    const res = await request(this.libp2p, peer, this.helloMessage());
    if (res.t === 'hello') await this.onHello(peer.toString(), res);
  }

  private async onMessage(from: string, msg: SyncMessage): Promise<SyncMessage> {
    switch (msg.t) {
      case 'hello':
        await this.onHello(from, msg);
        return this.helloMessage();
      case 'endpoints':
        this.onEndpoints(from, msg.networkId, msg.records, msg.full);
        return { t: 'ok' };
      case 'digest': {
        const stale = Object.entries(msg.digests)
          .filter(([n, d]) => this.joined.has(n) && this.endpointsTable.digest(n, from) !== d)
          .map(([n]) => n);
        return { t: 'stale', networks: stale };
      }
      case 'claim': {
        const rec = await this.openChecked<ClaimRecord>(msg.claim);
        if (!rec || rec.hostId !== from) return { t: 'error', message: 'claim not signed by the sender' };
        this.mergeClaim(rec, msg.claim);
        return { t: 'claim-reply', claim: this.claimTable.envelope(rec.key, this.peerId) };
      }
      default:
        return { t: 'error', message: `unexpected message ${(msg as { t: string }).t}` };
    }
  }

  private async onHello(from: string, msg: Extract<SyncMessage, { t: 'hello' }>): Promise<void> {
    const rec = await this.openChecked<HostRecord>(msg.host, true);
    if (!rec || rec.hostId !== from || msg.host.signer !== from) return;
    let changed = false;
    for (const env of msg.networks ?? []) {
      const n = await this.openChecked<NetworkRecord>(env);
      if (n && safeValidate(n) && this.catalogue.merge(n, env)) changed = true;
    }
    for (const env of msg.claims ?? []) {
      const c = await this.openChecked<ClaimRecord>(env);
      if (c && c.hostId === env.signer && this.mergeClaim(c, env)) changed = true;
    }
    for (const env of msg.hosts ?? []) {
      if (env.signer === this.peerId || env.signer === from) continue;
      const h = await this.openChecked<HostRecord>(env, true);
      if (h && h.hostId === env.signer && this.members.learn(h, env, false)) changed = true;
    }
    const prev = this.members.get(from)?.rec;
    const wasLive = this.members.isLive(from);
    const fresh = this.members.learn(rec, msg.host, true);
    if (fresh && wasLive && prev && prev.startedAt === rec.startedAt) this.hostChanged(prev, rec);
    if (fresh) changed = true;
    if (changed) this.scheduleGossip();
  }

  private onEndpoints(from: string, networkId: string, records: EndpointRecord[], full: boolean): void {
    if (!this.joined.has(networkId) || !Array.isArray(records)) return;
    const ok = records.filter((r) => isValidEndpointRecord(r) && r.hostId === from && r.networkId === networkId);
    if (full) this.endpointsTable.replaceOwnerSet(networkId, from, ok);
    else for (const r of ok) this.endpointsTable.apply(r);
  }

  private mergeClaim(rec: ClaimRecord, env: Signed): boolean {
    return this.claimTable.merge(rec, env, this.clock.now());
  }

  /** Verifies a signed envelope, skipping envelopes already verified; undefined if invalid. */
  private async openChecked<T>(env: Signed, always = false): Promise<T | undefined> {
    try {
      const e = { body: new Uint8Array(env.body), signer: env.signer, sig: new Uint8Array(env.sig) };
      const id = Buffer.from(e.sig).toString('base64');
      if (!always && this.seenSigs.has(id)) return undefined;
      const rec = await open<T>(e);
      if (this.seenSigs.size > 50_000) this.seenSigs.clear();
      this.seenSigs.add(id);
      return rec;
    } catch (err) {
      this.log.warn(`discovery: dropped a record: ${(err as Error).message}`);
      return undefined;
    }
  }

  private pushEndpoints(networkId: string, records: EndpointRecord[], full: boolean, only?: string): void {
    const targets = only ? [only] : this.membersOf(networkId).map((h) => h.hostId);
    for (const t of targets) {
      request(this.libp2p, peerIdFromString(t), { t: 'endpoints', networkId, records, full }).catch((err) =>
        this.log.debug(`discovery: push to ${t}: ${err.message}`),
      );
    }
  }

  private async claimRound(env: Signed): Promise<void> {
    await Promise.all(
      this.members.live().map(async (h) => {
        try {
          const res = await request(this.libp2p, peerIdFromString(h.rec.hostId), { t: 'claim', claim: env });
          if (res.t === 'claim-reply' && res.claim) {
            const c = await this.openChecked<ClaimRecord>(res.claim, true);
            if (c && c.hostId === h.rec.hostId) this.mergeClaim(c, res.claim);
          }
        } catch (err) {
          this.log.debug(`discovery: claim round with ${h.rec.hostId}: ${(err as Error).message}`);
        }
      }),
    );
  }

  private async publishClaim(env: Signed, rec: ClaimRecord): Promise<void> {
    this.scheduleGossip();
    await Promise.all([
      ...this.members.live().map((h) => request(this.libp2p, peerIdFromString(h.rec.hostId), { t: 'claim', claim: env }).catch(() => undefined)),
      this.dhtPut(R.claimKey(rec.key), env),
    ]);
  }

  private scheduleGossip(): void {
    if (this.gossipTimer || !this.running) return;
    this.gossipTimer = setTimeout(() => {
      this.gossipTimer = undefined;
      for (const h of this.members.live()) this.sendHello(peerIdFromString(h.rec.hostId)).catch(() => undefined);
    }, C.GOSSIP_DEBOUNCE_MS);
  }

  // ---------------------------------------------------------------- internals: periodic work
  private async maintain(): Promise<void> {
    if (!this.running) return;
    const now = this.clock.now();
    this.endpointsTable.gc(now, C.TOMBSTONE_TTL_MS);
    this.catalogue.gc(now);
    for (const h of this.members.live()) {
      const peer = peerIdFromString(h.rec.hostId);
      this.sendHello(peer).catch(() => undefined);
      const digests: Record<string, string> = {};
      for (const n of h.rec.networks) if (this.joined.has(n)) digests[n] = this.endpointsTable.digest(n, this.peerId);
      if (Object.keys(digests).length === 0) continue;
      request(this.libp2p, peer, { t: 'digest', digests })
        .then((res) => {
          if (res.t !== 'stale') return;
          for (const n of res.networks) this.pushEndpoints(n, this.endpointsTable.ownedBy(n, this.peerId), true, h.rec.hostId);
        })
        .catch(() => undefined);
    }
    this.members.redialDown();
    for (const a of this.joinAddrs) {
      const id = peerIdOf(a);
      if (!id || !this.members.isLive(id)) void this.dialJoin(a);
    }
    for (const n of this.joined) void this.findMembers(n);
  }

  private async dialJoin(addr: Multiaddr): Promise<void> {
    try {
      const conn = await this.libp2p.dial(addr, { signal: AbortSignal.timeout(C.REDIAL_TIMEOUT_MS * 2) });
      if (!this.members.isLive(conn.remotePeer.toString())) await this.sendHello(conn.remotePeer);
    } catch (err) {
      this.log.debug(`discovery: join ${addr.toString()}: ${(err as Error).message}`);
    }
  }

  private async findMembers(networkId: string): Promise<void> {
    try {
      const cid = await networkCid(networkId);
      for await (const p of this.libp2p.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(C.DHT_TIMEOUT_MS) })) {
        const id = p.id.toString();
        if (id === this.peerId || this.members.isLive(id)) continue;
        this.libp2p
          .dial(p.id, { signal: AbortSignal.timeout(C.REDIAL_TIMEOUT_MS * 2) })
          .then(() => this.sendHello(p.id))
          .catch(() => undefined);
      }
    } catch (err) {
      this.log.debug(`discovery: find members of ${networkId}: ${(err as Error).message}`);
    }
  }

  private dhtPut(key: Uint8Array, env: Signed): Promise<void> {
    return dhtPut(this.libp2p, key, env, this.log);
  }

  private dhtGetRaw(key: Uint8Array): Promise<Uint8Array | undefined> {
    return dhtGetRaw(this.libp2p, key);
  }

  private dhtGet<T>(key: Uint8Array): Promise<T | undefined> {
    return dhtGet<T>(this.libp2p, key);
  }
}

function safeValidate(n: NetworkRecord): boolean {
  try {
    validateNetwork(n);
    return true;
  } catch {
    return false;
  }
}

function notFoundNetwork(nameOrId: string) {
  return notFound('ENETWORK_NOT_FOUND', `no global network named or with id ${nameOrId} is known; check the name with network ls.`);
}
