// This host's own side of the cluster: its signed host record (hostname, VTEP, addresses, joined
// networks, incarnation `startedAt` and `seq`), the set of networks it joined, and the version
// clock of the records it signs (endpoints, claims). Built by node.ts; read by the sync wiring,
// the maintenance loop and network participation.
import type { PrivateKey } from '@libp2p/interface';
import { sign, type Signed } from './signed.js';
import type { Clock, HostRecord } from './types.js';

/** The fields of the record fixed at start (see DiscoveryNode.start). */
export interface LocalHostFields {
  hostname: string;
  vtep: string;
  advertise: string;
  addrs: string[];
}

export class LocalHost {
  /** Global networks this host joined (ids). */
  readonly joined = new Set<string>();
  private rec!: HostRecord;
  private env!: Signed;
  private lastVersion = 0;

  constructor(private readonly key: PrivateKey, readonly peerId: string, private readonly clock: Clock) {}

  /** Creates and signs the first record of this incarnation. */
  async init(f: LocalHostFields): Promise<void> {
    this.rec = { hostId: this.peerId, ...f, startedAt: this.clock.now(), networks: [], seq: 0 };
    this.env = await sign(this.key, this.peerId, this.rec);
  }

  /** The current record (not a copy: callers must not change it). */
  get record(): HostRecord {
    return this.rec;
  }

  /** The current record, signed. */
  get envelope(): Signed {
    return this.env;
  }

  /** A new record (seq + 1) listing the joined networks, signed; returns the envelope. */
  async update(): Promise<Signed> {
    this.rec = { ...this.rec, networks: [...this.joined].sort(), seq: this.rec.seq + 1 };
    this.env = await sign(this.key, this.peerId, this.rec);
    return this.env;
  }

  /** Signs a record of this host. */
  sign<T>(rec: T): Promise<Signed> {
    return sign(this.key, this.peerId, rec);
  }

  /** Next version for a record: above every earlier one and above `prev`, at least the clock. */
  nextVersion(prev = 0): number {
    this.lastVersion = Math.max(this.lastVersion + 1, prev + 1, this.clock.now());
    return this.lastVersion;
  }
}
