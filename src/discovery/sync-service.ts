// The sending side of tsnet's '/tsnet/sync/1.0.0' protocol (sync-protocol.ts) and its server:
// hellos (this host's record plus gossip of everything it knows), debounced gossip after a change,
// endpoint pushes to members, claim rounds, and the per-host anti-entropy exchange (hello + endpoint
// digests, full resync of the networks that differ). Incoming messages go to sync-handlers.ts.
// Used by node.ts, member-events.ts, maintenance.ts, network-registry.ts, network-participation.ts.
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import * as C from './constants.js';
import { dhtPut } from './dht-client.js';
import * as R from './dht-records.js';
import type { HostEntry } from './membership.js';
import { liveMembersOf, type NodeCore } from './node-core.js';
import type { Signed } from './signed.js';
import { SyncHandlers, type HelloMessage } from './sync-handlers.js';
import { request, serveSync } from './sync-protocol.js';
import type { ClaimRecord, EndpointRecord } from './types.js';

export class SyncService {
  private readonly handlers: SyncHandlers;
  private gossipTimer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly core: NodeCore) {
    this.handlers = new SyncHandlers(core, { helloMessage: () => this.helloMessage(), scheduleGossip: () => this.scheduleGossip() });
  }

  /** Serves the protocol; gossip is sent only between start and stop. */
  async start(): Promise<void> {
    this.running = true;
    await serveSync(this.core.libp2p, (from, msg) => this.handlers.onMessage(from, msg));
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.gossipTimer);
  }

  helloMessage(): HelloMessage {
    const { core } = this;
    return {
      t: 'hello',
      host: core.local.envelope,
      hosts: core.members.all().map((h) => h.env),
      networks: core.catalogue.envelopes(),
      claims: core.claimTable.envelopes(),
    };
  }

  /** Exchanges hellos with a peer (which makes it live, see membership.ts). */
  async sendHello(peer: PeerId): Promise<void> {
    const res = await request(this.core.libp2p, peer, this.helloMessage());
    if (res.t === 'hello') await this.handlers.onHello(peer.toString(), res);
  }

  /** Hellos to every live host, coalesced over GOSSIP_DEBOUNCE_MS. */
  scheduleGossip(): void {
    if (this.gossipTimer || !this.running) return;
    this.gossipTimer = setTimeout(() => {
      this.gossipTimer = undefined;
      for (const h of this.core.members.live()) this.sendHello(peerIdFromString(h.rec.hostId)).catch(() => undefined);
    }, C.GOSSIP_DEBOUNCE_MS);
  }

  /** Sends endpoint records of this host to the network's live members (or to `only`); best effort. */
  pushEndpoints(networkId: string, records: EndpointRecord[], full: boolean, only?: string): void {
    const targets = only ? [only] : liveMembersOf(this.core, networkId).map((h) => h.hostId);
    for (const t of targets) {
      request(this.core.libp2p, peerIdFromString(t), { t: 'endpoints', networkId, records, full }).catch((err) =>
        this.core.log.debug(`discovery: push to ${t}: ${err.message}`),
      );
    }
  }

  /** Anti-entropy with one live host: a hello, then a digest of our endpoints on shared networks. */
  antiEntropy(h: HostEntry): void {
    const { core } = this;
    const peer = peerIdFromString(h.rec.hostId);
    this.sendHello(peer).catch(() => undefined);
    const digests: Record<string, string> = {};
    for (const n of h.rec.networks) if (core.local.joined.has(n)) digests[n] = core.endpoints.digest(n, core.peerId);
    if (Object.keys(digests).length === 0) return;
    request(core.libp2p, peer, { t: 'digest', digests })
      .then((res) => {
        if (res.t !== 'stale') return;
        for (const n of res.networks) this.pushEndpoints(n, core.endpoints.ownedBy(n, core.peerId), true, h.rec.hostId);
      })
      .catch(() => undefined);
  }

  /** A claim round (claim-protocol.ts): our claim to every live host, their replies merged. */
  async claimRound(env: Signed): Promise<void> {
    const { core } = this;
    await Promise.all(
      core.members.live().map(async (h) => {
        try {
          const res = await request(core.libp2p, peerIdFromString(h.rec.hostId), { t: 'claim', claim: env });
          if (res.t === 'claim-reply' && res.claim) {
            const c = await core.verifier.open<ClaimRecord>(res.claim, true);
            if (c && c.hostId === h.rec.hostId) this.handlers.mergeClaim(c, res.claim);
          }
        } catch (err) {
          core.log.debug(`discovery: claim round with ${h.rec.hostId}: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** Pushes a settled claim to live hosts and the DHT. */
  async publishClaim(env: Signed, rec: ClaimRecord): Promise<void> {
    const { core } = this;
    this.scheduleGossip();
    await Promise.all([
      ...core.members.live().map((h) => request(core.libp2p, peerIdFromString(h.rec.hostId), { t: 'claim', claim: env }).catch(() => undefined)),
      dhtPut(core.libp2p, R.claimKey(rec.key), env, core.log),
    ]);
  }
}
