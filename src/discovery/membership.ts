// Cluster membership and liveness: the table of known hosts (signed host records learned directly
// or through gossip) and which of them are live. A host becomes live when it says hello over a
// direct connection; it goes down when the redial after its last connection closed fails (a
// SIGKILLed process's sockets are closed by its kernel, so this takes milliseconds) or when none of
// its pings has been answered for `downAfterMs` (a frozen host or a cut link; 5 s by default).
// Liveness is judged by silence, not by counting failed attempts: on a lossy underlay one libp2p
// ping stream can take seconds to close (TCP retransmits) and the ping service refuses to open the
// next one meanwhile, so counted failures marked a live host down under 10% loss
// (test/integration/fault-loss-partition). Down hosts are redialled every anti-entropy period, so a
// restarted or healed host comes back without a manual step. Used by node.ts, which wires its callbacks to
// member-events.ts (up, down, changed) and sync-service.ts (hello).
import type { Libp2p, PeerId } from '@libp2p/interface';
import type { Ping } from '@libp2p/ping';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { REDIAL_TIMEOUT_MS } from './constants.js';
import { newerHost } from './rules.js';
import type { Signed } from './signed.js';
import type { Clock, DiscoveryLogger, HostRecord, PeerInfo } from './types.js';

export interface HostEntry {
  rec: HostRecord;
  env: Signed;
  live: boolean;
  /** when the host last answered a ping or said hello directly */
  lastSeen: number;
  rttMs?: number;
  pinging: boolean;
  checking: boolean;
  lastDial: number;
}

export interface MembershipContext {
  libp2p: Libp2p<{ ping: Ping }>;
  self: string;
  clock: Clock;
  log: DiscoveryLogger;
  /** a ping is attempted this often (one in flight per host at a time) */
  pingIntervalMs: number;
  /** a live host none of whose pings was answered for this long is down */
  downAfterMs: number;
  /** exchange hellos with a peer (marks it live through learn(..., direct)) */
  hello(peer: PeerId): Promise<void>;
  onUp(rec: HostRecord): void;
  onDown(rec: HostRecord): void;
  /** a newer record of a live host, same incarnation (it joined or left networks) */
  onChanged(prev: HostRecord, rec: HostRecord): void;
}

export class Membership {
  private hosts = new Map<string, HostEntry>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly onConnect = (e: CustomEvent<PeerId>) => this.connected(e.detail);
  private readonly onDisconnect = (e: CustomEvent<PeerId>) => void this.disconnected(e.detail);

  constructor(private readonly ctx: MembershipContext) {}

  start(): void {
    this.running = true;
    this.ctx.libp2p.addEventListener('peer:connect', this.onConnect);
    this.ctx.libp2p.addEventListener('peer:disconnect', this.onDisconnect);
    this.timer = setInterval(() => this.checkLiveness(), this.ctx.pingIntervalMs);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    this.ctx.libp2p.removeEventListener('peer:connect', this.onConnect);
    this.ctx.libp2p.removeEventListener('peer:disconnect', this.onDisconnect);
  }

  get(id: string): HostEntry | undefined {
    return this.hosts.get(id);
  }

  isLive(id: string): boolean {
    return this.hosts.get(id)?.live ?? false;
  }

  all(): HostEntry[] {
    return [...this.hosts.values()];
  }

  live(): HostEntry[] {
    return this.all().filter((h) => h.live);
  }

  liveInfos(): PeerInfo[] {
    return this.live().map((h) => ({ hostId: h.rec.hostId, host: h.rec, lastSeen: h.lastSeen, rttMs: h.rttMs, vtep: h.rec.vtep }));
  }

  /**
   * Stores a verified host record. `direct`: it came from the host itself over a connection, which
   * makes the host live. Returns true when the record is new or newer. A newer record of a live
   * host's same incarnation is reported through onChanged however it arrived: a record relayed by
   * another host's gossip is signed by its host like a direct one, and once stored, the direct copy
   * that follows is no longer newer (reporting only direct records lost those changes).
   */
  learn(rec: HostRecord, env: Signed, direct: boolean): boolean {
    if (rec.hostId === this.ctx.self) return false;
    const now = this.ctx.clock.now();
    const cur = this.hosts.get(rec.hostId);
    const prev = cur?.rec;
    const wasLive = cur?.live ?? false;
    const newer = !cur || (newerHost(cur.rec, rec) === rec && (cur.rec.startedAt !== rec.startedAt || cur.rec.seq !== rec.seq));
    if (cur && newer && cur.live && cur.rec.startedAt !== rec.startedAt) {
      // the host restarted without us noticing: its old incarnation is gone
      this.markDown(cur, 'restarted');
    }
    const e: HostEntry = cur ?? { rec, env, live: false, lastSeen: 0, pinging: false, checking: false, lastDial: 0 };
    if (newer) {
      e.rec = rec;
      e.env = env;
    }
    this.hosts.set(rec.hostId, e);
    if (direct) {
      e.lastSeen = now;
      if (!e.live && this.running) {
        e.live = true;
        this.ctx.log.info(`discovery: host ${e.rec.hostname} (${e.rec.hostId}) is up`);
        this.ctx.onUp(e.rec);
      }
    } else if (!e.live && newer) {
      void this.dial(e);
    }
    if (newer && wasLive && e.live && prev && prev.startedAt === rec.startedAt) this.ctx.onChanged(prev, rec);
    return newer;
  }

