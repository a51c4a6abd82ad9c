// Overlay encryption keys of global networks (`-o encrypted`), distributed over the authenticated
// libp2p channel (noise, and pnet with --cluster-key) on '/tsnet/keys/1.0.0': one msgpackr request
// and one response per stream. A host hands a network's keys only to hosts that are current members
// of that network (their signed host record, as this host knows it, lists the network) and accepts
// pushed keys only from members. The network's creator makes the first key; if it is gone and no
// member has a key, the member with the lowest host id makes one (conflicts resolve the same way
// everywhere: per key id, the earliest activeFrom, then the lowest creator id, wins).
// Rotation: a new key (next id) is pushed to the members and becomes the sending key ROTATION_LEAD_MS
// later, so every member accepts it before anyone uses it; the old key stays accepted for the
// sealer's rotation window (src/dataplane/overlay-crypto.ts). Rotation is by hand (rotate(), `tsnet
// network rotate-key`) or periodic (want()'s interval, -o key-rotation): one host rotates, the
// network's creator while it is live, else the member with the lowest host id; a host that sees the
// newest key older than the interval checks at every sync tick whether it is that host. Used by the
// daemon's cluster adapter.
import { randomBytes } from 'node:crypto';
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { REQUEST_TIMEOUT_MS } from './constants.js';
import type { DiscoveryNode } from './node.js';
import { packr } from './signed.js';
import type { DiscoveryLogger } from './types.js';

// ---- our choice ----
export const KEYS_PROTOCOL = '/tsnet/keys/1.0.0';
/** How often members without a key (or with an old ring) ask the others. */
export const KEY_SYNC_INTERVAL_MS = 2000;
/** A rotated key is pushed this long before it is used to send. */
export const ROTATION_LEAD_MS = 5000;
/** Keys kept per network (the sending one, the previous one, one scheduled). */
export const MAX_RING = 3;
/** A host that is not the creator waits this long without finding a key before making one. */
export const ORPHAN_KEY_DELAY_MS = 10_000;
const KEY_BYTES = 32;
const MAX_MESSAGE_BYTES = 64 << 10;

export interface NetworkKey {
  id: number;
  key: Uint8Array;
  /** ms since the epoch from which senders use it */
  activeFrom: number;
  /** host id that made it */
  createdBy: string;
}

type KeyMessage =
  | { t: 'get'; networkId: string }
  | { t: 'keys'; networkId: string; keys: NetworkKey[] }
  | { t: 'push'; networkId: string; keys: NetworkKey[] }
  | { t: 'denied'; message: string }
  | { t: 'ok' };

export type KeyListener = (networkId: string, keys: NetworkKey[]) => void;

export interface NetworkKeyServiceOptions {
  node: DiscoveryNode;
  log?: DiscoveryLogger;
  /** ms since the epoch (default Date.now) */
  clock?: () => number;
  syncIntervalMs?: number;
}

function validKey(k: unknown): k is NetworkKey {
  const x = k as NetworkKey;
  return !!x && Number.isInteger(x.id) && x.id >= 1 && x.id <= 255 && x.key instanceof Uint8Array && x.key.length === KEY_BYTES
    && typeof x.activeFrom === 'number' && typeof x.createdBy === 'string';
}

/** Deterministic winner between two keys with the same id. */
function better(a: NetworkKey, b: NetworkKey): NetworkKey {
  if (a.activeFrom !== b.activeFrom) return a.activeFrom < b.activeFrom ? a : b;
  return a.createdBy <= b.createdBy ? a : b;
}

export class NetworkKeyService {
  private readonly node: DiscoveryNode;
  private readonly libp2p: Libp2p;
  private readonly log: DiscoveryLogger | undefined;
  private readonly clock: () => number;
  private readonly syncIntervalMs: number;
  /** networks this host wants keys for (encrypted global networks it has open), and since when */
  private readonly wanted = new Map<string, number>();
  /** rotation interval in ms of the wanted networks that rotate periodically */
  private readonly rotateEvery = new Map<string, number>();
  private readonly rings = new Map<string, NetworkKey[]>();
  private readonly listeners = new Set<KeyListener>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(opts: NetworkKeyServiceOptions) {
    this.node = opts.node;
    this.libp2p = opts.node.libp2p as unknown as Libp2p;
    this.log = opts.log;
    this.clock = opts.clock ?? Date.now;
    this.syncIntervalMs = opts.syncIntervalMs ?? KEY_SYNC_INTERVAL_MS;
  }

