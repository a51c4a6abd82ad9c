// The cluster-wide catalogue of global network definitions, held by every host. How hosts learn all
// networks: each definition is put in the DHT under its name and its id (for lookups by a host that
// has not heard of it yet), and every host gossips its whole catalogue (signed records, tombstones
// included) to each peer when they connect, after every change (debounced), and every anti-entropy
// period. Merging is idempotent and order-free (rules.ts), so the catalogues converge.
// Used by node.ts (built there), network-registry.ts, sync-handlers.ts and sync-service.ts.
import { TOMBSTONE_TTL_MS } from './constants.js';
import { compareForName, newerNetworkVersion } from './rules.js';
import type { Signed } from './signed.js';
import type { NetworkDefinition, NetworkRecord } from './types.js';

interface Entry {
  rec: NetworkRecord;
  env: Signed;
}

export class NetworkCatalogue {
  private byId = new Map<string, Entry>();

  /** Merges one verified record; returns true when the catalogue changed. */
  merge(rec: NetworkRecord, env: Signed): boolean {
    const cur = this.byId.get(rec.id);
    if (cur) {
      const win = newerNetworkVersion(cur.rec, rec);
      if (win === cur.rec || (!!win.deleted === !!cur.rec.deleted && (win.deletedAt ?? 0) === (cur.rec.deletedAt ?? 0))) return false;
    }
    this.byId.set(rec.id, { rec, env });
    return true;
  }

  /** The winning live definition for a name or id, or undefined. */
  find(nameOrId: string): NetworkDefinition | undefined {
    const byId = this.byId.get(nameOrId);
    if (byId) return byId.rec.deleted ? undefined : strip(byId.rec);
    const win = this.winnerForName(nameOrId);
    return win && !win.deleted ? strip(win) : undefined;
  }

  /** Any record (live or tombstone) with this id. */
  get(id: string): NetworkRecord | undefined {
    return this.byId.get(id)?.rec;
  }

  winnerForName(name: string): NetworkRecord | undefined {
    let best: NetworkRecord | undefined;
    for (const { rec } of this.byId.values()) {
      if (rec.name === name && (!best || compareForName(rec, best) < 0)) best = rec;
    }
    return best;
  }

  /** Live networks; for a contested name only the winner is listed. */
  list(): NetworkDefinition[] {
    const names = new Set<string>();
    for (const { rec } of this.byId.values()) names.add(rec.name);
    const out: NetworkDefinition[] = [];
    for (const name of names) {
      const w = this.winnerForName(name);
      if (w && !w.deleted) out.push(strip(w));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  envelopes(): Signed[] {
    return [...this.byId.values()].map((e) => e.env);
  }

  /** Forgets tombstones older than the TTL. */
  gc(now: number): void {
    for (const [id, e] of this.byId) if (e.rec.deleted && now - (e.rec.deletedAt ?? 0) > TOMBSTONE_TTL_MS * 6) this.byId.delete(id);
  }
}

function strip(rec: NetworkRecord): NetworkDefinition {
  const { id, name, driver, subnet, gateway, vni, options, createdBy, createdAt } = rec;
  return { id, name, driver, subnet, gateway, vni, options: { ...options }, createdBy, createdAt };
}
