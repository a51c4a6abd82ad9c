// Claim table: every host's claims on cluster-wide unique things (container names in a scope, IPAM
// blocks of a global network), keyed by claim key then host. Each (key, host) pair keeps only its
// newest version. The winner rule lives in claim-protocol.ts; this file only stores and filters.
// Used by node.ts, claim-protocol.ts and the sync wiring (sync-service.ts, sync-handlers.ts).
import { PENDING_CLAIM_TTL_MS } from './constants.js';
import { newerClaim } from './rules.js';
import type { Signed } from './signed.js';
import type { ClaimRecord } from './types.js';

interface Entry {
  rec: ClaimRecord;
  env?: Signed;
  /** local time the entry was stored (pending claims of others expire) */
  seenAt: number;
}

export class ClaimTable {
  private keys = new Map<string, Map<string, Entry>>();

  /** Stores a claim if it is newer than what we have for (key, host); true when it changed. */
  merge(rec: ClaimRecord, env: Signed | undefined, now: number): boolean {
    let m = this.keys.get(rec.key);
    if (!m) this.keys.set(rec.key, (m = new Map()));
    const cur = m.get(rec.hostId);
    if (cur && (newerClaim(cur.rec, rec) === cur.rec || cur.rec.version === rec.version)) {
      if (cur.rec.version === rec.version && !cur.env && env) cur.env = env;
      return false;
    }
    m.set(rec.hostId, { rec, env, seenAt: now });
    return true;
  }

  get(key: string, hostId: string): ClaimRecord | undefined {
    return this.keys.get(key)?.get(hostId)?.rec;
  }

  /** The signed form of (key, host)'s current claim, if we hold one. */
  envelope(key: string, hostId: string): Signed | undefined {
    return this.keys.get(key)?.get(hostId)?.env;
  }

  /** Active (pending or held) claims on a key by hosts other than `self`. */
  others(key: string, self: string, now: number): ClaimRecord[] {
    const out: ClaimRecord[] = [];
    for (const [host, e] of this.keys.get(key) ?? []) {
      if (host === self || e.rec.state === 'released') continue;
      if (e.rec.state === 'pending' && now - e.seenAt > PENDING_CLAIM_TTL_MS) continue;
      out.push(e.rec);
    }
    return out;
  }

  /** Held claims, optionally of one host and under a key prefix. */
  held(prefix = '', hostId?: string): ClaimRecord[] {
    const out: ClaimRecord[] = [];
    for (const [key, m] of this.keys) {
      if (!key.startsWith(prefix)) continue;
      for (const e of m.values()) if (e.rec.state === 'held' && (!hostId || e.rec.hostId === hostId)) out.push(e.rec);
    }
    return out;
  }

  /** Signed held/released claims for gossip. */
  envelopes(): Signed[] {
    const out: Signed[] = [];
    for (const m of this.keys.values()) for (const e of m.values()) if (e.env && e.rec.state !== 'pending') out.push(e.env);
    return out;
  }
}
