// What this node does when membership (membership.ts) reports another host up, down, or changing
// the networks it joined: tells the member listeners ('up'/'down' per network this host joined),
// drops a gone host's endpoint records (reported deleted by the endpoint table) and sends a new
// member this host's own endpoints. Used by node.ts (which wires Membership's callbacks here) and
// network-participation.ts (members already up when this host joins a network).
import type { NodeCore } from './node-core.js';
import type { SyncService } from './sync-service.js';
import type { HostRecord, MemberEventKind } from './types.js';

export type MemberListener = (networkId: string, host: HostRecord, kind: MemberEventKind) => void;

export class MemberEvents {
  private readonly listeners = new Set<MemberListener>();

  constructor(private readonly core: NodeCore, private readonly sync: SyncService) {}

  /** Subscribes; returns the unsubscribe function. */
  subscribe(fn: MemberListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(networkId: string, rec: HostRecord, kind: MemberEventKind): void {
    for (const f of this.listeners) f(networkId, rec, kind);
  }

  /** A host became live. */
  hostUp(rec: HostRecord): void {
    for (const n of rec.networks) {
      if (!this.core.local.joined.has(n)) continue;
      this.emit(n, rec, 'up');
      this.sendOwnEndpoints(n, rec.hostId);
    }
  }

  /** A host went down (or restarted): its endpoints are gone everywhere. */
  hostDown(rec: HostRecord): void {
    for (const n of rec.networks) if (this.core.local.joined.has(n)) this.emit(n, rec, 'down');
    this.core.endpoints.dropHost(rec.hostId);
  }

  /** A newer record of a live host, same incarnation: networks it left or joined. */
  hostChanged(prev: HostRecord, rec: HostRecord): void {
    const { core } = this;
    for (const n of prev.networks) {
      if (rec.networks.includes(n) || !core.local.joined.has(n)) continue;
      this.emit(n, rec, 'down');
      core.endpoints.dropHost(rec.hostId, n);
    }
    for (const n of rec.networks) {
      if (prev.networks.includes(n) || !core.local.joined.has(n)) continue;
      this.emit(n, rec, 'up');
      this.sendOwnEndpoints(n, rec.hostId);
    }
  }

  private sendOwnEndpoints(networkId: string, hostId: string): void {
    this.sync.pushEndpoints(networkId, this.core.endpoints.ownedBy(networkId, this.core.peerId), true, hostId);
  }
}