  /** Redials hosts that are down (once per call, skipping ones dialled very recently). */
  redialDown(): void {
    const now = this.ctx.clock.now();
    for (const e of this.hosts.values()) if (!e.live && now - e.lastDial > this.ctx.pingIntervalMs) void this.dial(e);
  }

  private markDown(e: HostEntry, why: string): void {
    if (!e.live) return;
    e.live = false;
    this.ctx.log.info(`discovery: host ${e.rec.hostname} (${e.rec.hostId}) is down: ${why}`);
    this.ctx.onDown(e.rec);
  }

  private async dial(e: HostEntry): Promise<void> {
    if (!this.running || e.checking) return;
    e.lastDial = this.ctx.clock.now();
    e.checking = true;
    try {
      const addrs = e.rec.addrs.map((a) => multiaddr(a));
      const conn = await this.ctx.libp2p.dial(addrs, { signal: AbortSignal.timeout(REDIAL_TIMEOUT_MS) });
      await this.ctx.hello(conn.remotePeer);
    } catch (err) {
      this.ctx.log.debug(`discovery: dial ${e.rec.hostId}: ${(err as Error).message}`);
    } finally {
      e.checking = false;
    }
  }

  private connected(peer: PeerId): void {
    if (!this.running) return;
    this.ctx.hello(peer).catch((err) => this.ctx.log.debug(`discovery: hello ${peer}: ${err.message}`));
  }

  private async disconnected(peer: PeerId): Promise<void> {
    const e = this.hosts.get(peer.toString());
    if (!this.running || !e?.live || e.checking) return;
    e.checking = true;
    try {
      const conn = await this.ctx.libp2p.dial(e.rec.addrs.map((a) => multiaddr(a)), { signal: AbortSignal.timeout(REDIAL_TIMEOUT_MS) });
      e.checking = false;
      await this.ctx.hello(conn.remotePeer);
    } catch (err) {
      e.checking = false;
      if (this.running && this.ctx.libp2p.getConnections(peer).length === 0) this.markDown(e, `connection closed and redial failed (${(err as Error).message})`);
    }
  }

  /** Marks hosts silent for downAfterMs down and pings the others that have no ping in flight. */
  private checkLiveness(): void {
    const now = this.ctx.clock.now();
    for (const e of this.hosts.values()) {
      if (!e.live) continue;
      const silentMs = now - e.lastSeen;
      if (silentMs >= this.ctx.downAfterMs) this.markDown(e, `no ping answered for ${(silentMs / 1000).toFixed(1)} s`);
      else if (!e.pinging) this.ping(e);
    }
  }

  /** One ping; it may take up to downAfterMs (a late answer still proves the host live). */
  private ping(e: HostEntry): void {
    e.pinging = true;
    const started = this.ctx.clock.now();
    this.ctx.libp2p.services.ping
      .ping(this.peerOf(e), { signal: AbortSignal.timeout(this.ctx.downAfterMs) })
      .then((rtt) => {
        e.rttMs = rtt;
        e.lastSeen = Math.max(e.lastSeen, this.ctx.clock.now());
      })
      .catch((err: Error) => {
        // not a verdict: checkLiveness() decides from the silence, whatever made this attempt fail
        if (this.running) this.ctx.log.debug(`discovery: ping ${e.rec.hostId} failed after ${this.ctx.clock.now() - started} ms: ${err.message}`);
      })
      .finally(() => {
        e.pinging = false;
      });
  }

  /** The connected peer id, else the host's addresses (ping dials them). */
  private peerOf(e: HostEntry): PeerId | Multiaddr[] {
    return this.ctx.libp2p.getConnections().find((c) => c.remotePeer.toString() === e.rec.hostId)?.remotePeer ?? e.rec.addrs.map((a) => multiaddr(a));
  }
}