  async start(): Promise<void> {
    await this.libp2p.handle(KEYS_PROTOCOL, (stream: Stream, connection) => void this.serve(stream, connection.remotePeer.toString()), { maxInboundStreams: 32 });
    this.unsubscribe = this.node.onMember((networkId, host, kind) => {
      if (kind === 'up' && this.wanted.has(networkId)) void this.pullFrom(networkId, host.hostId);
    });
    this.timer = setInterval(() => void this.syncAll(), this.syncIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.libp2p.unhandle(KEYS_PROTOCOL).catch(() => undefined);
  }

  /** Keys of a network change (new ring, rotation); called at once if keys are known. */
  onKeys(fn: KeyListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The current ring (oldest first), empty if none yet. */
  keys(networkId: string): NetworkKey[] {
    return (this.rings.get(networkId) ?? []).map((k) => ({ ...k }));
  }

  /** This host has an encrypted global network open: find (or, as its creator, make) its key; with
   *  rotateEveryMs > 0, make the next key when the newest is that old and this host is the rotator. */
  async want(networkId: string, rotateEveryMs = 0): Promise<void> {
    if (!this.wanted.has(networkId)) this.wanted.set(networkId, this.clock());
    if (rotateEveryMs > 0) this.rotateEvery.set(networkId, rotateEveryMs);
    else this.rotateEvery.delete(networkId);
    if (this.creatorOf(networkId) === this.node.peerId && !this.rings.get(networkId)?.length) this.merge(networkId, [this.newKey(1, this.clock())]);
    await this.sync(networkId);
  }

  private creatorOf(networkId: string): string | undefined {
    return this.node.listNetworks().find((d) => d.id === networkId)?.createdBy;
  }

  /** The network was closed here: forget its keys. */
  forget(networkId: string): void {
    this.wanted.delete(networkId);
    this.rotateEvery.delete(networkId);
    this.rings.delete(networkId);
  }

  /** Makes the next key, pushes it to the members; it becomes the sending key ROTATION_LEAD_MS later. */
  async rotate(networkId: string): Promise<NetworkKey> {
    const ring = this.rings.get(networkId) ?? [];
    const last = ring[ring.length - 1];
    const id = last ? (last.id % 255) + 1 : 1;
    const k = this.newKey(id, this.clock() + (last ? ROTATION_LEAD_MS : 0));
    this.merge(networkId, [k]);
    await Promise.all(this.node.membersOf(networkId).map((h) => this.request(h.hostId, { t: 'push', networkId, keys: this.keys(networkId) }).catch(() => undefined)));
    return { ...k };
  }

  private newKey(id: number, activeFrom: number): NetworkKey {
    return { id, key: new Uint8Array(randomBytes(KEY_BYTES)), activeFrom, createdBy: this.node.peerId };
  }

  /** Merges keys into a ring; returns true (and tells listeners) if it changed. */
  private merge(networkId: string, keys: NetworkKey[]): boolean {
    const byId = new Map((this.rings.get(networkId) ?? []).map((k) => [k.id, k]));
    let changed = false;
    for (const k of keys) {
      if (!validKey(k)) continue;
      const cur = byId.get(k.id);
      const win = cur ? better(cur, k) : k;
      if (win !== cur) {
        byId.set(k.id, { id: k.id, key: new Uint8Array(k.key), activeFrom: k.activeFrom, createdBy: k.createdBy });
        changed = true;
      }
    }
    if (!changed) return false;
    const ring = [...byId.values()].sort((a, b) => a.activeFrom - b.activeFrom).slice(-MAX_RING);
    this.rings.set(networkId, ring);
    for (const fn of this.listeners) fn(networkId, this.keys(networkId));
    return true;
  }

  private isMember(networkId: string, hostId: string): boolean {
    return this.node.membersOf(networkId).some((h) => h.hostId === hostId);
  }

  private async syncAll(): Promise<void> {
    for (const networkId of this.wanted.keys()) {
      await this.sync(networkId).catch(() => undefined);
      await this.rotateIfDue(networkId).catch((err: Error) => this.log?.warn(`keys: rotating network ${networkId.slice(0, 12)} failed: ${err.message}`));
    }
  }

  /** Periodic rotation: the newest key (the sending or the scheduled one) is older than the interval. */
  private async rotateIfDue(networkId: string): Promise<void> {
    const every = this.rotateEvery.get(networkId);
    const newest = this.rings.get(networkId)?.at(-1);
    if (!every || !newest || this.clock() < newest.activeFrom + every || !this.isRotator(networkId)) return;
    const k = await this.rotate(networkId);
    this.log?.info(`keys: network ${networkId.slice(0, 12)} rotated to key ${k.id} (every ${Math.round(every / 1000)} s)`);
  }

  /** The one host that rotates: the creator while it is live, else the lowest host id among the live
   *  members (this one included if it joined); none while the network has neither. */
  private isRotator(networkId: string): boolean {
    const self = this.node.peerId;
    const creator = this.creatorOf(networkId);
    if (creator === self) return true;
    if (creator !== undefined && this.node.peers().some((p) => p.hostId === creator)) return false;
    const members = this.node.membersOf(networkId).map((h) => h.hostId);
    if (this.node.joinedNetworks().includes(networkId)) members.push(self);
    return members.length > 0 && members.sort()[0] === self;
  }

  private async sync(networkId: string): Promise<void> {
    const members = this.node.membersOf(networkId);
    // the members, and the creator even before it has endpoints there (it made the first key)
    const creator = this.creatorOf(networkId);
    const creatorLive = creator === this.node.peerId || this.node.peers().some((p) => p.hostId === creator);
    const sources = new Set(members.map((h) => h.hostId));
    if (creator !== undefined && creator !== this.node.peerId && creatorLive) sources.add(creator);
    await Promise.all([...sources].map((h) => this.pullFrom(networkId, h)));
    if (this.rings.get(networkId)?.length) return;
    // no key anywhere yet: the creator makes it (in want()); if the creator is not live after a
    // while, the lowest host id among the live members (this one included) does
    const since = this.wanted.get(networkId) ?? this.clock();
    const lowest = [this.node.peerId, ...members.map((h) => h.hostId)].sort()[0];
    if (!creatorLive && lowest === this.node.peerId && this.clock() - since >= ORPHAN_KEY_DELAY_MS) {
      this.log?.info(`keys: no member has a key for network ${networkId.slice(0, 12)}; made one`);
      this.merge(networkId, [this.newKey(1, this.clock())]);
    }
  }

  private async pullFrom(networkId: string, hostId: string): Promise<void> {
    try {
      const res = await this.request(hostId, { t: 'get', networkId });
      if (res.t === 'keys' && res.networkId === networkId && Array.isArray(res.keys)) this.merge(networkId, res.keys);
    } catch (err) {
      this.log?.debug(`keys: pull ${networkId.slice(0, 12)} from ${hostId}: ${(err as Error).message}`);
    }
  }

  private async handle(from: string, msg: KeyMessage): Promise<KeyMessage> {
    if ((msg.t === 'get' || msg.t === 'push') && typeof msg.networkId === 'string') {
      if (!this.isMember(msg.networkId, from)) return { t: 'denied', message: 'not a member of this network' };
      if (msg.t === 'get') {
        const keys = this.keys(msg.networkId);
        return keys.length ? { t: 'keys', networkId: msg.networkId, keys } : { t: 'denied', message: 'no key here' };
      }
      if (this.wanted.has(msg.networkId) && Array.isArray(msg.keys)) this.merge(msg.networkId, msg.keys);
      return { t: 'ok' };
    }
    return { t: 'denied', message: 'unexpected message' };
  }

  private async serve(stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      const req = packr.unpack((await lp.read({ signal })).subarray()) as KeyMessage;
      const res = await this.handle(from, req);
      await lp.write(packr.pack(res), { signal });
      await stream.close({ signal });
    } catch (err) {
      stream.abort(err as Error);
    }
  }

  private async request(hostId: string, msg: KeyMessage): Promise<KeyMessage> {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const peer: PeerId = peerIdFromString(hostId);
    const stream = await this.libp2p.dialProtocol(peer, KEYS_PROTOCOL, { signal });
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
      await lp.write(packr.pack(msg), { signal });
      const res = packr.unpack((await lp.read({ signal })).subarray()) as KeyMessage;
      await stream.close({ signal });
      return res;
    } catch (err) {
      stream.abort(err as Error);
      throw err;
    }
  }
}

/** Builds the key service of a discovery node; start() registers the protocol. */
export function createNetworkKeyService(opts: NetworkKeyServiceOptions): NetworkKeyService {
  return new NetworkKeyService(opts);
}
