// Endpoint table: per global network, the endpoint records of every member host, including this
// one. Records are written only by their owner (the caller checks hostId == sending peer), the higher
// version wins, deletes are tombstones, and an owner's full set is authoritative (anything of that
// owner missing from it is deleted), which is what anti-entropy sends. Digests let two hosts see in
// one round trip whether a full resync is needed. Changes to other hosts' records are reported to a
// listener. Built by node.ts; used by the sync wiring, member-events.ts and network-participation.ts.
import { createHash } from 'node:crypto';
import type { EndpointEventKind, EndpointRecord } from './types.js';

export type EndpointListener = (networkId: string, rec: EndpointRecord, kind: EndpointEventKind) => void;

export class EndpointTable {
  private nets = new Map<string, Map<string, EndpointRecord>>();
  constructor(private readonly self: string, private readonly emit: EndpointListener) {}

  private net(networkId: string): Map<string, EndpointRecord> {
    let m = this.nets.get(networkId);
    if (!m) this.nets.set(networkId, (m = new Map()));
    return m;
  }

  /** Applies one record from its owner; returns true if it changed the table. */
  apply(rec: EndpointRecord): boolean {
    const m = this.net(rec.networkId);
    const cur = m.get(rec.endpointId);
    if (cur && cur.hostId !== rec.hostId && !cur.deleted) return false; // endpoint id owned by another live record
    if (cur && cur.hostId === rec.hostId && cur.version >= rec.version) return false;
    m.set(rec.endpointId, rec);
    if (rec.hostId !== this.self) {
      if (!rec.deleted) this.emit(rec.networkId, rec, 'upsert');
      else if (cur && !cur.deleted) this.emit(rec.networkId, rec, 'delete');
    }
    return true;
  }

  /** Replaces everything `hostId` owns on a network by its full set. */
  replaceOwnerSet(networkId: string, hostId: string, recs: EndpointRecord[]): void {
    const ids = new Set(recs.map((r) => r.endpointId));
    for (const r of recs) this.apply(r);
    for (const r of [...this.net(networkId).values()]) {
      if (r.hostId === hostId && !ids.has(r.endpointId)) this.forget(networkId, r);
    }
  }

  /** Removes all records of a host (down, restarted or left); live ones are reported deleted. */
  dropHost(hostId: string, networkId?: string): void {
    for (const [nid, m] of this.nets) {
      if (networkId && nid !== networkId) continue;
      for (const r of [...m.values()]) if (r.hostId === hostId) this.forget(nid, r);
    }
  }

  private forget(networkId: string, r: EndpointRecord): void {
    this.net(networkId).delete(r.endpointId);
    if (!r.deleted && r.hostId !== this.self) this.emit(networkId, { ...r, deleted: true }, 'delete');
  }

  get(networkId: string, endpointId: string): EndpointRecord | undefined {
    return this.nets.get(networkId)?.get(endpointId);
  }

  /** Records of one owner on a network (tombstones included). */
  ownedBy(networkId: string, hostId: string): EndpointRecord[] {
    return [...(this.nets.get(networkId)?.values() ?? [])].filter((r) => r.hostId === hostId);
  }

  /** Live records on a network. */
  live(networkId: string): EndpointRecord[] {
    return [...(this.nets.get(networkId)?.values() ?? [])].filter((r) => !r.deleted);
  }

  digest(networkId: string, hostId: string): string {
    const parts = this.ownedBy(networkId, hostId)
      .map((r) => `${r.endpointId}:${r.version}:${r.deleted ? 1 : 0}`)
      .sort();
    return createHash('sha1').update(parts.join(',')).digest('hex');
  }

  /** Forgets own tombstones older than ttl (by version, which is a clock reading). */
  gc(now: number, ttlMs: number): void {
    for (const m of this.nets.values()) {
      for (const r of [...m.values()]) if (r.deleted && r.hostId === this.self && now - r.version > ttlMs) m.delete(r.endpointId);
    }
  }

  dropNetwork(networkId: string): void {
    for (const r of this.live(networkId)) if (r.hostId !== this.self) this.emit(networkId, { ...r, deleted: true }, 'delete');
    this.nets.delete(networkId);
  }
}
