// Record and option types of the discovery layer (src/discovery). These are what travels between
// hosts (msgpackr on '/tsnet/sync/1.0.0', signed envelopes in the DHT) and what the daemon reads.
// Used by every file in src/discovery and by the daemon through src/discovery/index.ts.

/** A host (one tsnet daemon). Published in the DHT under /tsnet-host/<hostId> and gossiped. */
export interface HostRecord {
  /** libp2p peer id (base58) of the host's discovery node. */
  hostId: string;
  hostname: string;
  /** 'ip:port' where this host receives VXLAN (RFC 7348) frames. */
  vtep: string;
  /** 'ip:port' or multiaddr others should dial for discovery (first of addrs if not configured). */
  advertise: string;
  /** Dialable multiaddrs including /p2p/<hostId>. */
  addrs: string[];
  /** ms since epoch when this incarnation started; a larger value means the host restarted. */
  startedAt: number;
  /** Global network ids this host has joined (has endpoints on). */
  networks: string[];
  /** Increases with every change of this record inside one incarnation. */
  seq: number;
}

/** A global (overlay) network definition. Stored in the DHT under its name and its id. */
export interface NetworkDefinition {
  /** 64 hex digits. */
  id: string;
  name: string;
  driver: 'overlay';
  subnet: string;
  gateway: string;
  /** VXLAN network identifier, 1..2^24-1 (RFC 7348 section 5). */
  vni: number;
  options: Record<string, string>;
  createdBy: string;
  createdAt: number;
}

/** A network definition as stored: removal leaves a tombstone that beats the definition. */
export interface NetworkRecord extends NetworkDefinition {
  deleted?: boolean;
  deletedAt?: number;
}

/** One endpoint (container interface) on a global network, written only by its owner host. */
export interface EndpointRecord {
  networkId: string;
  endpointId: string;
  name: string;
  aliases: string[];
  ipv4: string;
  mac: string;
  vtep: string;
  hostId: string;
  /** Higher wins. Assigned by the owner's node: max(previous + 1, clock.now()), so it grows across restarts. */
  version: number;
  /** Tombstone: the endpoint was removed. */
  deleted?: boolean;
}

/** What the daemon hands to publishEndpoint: hostId, vtep and version are filled in by the node. */
export type EndpointInput = Omit<EndpointRecord, 'hostId' | 'version' | 'vtep' | 'deleted'> & { vtep?: string };

export type ClaimKind = 'name' | 'block';
export type ClaimState = 'pending' | 'held' | 'released';

/** A claim on a cluster-wide unique thing: a container name in a scope, or an IPAM block. */
export interface ClaimRecord {
  /** 'name/<scope>/<name>' or 'block/<networkId>/<index>'. */
  key: string;
  kind: ClaimKind;
  hostId: string;
  /** Who inside the host holds it (container id, or the block's CIDR for blocks). */
  owner: string;
  state: ClaimState;
  /** When the claim was first made; earlier claims win. */
  claimedAt: number;
  /** Per (key, hostId) version; higher wins. */
  version: number;
}

/** A connected cluster member as seen by this host. */
export interface PeerInfo {
  hostId: string;
  host: HostRecord;
  /** ms since epoch of the last successful ping or message. */
  lastSeen: number;
  /** Round-trip time of the last ping in ms (undefined before the first ping). */
  rttMs?: number;
  vtep: string;
}

export type EndpointEventKind = 'upsert' | 'delete';
export type MemberEventKind = 'up' | 'down';

export interface Clock {
  now(): number;
}

export interface DiscoveryLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface DiscoveryOptions {
  /** Addresses to listen on: 'ip:port' (port 0 = ephemeral) or multiaddrs. */
  listen: string[];
  /** Address others should dial ('ip:port' or multiaddr); defaults to the listen addresses. */
  advertise?: string;
  /** Hosts to join: 'host:port' (peer id learned in the handshake) or multiaddr with or without /p2p/. */
  join?: string[];
  /** This host's VXLAN endpoint 'ip:port', published in its host record. */
  vtep: string;
  hostname?: string;
  /** Host identity. Give one of privateKey (libp2p protobuf bytes) or keyFile (created if missing). */
  privateKey?: Uint8Array;
  keyFile?: string;
  /**
   * Pre-shared cluster key for a libp2p private network (pnet). Hook only: the pnet module is not a
   * dependency yet, so passing it throws EPNET_UNSUPPORTED instead of silently running unprotected.
   */
  clusterKey?: Uint8Array;
  clock?: Clock;
  logger?: DiscoveryLogger;
  /** Liveness ping period (default 1000 ms). */
  pingIntervalMs?: number;
  /** A host none of whose pings was answered for this long is down (default 5000 ms); also down at once when a redial fails. */
  downAfterMs?: number;
  /** Anti-entropy, gossip and reconnect period (default 5000 ms). */
  antiEntropyIntervalMs?: number;
  /** DHT provider re-announce period (default 10 min). */
  reprovideIntervalMs?: number;
  /** Return false to refuse a peer (dial and accept). Used for ban lists and partition tests. */
  allowPeer?: (hostId: string) => boolean;
}
