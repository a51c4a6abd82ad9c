// What the control plane needs from a cluster (multi-host discovery with no central store). The
// daemon implements it over src/discovery (libp2p kad-dht); control never imports discovery, so
// the layers stay one-directional and the controller runs unchanged on a single host (no cluster).

/** TCP port of a cluster node when --listen or --advertise gives none (our choice; serf/docker used 7946). */
export const DEFAULT_CLUSTER_PORT = 7946;

export interface GlobalNetworkDef {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
  vni: number;
  options: Record<string, string>;
  createdAt: number;
}

/** An endpoint record of a global network, as published by its owner host. */
export interface ClusterEndpoint {
  networkId: string;
  endpointId: string;
  name: string;
  aliases: string[];
  ipv4: string;
  mac: string;
  /** 'ip:port' of the owner's VTEP */
  vtep: string;
  hostId: string;
}

export interface ClusterHost {
  hostId: string;
  hostname: string;
  vtep: string;
  advertise: string;
  state: 'up' | 'down';
  lastSeen?: number;
  rttMs?: number;
}

export interface Cluster {
  readonly hostId: string;
  /** This host's VTEP 'ip:port' as the others see it. */
  readonly vtep: string;
  /** Publishes a definition; resolves with the cluster's winner for that name (may be another). */
  publishNetwork(def: GlobalNetworkDef): Promise<GlobalNetworkDef>;
  listNetworks(): GlobalNetworkDef[];
  /** A live global network by name or id: the catalogue, else a DHT lookup; null when none. */
  findNetwork(nameOrId: string): Promise<GlobalNetworkDef | null>;
  removeNetwork(id: string): Promise<void>;
  joinNetwork(id: string): Promise<void>;
  leaveNetwork(id: string): Promise<void>;
  /** Live endpoint records of every host (this one included). */
  endpoints(networkId: string): ClusterEndpoint[];
  publishEndpoint(ep: Omit<ClusterEndpoint, 'hostId' | 'vtep'>): Promise<void>;
  removeEndpoint(networkId: string, endpointId: string): Promise<void>;
  /** Throws a conflict TsnetError when another live host holds the name. */
  claimName(scope: string, name: string, owner: string): Promise<void>;
  releaseName(scope: string, name: string): Promise<void>;
  /** A block of the subnet owned by this host (deterministic conflict resolution across hosts). */
  claimBlock(networkId: string, subnet: string, blockPrefixLen: number): Promise<string>;
  /** Other hosts' endpoint using this address, if any (duplicate-address check). */
  addressInUse(networkId: string, ipv4: string): ClusterEndpoint | undefined;
  /** VTEPs of the other live members of a network. */
  memberVteps(networkId: string): string[];
  hosts(): ClusterHost[];
  onEndpoint(fn: (networkId: string, ep: ClusterEndpoint, kind: 'upsert' | 'delete') => void): void;
  onMember(fn: (networkId: string, vtep: string, kind: 'up' | 'down') => void): void;
  stop(): Promise<void>;
}
