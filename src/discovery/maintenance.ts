// The node's periodic work, every anti-entropy interval: forget old tombstones and catalogue
// entries, run anti-entropy with every live host (hello + endpoint digests), redial hosts that are
// down, redial join addresses whose host is not live, and look up the members of every joined
// network through their DHT provider records. Also the first dial of the join addresses at start.
// A join address given without /p2p/ (`--join 10.0.0.1:7946`) is tied to the host that answered on
// it: dialling it again opens a new TCP connection and noise handshake (libp2p cannot match an
// address without a peer id to the open connection), which every 5 s took 10-30 ms of a daemon's
// event loop on both sides and stalled forwarding (overlay ping p99.9 11-31 ms, 2026-12-06).
// Used by node.ts (start/stop) and network-participation.ts (findMembers on join).
import type { Multiaddr } from '@multiformats/multiaddr';
import { peerIdOf } from './addresses.js';
import * as C from './constants.js';
import { networkCid } from './dht-client.js';
import type { NodeCore } from './node-core.js';
import type { SyncService } from './sync-service.js';

export class Maintenance {
  private timer?: NodeJS.Timeout;
  private running = false;
  /** join address -> the host id that answered on it last (for addresses given without /p2p/) */
  private readonly joinedHost = new Map<string, string>();

  constructor(
    private readonly core: NodeCore,
    private readonly sync: SyncService,
    private readonly joinAddrs: Multiaddr[],
    private readonly intervalMs: number,
  ) {}

  /** Starts the periodic work and dials the join addresses (resolves when every dial settled). */
  async start(): Promise<void> {
    this.running = true;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    await Promise.all(this.joinAddrs.map((a) => this.dialJoin(a)));
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
  }

  private tick(): void {
    if (!this.running) return;
    const { core } = this;
    const now = core.clock.now();
    core.endpoints.gc(now, C.TOMBSTONE_TTL_MS);
    core.catalogue.gc(now);
    for (const h of core.members.live()) this.sync.antiEntropy(h);
    core.members.redialDown();
    for (const a of this.joinAddrs) {
      const id = peerIdOf(a) ?? this.joinedHost.get(a.toString());
      if (!id || !core.members.isLive(id)) void this.dialJoin(a);
    }
    for (const n of core.local.joined) void this.findMembers(n);
  }

  private async dialJoin(addr: Multiaddr): Promise<void> {
    try {
      const conn = await this.core.libp2p.dial(addr, { signal: AbortSignal.timeout(C.REDIAL_TIMEOUT_MS * 2) });
      this.joinedHost.set(addr.toString(), conn.remotePeer.toString());
      if (!this.core.members.isLive(conn.remotePeer.toString())) await this.sync.sendHello(conn.remotePeer);
    } catch (err) {
      this.core.log.debug(`discovery: join ${addr.toString()}: ${(err as Error).message}`);
    }
  }

  /** Finds a network's members through the DHT and says hello to those not live yet. */
  async findMembers(networkId: string): Promise<void> {
    const { core } = this;
    try {
      const cid = await networkCid(networkId);
      for await (const p of core.libp2p.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(C.DHT_TIMEOUT_MS) })) {
        const id = p.id.toString();
        if (id === core.peerId || core.members.isLive(id)) continue;
        core.libp2p
          .dial(p.id, { signal: AbortSignal.timeout(C.REDIAL_TIMEOUT_MS * 2) })
          .then(() => this.sync.sendHello(p.id))
          .catch(() => undefined);
      }
    } catch (err) {
      core.log.debug(`discovery: find members of ${networkId}: ${(err as Error).message}`);
    }
  }
}
