// What this node does with a message that arrives on the '/tsnet/sync/1.0.0' protocol (see
// sync-protocol.ts): hellos merge the sender's host record and its gossip (catalogue, claims,
// other hosts' records), endpoint pushes update the endpoint table, digests are compared for
// anti-entropy, claim rounds store the claim and answer with our own. Every record is verified and
// must be signed by its owner. Used by sync-service.ts (which serves and sends these messages).
import { validateNetwork, isValidEndpointRecord } from './rules.js';
import type { Signed } from './signed.js';
import type { SyncMessage } from './sync-protocol.js';
import type { NodeCore } from './node-core.js';
import type { ClaimRecord, EndpointRecord, HostRecord, NetworkRecord } from './types.js';

export type HelloMessage = Extract<SyncMessage, { t: 'hello' }>;

/** What the handlers need from the sending side. */
export interface SyncOutbound {
  helloMessage(): HelloMessage;
  scheduleGossip(): void;
}

export class SyncHandlers {
  constructor(private readonly core: NodeCore, private readonly out: SyncOutbound) {}

  /** Answers one request from peer `from`. */
  async onMessage(from: string, msg: SyncMessage): Promise<SyncMessage> {
    const { core } = this;
    switch (msg.t) {
      case 'hello':
        await this.onHello(from, msg);
        return this.out.helloMessage();
      case 'endpoints':
        this.onEndpoints(from, msg.networkId, msg.records, msg.full);
        return { t: 'ok' };
      case 'digest': {
        const stale = Object.entries(msg.digests)
          .filter(([n, d]) => core.local.joined.has(n) && core.endpoints.digest(n, from) !== d)
          .map(([n]) => n);
        return { t: 'stale', networks: stale };
      }
      case 'claim': {
        const rec = await core.verifier.open<ClaimRecord>(msg.claim);
        if (!rec || rec.hostId !== from) return { t: 'error', message: 'claim not signed by the sender' };
        this.mergeClaim(rec, msg.claim);
        return { t: 'claim-reply', claim: core.claimTable.envelope(rec.key, core.peerId) };
      }
      default:
        return { t: 'error', message: `unexpected message ${(msg as { t: string }).t}` };
    }
  }

  /**
   * A hello from `from` (a request it sent, or its reply to ours). Membership reports hosts coming
   * up, going down and changing networks (member-events.ts), whether their record came directly or
   * through another host's gossip.
   */
  async onHello(from: string, msg: HelloMessage): Promise<void> {
    const { core } = this;
    const rec = await core.verifier.open<HostRecord>(msg.host, true);
    if (!rec || rec.hostId !== from || msg.host.signer !== from) return;
    let changed = false;
    for (const env of msg.networks ?? []) {
      const n = await core.verifier.open<NetworkRecord>(env);
      if (n && safeValidate(n) && core.catalogue.merge(n, env)) changed = true;
    }
    for (const env of msg.claims ?? []) {
      const c = await core.verifier.open<ClaimRecord>(env);
      if (c && c.hostId === env.signer && this.mergeClaim(c, env)) changed = true;
    }
    for (const env of msg.hosts ?? []) {
      if (env.signer === core.peerId || env.signer === from) continue;
      const h = await core.verifier.open<HostRecord>(env, true);
      if (h && h.hostId === env.signer && core.members.learn(h, env, false)) changed = true;
    }
    if (core.members.learn(rec, msg.host, true)) changed = true;
    if (changed) this.out.scheduleGossip();
  }

  mergeClaim(rec: ClaimRecord, env: Signed): boolean {
    return this.core.claimTable.merge(rec, env, this.core.clock.now());
  }

  private onEndpoints(from: string, networkId: string, records: EndpointRecord[], full: boolean): void {
    const { core } = this;
    if (!core.local.joined.has(networkId) || !Array.isArray(records)) return;
    const ok = records.filter((r) => isValidEndpointRecord(r) && r.hostId === from && r.networkId === networkId);
    if (full) core.endpoints.replaceOwnerSet(networkId, from, ok);
    else for (const r of ok) core.endpoints.apply(r);
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
