// Docker networks on tsnet (`docker network create -d tsnet ...`): CreateNetwork carries only Docker's
// network id, its options and the IPAM data, so each Docker network is mapped onto a tsnet network:
// a new one named docker-<12 hex> by default, or the tsnet network named by `-o tsnet.network=NAME`
// (used as it is when it exists, e.g. a global overlay shared by several hosts; created otherwise).
// Its subnet and gateway are the ones Docker's IPAM chose; with tsnet's IPAM driver the pool reserved
// by RequestPool becomes the network's pool. DeleteNetwork removes the tsnet network only if it was
// made for this Docker network and nothing else uses it. Callers hold the controller lock.
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { dockerEndpointsOfNetwork, dockerState, findDockerNetwork, hasDockerState } from './docker-state.js';
import {
  DOCKER_MTU_OPTION,
  INTERNAL_OPTION,
  TSNET_DRIVER_OPTION,
  TSNET_NETWORK_OPTION,
  TSNET_SCOPE_OPTION,
  genericOptions,
  type CreateNetworkRequest,
} from './docker-protocol.js';
import { loadPool, type IpamPool } from './ipam.js';
import { DOCKER_MIRROR_OPTION, dockerMirrorOption } from './options.js';
import type { NetworkRecord } from './model.js';
import { createNetwork, removeNetwork } from './networks.js';

// --- our choice ---
export const DOCKER_NETWORK_PREFIX = 'docker-';

const stripPrefix = (cidr: string | undefined) => (cidr ? cidr.split('/')[0]! : undefined);
const truthy = (v: unknown) => v === true || v === 'true' || v === '1';

export async function createDockerNetwork(core: ControllerCore, req: CreateNetworkRequest): Promise<void> {
  const st = dockerState(core);
  if (st.networks.some((n) => n.dockerId === req.NetworkID)) return; // Docker retried: already done
  if (req.IPv6Data?.length) throw badRequest('EDOCKER_NO_IPV6', 'tsnet networks are IPv4 only; create the Docker network without --ipv6.');
  const v4 = req.IPv4Data ?? [];
  if (v4.length !== 1) throw badRequest('EDOCKER_ONE_SUBNET', `a tsnet network has exactly one IPv4 subnet, Docker gave ${v4.length}; pass one --subnet.`);
  const ipam = v4[0]!;
  const opts = genericOptions(req.Options);
  const wanted = opts[TSNET_NETWORK_OPTION];
  const existing = wanted ? core.state.networks.find((n) => !n.pending && (n.name === wanted || n.id === wanted)) : undefined;

  let net: NetworkRecord;
  let owns: boolean;
  if (existing) {
    if (existing.ipam.subnet !== ipam.Pool) {
      throw conflict('EDOCKER_SUBNET_MISMATCH', `tsnet network ${existing.name} has subnet ${existing.ipam.subnet}, Docker chose ${ipam.Pool}: pass --subnet ${existing.ipam.subnet} --gateway ${existing.ipam.gateway}, or --ipam-driver tsnet --ipam-opt tsnet.network=${existing.name}.`);
    }
    const gw = stripPrefix(ipam.Gateway);
    if (gw && gw !== existing.ipam.gateway) {
      throw conflict('EDOCKER_GATEWAY_MISMATCH', `tsnet network ${existing.name} has gateway ${existing.ipam.gateway}, Docker chose ${gw}: pass --gateway ${existing.ipam.gateway}.`);
    }
    net = existing;
    owns = false;
  } else {
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts)) if (!k.startsWith('tsnet.')) options[k] = v;
    const mtu = req.Options?.[DOCKER_MTU_OPTION];
    if (mtu !== undefined && options.mtu === undefined) options.mtu = String(mtu);
    const aux: Record<string, string> = {};
    for (const [k, v] of Object.entries(ipam.AuxAddresses ?? {})) aux[k] = stripPrefix(v)!;
    const scope = opts[TSNET_SCOPE_OPTION];
    if (scope !== undefined && scope !== 'local' && scope !== 'global') throw badRequest('EBAD_OPTION', `option ${TSNET_SCOPE_OPTION} must be local or global, not "${scope}".`);
    // a global network made through Docker is meant for Docker on every host (network-mirror.ts)
    if (scope === 'global' && options[DOCKER_MIRROR_OPTION] === undefined) options[DOCKER_MIRROR_OPTION] = 'true';
    net = await createNetwork(core, {
      name: wanted ?? DOCKER_NETWORK_PREFIX + req.NetworkID.slice(0, 12),
      driver: opts[TSNET_DRIVER_OPTION],
      subnet: ipam.Pool,
      gateway: stripPrefix(ipam.Gateway),
      auxAddresses: aux,
      options,
      internal: truthy(req.Options?.[INTERNAL_OPTION]) || truthy(opts[INTERNAL_OPTION]),
      scope,
    });
    owns = true;
  }
  // tsnet's IPAM driver reserved this subnet at RequestPool: its allocations move into the network
  const pool = st.pools.find((p) => !p.networkId && p.subnet === ipam.Pool && (!ipam.AddressSpace || p.addressSpace === ipam.AddressSpace));
  if (pool?.pool) {
    if (owns) net.pool = loadPool(pool.pool);
    else for (const a of pool.pool.allocated) if (!(net.pool as IpamPool).allocated.includes(a)) throw conflict('EADDR_IN_USE', `address ${a} is in use in tsnet network ${net.name}.`);
    pool.networkId = net.id;
    delete pool.pool;
  }
  st.networks.push({ dockerId: req.NetworkID, networkId: net.id, ownsNetwork: owns, createdAt: new Date().toISOString() });
  await core.save();
  core.deps.log(`docker network ${req.NetworkID.slice(0, 12)} mapped onto tsnet network ${net.name} (${net.ipam.subnet})`);
}

