// Messages between the daemon's main thread (cluster-thread.ts: the data plane, the API, the
// controller) and its discovery thread (cluster-worker.ts: libp2p, kad-dht, the sync and key
// protocols). The worker sends a copy of everything the Cluster interface reads synchronously (the
// mirror) before each event and each reply, so a read that follows an event or an awaited call on
// the main thread sees what the discovery node saw.
import type { ClusterEndpoint, ClusterHost, GlobalNetworkDef } from '../control/cluster.js';
import type { OverlayKey } from '../dataplane/overlay-crypto.js';
import type { ClusterOptions } from './cluster-adapter.js';

/** startCluster's options without the log function (which stays on the main thread). */
export type ClusterWorkerData = Omit<ClusterOptions, 'log'>;

/** What the Cluster interface reads synchronously, per network id where it is per network. */
export interface ClusterMirror {
  networks: GlobalNetworkDef[];
  endpoints: Record<string, ClusterEndpoint[]>;
  members: Record<string, string[]>;
  hosts: ClusterHost[];
  keys: Record<string, OverlayKey[]>;
}

/** The asynchronous calls the main thread makes: Cluster methods, and `keys.*` ones with that prefix. */
export type ClusterCall =
  | 'publishNetwork' | 'findNetwork' | 'removeNetwork' | 'joinNetwork' | 'leaveNetwork' | 'publishEndpoint' | 'removeEndpoint'
  | 'claimName' | 'releaseName' | 'claimBlock' | 'keys.want' | 'keys.forget' | 'keys.rotate';

export type ToWorker =
  | { t: 'call'; id: number; method: ClusterCall; args: unknown[] }
  | { t: 'stop' };

export interface WireError {
  code: string;
  category: string;
  message: string;
}

export type FromWorker =
  | { t: 'ready'; hostId: string; vtep: string }
  | { t: 'fatal'; error: WireError }
  | { t: 'log'; msg: string }
  | { t: 'mirror'; mirror: ClusterMirror }
  | { t: 'endpoint'; networkId: string; ep: ClusterEndpoint; kind: 'upsert' | 'delete' }
  | { t: 'member'; networkId: string; vtep: string; kind: 'up' | 'down' }
  | { t: 'keys'; networkId: string; keys: OverlayKey[] }
  | { t: 'reply'; id: number; value?: unknown; error?: WireError }
  | { t: 'stopped' };
