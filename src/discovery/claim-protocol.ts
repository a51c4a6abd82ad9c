// Cluster-wide unique claims without a consensus service: container names (claimName) and per-host
// IPAM blocks of a global network's subnet (claimBlock). Used by node.ts; the daemon calls it
// through DiscoveryNode.
//
// The scheme, for a claim key K (name/<scope>/<name> or block/<networkId>/<index>):
//  1. Local check: if the claim table (filled by gossip, claim rounds and the DHT) shows another
//     relevant host with an active (pending or held) claim on K, K is taken. For names only live
//     hosts are relevant (a dead host's names are free); IPAM blocks stay with their host even while
//     it is down (its containers keep their addresses across a restart).
//  2. DHT check: get /tsnet-claim/<sha256(K)>; a held claim by another relevant host takes K.
//  3. Pending: record our claim as pending, then send it to every live host in a claim round. Each
//     receiver stores it before replying with its own claim on K, if any.
//  4. Decide: we lose if any other relevant host holds K, or has a pending claim on K with a smaller
//     peer id. Because every host stores a claim before replying and marks its own pending before
//     asking, of two concurrent claimants at least one sees the other, and the one that is seen has
//     stored the other's claim: both apply the same rule, so exactly one keeps K.
//  5. Winner marks K held (signed), puts it in the DHT and pushes it to live hosts; the loser marks
//     its claim released and pushes that. Blocks then probe the next index (host-specific start).
// A host cut off from the others can still claim (availability over consistency); a conflict seen
// after a partition heals is settled by the same rule, and the duplicate-address check against the
// endpoint records (addressInUse) catches what the blocks did not.
import type { ClaimTable } from './claims.js';
import { blockCidr, blockLayout, probeOrder } from './ipam-blocks.js';
import type { Signed } from './signed.js';
import type { ClaimKind, ClaimRecord, Clock } from './types.js';
import { conflict } from '../errors.js';

export interface ClaimContext {
  self: string;
  clock: Clock;
  table: ClaimTable;
  isLive(hostId: string): boolean;
  hostname(hostId: string): string;
  sign(rec: ClaimRecord): Promise<Signed>;
  /** sends our claim to every live host and merges their replies into the table */
  round(env: Signed): Promise<void>;
  /** pushes a settled claim to live hosts and the DHT (best effort; resolves when done or timed out) */
  publish(env: Signed, rec: ClaimRecord): Promise<void>;
  dhtGet(key: string): Promise<ClaimRecord | undefined>;
  /** names used by live endpoints of other hosts on a network: name -> hostId */
  endpointNames(networkId: string): Map<string, string>;
  nextVersion(prev?: number): number;
}

export interface BlockClaim {
  networkId: string;
  cidr: string;
  hostId: string;
  claimedAt: number;
}

export class ClaimProtocol {
  private locks = new Map<string, Promise<unknown>>();
  constructor(private readonly ctx: ClaimContext) {}

  /** Runs fn after every earlier call with the same lock name (claims of one scope are serialised). */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(name, next.catch(() => undefined));
    return next;
  }

  /** Claims `name` in `scope` (a network id or 'cluster') for `owner`; throws ENAME_IN_USE. */
  claimName(scope: string, name: string, owner: string): Promise<void> {
    return this.serial('name/' + scope, async () => {
      const user = this.ctx.endpointNames(scope).get(name);
      if (user && this.ctx.isLive(user)) throw this.nameInUse(name, user);
      const r = await this.claimKey(`name/${scope}/${name}`, 'name', owner, (h) => this.ctx.isLive(h));
      if (r !== true) throw this.nameInUse(name, r.hostId);
    });
  }

  async releaseName(scope: string, name: string): Promise<void> {
    await this.release(`name/${scope}/${name}`);
  }

  /** Claims a free block of `subnet` for this host; resolves to its CIDR. */
  claimBlock(networkId: string, subnet: string, blockPrefixLen: number, prefer?: number): Promise<string> {
    const layout = blockLayout(subnet, blockPrefixLen);
    return this.serial('block/' + networkId, async () => {
      for (const i of probeOrder(layout, this.ctx.self, networkId, prefer)) {
        const key = `block/${networkId}/${i}`;
        const cidr = blockCidr(layout, i);
        const mine = this.ctx.table.get(key, this.ctx.self);
        if (mine?.state === 'held') continue;
        if ((await this.claimKey(key, 'block', cidr, () => true)) === true) return cidr;
      }
      throw conflict('ENOBLOCKS', `every /${blockPrefixLen} block of ${subnet} is claimed; use a larger subnet or smaller blocks.`);
    });
  }

  async releaseBlock(networkId: string, cidr: string): Promise<void> {
    const claim = this.ctx.table.held(`block/${networkId}/`, this.ctx.self).find((c) => c.owner === cidr);
    if (claim) await this.release(claim.key);
  }

  blocks(networkId?: string): BlockClaim[] {
    return this.ctx.table
      .held(networkId ? `block/${networkId}/` : 'block/')
      .map((c) => ({ networkId: c.key.split('/')[1], cidr: c.owner, hostId: c.hostId, claimedAt: c.claimedAt }))
      .sort((a, b) => (a.networkId + a.cidr < b.networkId + b.cidr ? -1 : 1));
  }

  /** The scheme's steps 1-5 for one key; true when we hold it, else the claim that beats ours. */
  private async claimKey(key: string, kind: ClaimKind, owner: string, relevant: (h: string) => boolean): Promise<true | ClaimRecord> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const mine = ctx.table.get(key, ctx.self);
    if (mine?.state === 'held') {
      if (mine.owner === owner) return true;
      return mine;
    }
    const blocker = ctx.table.others(key, ctx.self, now).find((c) => relevant(c.hostId));
    if (blocker) return blocker;
    const fromDht = await ctx.dhtGet(key).catch(() => undefined);
    if (fromDht && fromDht.hostId !== ctx.self && fromDht.state === 'held' && relevant(fromDht.hostId)) {
      ctx.table.merge(fromDht, undefined, now);
      return fromDht;
    }
    const pending: ClaimRecord = { key, kind, hostId: ctx.self, owner, state: 'pending', claimedAt: now, version: ctx.nextVersion(mine?.version) };
    const penv = await ctx.sign(pending);
    ctx.table.merge(pending, penv, now);
    await ctx.round(penv);
    const others = ctx.table.others(key, ctx.self, ctx.clock.now()).filter((c) => relevant(c.hostId));
    const winner = others.find((c) => c.state === 'held' || c.hostId < ctx.self);
    const settled: ClaimRecord = { ...pending, state: winner ? 'released' : 'held', version: ctx.nextVersion(pending.version) };
    const senv = await ctx.sign(settled);
    ctx.table.merge(settled, senv, ctx.clock.now());
    await ctx.publish(senv, settled);
    return winner ?? true;
  }

  private async release(key: string): Promise<void> {
    const mine = this.ctx.table.get(key, this.ctx.self);
    if (!mine || mine.state === 'released') return;
    const rec: ClaimRecord = { ...mine, state: 'released', version: this.ctx.nextVersion(mine.version) };
    const env = await this.ctx.sign(rec);
    this.ctx.table.merge(rec, env, this.ctx.clock.now());
    await this.ctx.publish(env, rec);
  }

  private nameInUse(name: string, hostId: string) {
    return conflict('ENAME_IN_USE', `container name ${name} is already used on host ${this.ctx.hostname(hostId)}; choose another name.`);
  }
}
