// The CNM state the daemon persists: Networks, Endpoints and Sandboxes (libnetwork's words; a
// Sandbox is what tsnet's CLI calls a container: a network namespace, maybe running a command).
// Plain JSON-serialisable records; the controller owns them and the state store writes them.

import type { PortBinding } from './egress.js';
import type { DockerStateV1 } from './docker-state.js';

export type DriverName = 'bridge' | 'overlay';
export type Scope = 'local' | 'global';

export interface IpamConfigRecord {
  subnet: string;
  gateway: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
  /** the user gave these (inspect shows what was asked, like Docker); the rest were chosen */
  userSubnet: boolean;
}

export interface NetworkRecord {
  id: string; // 64 hex
  name: string;
  driver: DriverName;
  scope: Scope;
  internal: boolean;
  ipam: IpamConfigRecord;
  /** IPAM allocation state (opaque to everything but src/control/ipam.ts) */
  pool: unknown;
  options: Record<string, string>;
  mtu: number;
  /** the host port: a persistent TAP in the daemon's namespace holding the gateway address */
  hostIfName: string;
  /** overlay only */
  vni?: number;
  peers?: string[];
  /** interfaces bridged in with `tsnet network attach --iface` (src/control/attached-ifaces.ts) */
  attachedIfaces?: string[];
  createdAt: string;
  /** set while being created: a restart rolls it back */
  pending?: boolean;
}

export interface EndpointRecord {
  id: string; // 64 hex
  networkId: string;
  sandboxId: string;
  /** interface name inside the sandbox: eth0, eth1... in connect order */
  ifName: string;
  mac: string;
  ipv4: string;
  prefixLen: number;
  aliases: string[];
  createdAt: string;
  pending?: boolean;
}

export type SandboxState = 'created' | 'running' | 'exited';

export interface SandboxRecord {
  id: string; // 64 hex
  name: string;
  /** named namespace (ip netns) or null for an external namespace given by path */
  netnsName: string | null;
  /** path used to enter the namespace: /run/netns/NAME or /proc/PID/ns/net */
  netnsPath: string;
  /** true when tsnet did not create the namespace (network connect to a user's namespace) */
  external: boolean;
  hostname?: string;
  cmd: string[];
  pid?: number;
  /** /proc/PID/stat start time, to tell our process from a reused PID */
  pidStartTime?: string;
  state: SandboxState;
  exitCode?: number;
  autoRemove: boolean;
  /** endpoint ids in connect order */
  endpoints: string[];
  /** ports published on the host (`run -p`) and the endpoint they lead to now (published-ports.ts) */
  published?: PortBinding[];
  publishedVia?: { endpointId: string; networkId: string; ipv4: string };
  createdAt: string;
  /** when its process last started and ended (ISO; absent before the first start, and in state
   *  files written before these fields existed) */
  startedAt?: string;
  finishedAt?: string;
  pending?: boolean;
}

export interface DaemonStateV1 {
  version: 1;
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  sandboxes: SandboxRecord[];
  /** endpoints and pools Docker manages through the plugin (docker-state.ts) */
  docker?: DockerStateV1;
}

export const emptyState = (): DaemonStateV1 => ({ version: 1, networks: [], endpoints: [], sandboxes: [] });
