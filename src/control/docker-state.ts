// The part of the daemon's persisted state that belongs to Docker (the tsnet network + IPAM plugin):
// which Docker network maps onto which tsnet network, the IPAM pools Docker asked for, and the
// endpoints Docker created (each a persistent TAP that Docker moves into its container). It lives in
// the same state file, under the key `docker`, so it is saved atomically with the networks it
// points at. Used by docker-ipam.ts, docker-networks.ts, docker-endpoints.ts and docker-recovery.ts.
import type { ControllerCore } from './controller-core.js';
import type { IpamPool } from './ipam.js';
import type { PortBinding } from './egress.js';
import type { DaemonStateV1 } from './model.js';
import { notFound } from '../errors.js';

export interface DockerNetworkRecord {
  /** Docker's network id (64 hex) */
  dockerId: string;
  /** the tsnet network it is mapped onto */
  networkId: string;
  /** true when the tsnet network was created for this Docker network (DeleteNetwork removes it) */
  ownsNetwork: boolean;
  createdAt: string;
}

export interface DockerPoolRecord {
  /** PoolID handed to Docker */
  id: string;
  addressSpace: string;
  subnet: string;
  /** set once a network uses the pool: addresses are then allocated from that network's pool */
  networkId?: string;
  /** the allocation state while no network uses the pool (between RequestPool and CreateNetwork,
   *  and after DeleteNetwork until ReleasePool) */
  pool?: IpamPool;
}

export interface DockerEndpointRecord {
  /** Docker's endpoint id (64 hex) */
  id: string;
  dockerNetworkId: string;
  networkId: string;
  ipv4: string;
  prefixLen: number;
  mac: string;
  /** the TAP's name in the daemon's namespace (tsd + 12 hex), Join's SrcName */
  tapName: string;
  /** true when the address came from Docker's own IPAM and was recorded in tsnet's pool here
   *  (released at DeleteEndpoint); false when tsnet's IPAM driver handed it out (ReleaseAddress) */
  ownsAddress: boolean;
  /** set by Join: the path of the container's network namespace */
  sandboxKey?: string;
  /** the interface's name inside the sandbox (eth0...), found by MAC after Docker renamed it */
  ifName?: string;
  /** the container's name and network aliases, learned from dockerd's API after Join (Docker's
   *  plugin protocol never carries them); published with the endpoint on global networks */
  name?: string;
  aliases?: string[];
  /** true while the name is claimed cluster-wide (released at Leave/DeleteEndpoint) */
  nameClaimed?: boolean;
  /** ports published on this host for it (docker-ports.ts), set by ProgramExternalConnectivity */
  published?: PortBinding[];
  createdAt: string;
}

export interface DockerStateV1 {
  version: 1;
  networks: DockerNetworkRecord[];
  pools: DockerPoolRecord[];
  endpoints: DockerEndpointRecord[];
}

/** True once Docker has used this daemon (the state has a `docker` key). */
export function hasDockerState(core: ControllerCore): boolean {
  return core.state.docker !== undefined;
}

/** The Docker state inside the daemon state, created empty on first use. */
export function dockerState(core: ControllerCore): DockerStateV1 {
  const st = core.state;
  if (!st.docker || st.docker.version !== 1) st.docker = { version: 1, networks: [], pools: [], endpoints: [] };
  return st.docker;
}

export function findDockerNetwork(core: ControllerCore, dockerId: string): DockerNetworkRecord {
  const rec = dockerState(core).networks.find((n) => n.dockerId === dockerId);
  if (!rec) throw notFound('EDOCKER_NETWORK_NOT_FOUND', `Docker network ${dockerId.slice(0, 12)} is not known to tsnet; remove it with "docker network rm" and create it again.`);
  return rec;
}

export function findDockerEndpoint(core: ControllerCore, endpointId: string): DockerEndpointRecord {
  const rec = dockerState(core).endpoints.find((e) => e.id === endpointId);
  if (!rec) throw notFound('EDOCKER_ENDPOINT_NOT_FOUND', `Docker endpoint ${endpointId.slice(0, 12)} is not known to tsnet; disconnect the container and connect it again.`);
  return rec;
}

export function findDockerPool(core: ControllerCore, poolId: string): DockerPoolRecord {
  const rec = dockerState(core).pools.find((p) => p.id === poolId);
  if (!rec) throw notFound('EDOCKER_POOL_NOT_FOUND', `IPAM pool ${poolId} is not known to tsnet; remove the Docker network and create it again.`);
  return rec;
}

/** Docker endpoints attached to a tsnet network (a tsnet network with some must not be removed). */
export function dockerEndpointsOfNetwork(core: ControllerCore, networkId: string): DockerEndpointRecord[] {
  return dockerState(core).endpoints.filter((e) => e.networkId === networkId);
}