/** What this host's Docker should have and has not (GET /v1/docker/mirror, docker/network-mirror.ts):
 *  the global networks marked -o docker=true that no Docker network here maps onto yet, and the
 *  Docker networks whose tsnet network is gone (removed on the host that made it). */
export function dockerMirror(core: ControllerCore): { Create: Array<{ Network: string; Subnet: string; Internal: boolean }>; Stale: string[] } {
  const records = hasDockerState(core) ? dockerState(core).networks : [];
  const mapped = new Set(records.map((r) => r.networkId));
  const wanted = core.state.networks.filter((n) => !n.pending && n.scope === 'global' && !mapped.has(n.id) && mirrorWanted(n));
  return {
    Create: wanted.map((n) => ({ Network: n.name, Subnet: n.ipam.subnet, Internal: n.internal })),
    Stale: records.filter((r) => !core.state.networks.some((n) => n.id === r.networkId)).map((r) => r.dockerId),
  };
}

function mirrorWanted(n: NetworkRecord): boolean {
  try {
    return dockerMirrorOption(n.options);
  } catch {
    return false; // another host's spelling this one does not read: not mirrored
  }
}

export async function deleteDockerNetwork(core: ControllerCore, dockerId: string): Promise<void> {
  const st = dockerState(core);
  const rec = findDockerNetwork(core, dockerId);
  const net = core.state.networks.find((n) => n.id === rec.networkId);
  const stillUsed = st.networks.some((n) => n !== rec && n.networkId === rec.networkId);
  if (net && dockerEndpointsOfNetwork(core, net.id).some((e) => e.dockerNetworkId === dockerId)) {
    throw conflict('ENETWORK_IN_USE', `Docker network ${dockerId.slice(0, 12)} still has endpoints; disconnect its containers first.`);
  }
  // pools mapped onto the network keep their allocations for ReleaseAddress/ReleasePool
  if (net && !stillUsed) {
    for (const p of st.pools.filter((x) => x.networkId === net.id)) {
      p.pool = loadPool(net.pool);
      delete p.networkId;
    }
  }
  if (net && rec.ownsNetwork && !stillUsed && core.endpointsOfNetwork(net.id).length === 0) {
    await removeNetwork(core, net.id);
  }
  st.networks = st.networks.filter((n) => n !== rec);
  await core.save();
  core.deps.log(`docker network ${dockerId.slice(0, 12)} removed${net ? ` (tsnet network ${net.name})` : ''}`);
}

/** `tsnet network rm` (and prune) of a network made for a Docker network: refused, Docker would be
 *  left with a network whose driver lost it. Mirrors of tsnet networks (not owned) go with them. */
export function refuseIfMadeForDocker(core: ControllerCore, net: NetworkRecord): void {
  const rec = dockerState(core).networks.find((n) => n.networkId === net.id && n.ownsNetwork);
  if (rec) throw conflict('ENETWORK_IN_USE', `network ${net.name} was made for Docker network ${rec.dockerId.slice(0, 12)}; remove that with \`docker network rm\`.`);
}
