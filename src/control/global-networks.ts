// Global networks on this host: following the cluster's catalogue (a network created on any host is
// materialised here within a sync tick, and torn down when removed), cross-host IPAM (addresses come
// from per-host blocks claimed through the cluster, then checked against every host's endpoint
// records), cluster-wide container names, publishing this host's endpoints, and applying the other
// hosts' endpoints and members to the tunnel port and the name server.
import { networkAttributes } from './events.js';
import { conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import type { ClusterEndpoint, GlobalNetworkDef } from './cluster.js';
import { allocate, createPool, release, type IpamPool } from './ipam.js';
import { hostIfNameFor } from './ids.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { addNetwork, clusterOverIpv6, destroyNetworkPorts } from './networks.js';
import { defaultOverlayMtu, mtuOption } from './options.js';
import { addPeer, addRemoteEndpoint, logFailure, removePeer, removeRemoteEndpoint } from './overlay.js';

// --- our choice ---
/** Per-host IPAM blocks are 16 times smaller than the subnet (a /24 gives /28 blocks of 16
 *  addresses), never smaller than /28. */
const BLOCK_SPLIT_BITS = 4;
const MAX_BLOCK_PREFIX = 28;
/** Addresses tried before giving up when other hosts' endpoints already use them. */
const MAX_DUPLICATE_RETRIES = 64;

const isGlobal = (n: NetworkRecord | undefined) => n?.scope === 'global';

/** Builds the local record of a global network defined elsewhere (same id, subnet, gateway, VNI). */
async function materialise(core: ControllerCore, def: GlobalNetworkDef): Promise<void> {
  if (core.state.networks.some((n) => n.name === def.name && n.id !== def.id)) {
    core.deps.log(`global network ${def.name} ignored here: a local network has the same name`);
    return;
  }
  const pool = createPool({ subnet: def.subnet, gateway: def.gateway }, [], []);
  const net: NetworkRecord = {
    id: def.id,
    name: def.name,
    driver: 'overlay',
    scope: 'global',
    internal: def.options.internal === 'true',
    ipam: { subnet: pool.subnet, gateway: pool.gateway, auxAddresses: {}, userSubnet: false },
    pool,
    options: { ...def.options },
    mtu: mtuOption(def.options) ?? defaultOverlayMtu(def.options, clusterOverIpv6(core)),
    hostIfName: hostIfNameFor(def.id),
    vni: def.vni,
    createdAt: new Date(def.createdAt).toISOString(),
  };
  await addNetwork(core, net);
  core.deps.log(`global network ${def.name} (${def.subnet}, VNI ${def.vni}) is now available here`);
}

/** One sync tick: materialise new global networks, drop removed ones that have no local endpoints. */
export async function syncCatalogue(core: ControllerCore): Promise<void> {
  const cluster = core.deps.cluster;
  if (!cluster) return;
  const defs = cluster.listNetworks();
  const ids = new Set(defs.map((d) => d.id));
  for (const def of defs) {
    if (!core.state.networks.some((n) => n.id === def.id)) await materialise(core, def).catch((err: Error) => core.deps.log(`global network ${def.name}: ${err.message}`));
  }
  for (const net of core.state.networks.filter((n) => isGlobal(n) && !n.pending && !ids.has(n.id))) {
    if (core.endpointsOfNetwork(net.id).length > 0) continue;
    await destroyNetworkPorts(core, net);
    core.state.networks = core.state.networks.filter((n) => n.id !== net.id);
    core.remote.delete(net.id);
    await core.save();
    core.events.emit('network', 'destroy', net.id, networkAttributes(net));
    core.deps.log(`global network ${net.name} was removed in the cluster`);
  }
}

/** Before a global network is removed: no endpoint on any host may still use it. */
export async function removeGlobalNetwork(core: ControllerCore, net: NetworkRecord): Promise<void> {
  const cluster = core.deps.cluster;
  if (!cluster) return;
  const elsewhere = cluster.endpoints(net.id).filter((e) => e.hostId !== cluster.hostId);
  if (elsewhere.length > 0) {
    throw conflict('ENETWORK_IN_USE', `network ${net.name} has active endpoints on other hosts (${elsewhere.map((e) => e.name).join(', ')}); disconnect them first.`);
  }
  await cluster.removeNetwork(net.id);
  core.remote.delete(net.id);
}

function blockPrefixFor(subnet: string): number {
  const prefix = Number(subnet.split('/')[1]);
  return Math.min(prefix + BLOCK_SPLIT_BITS, MAX_BLOCK_PREFIX);
}

/**
 * Allocates an address on a global network with no consensus service: automatic addresses come from
 * a block of the subnet this host claimed through the cluster (claim-protocol.ts resolves races
 * deterministically), and every address is checked against the endpoint records of all hosts (a
 * duplicate-address probe); a used one is skipped and a full block makes us claim the next.
 */
export async function allocateGlobal(core: ControllerCore, net: NetworkRecord, requested?: string): Promise<string> {
  const cluster = core.deps.cluster!;
  const pool = net.pool as IpamPool;
  if (requested !== undefined) {
    const other = cluster.addressInUse(net.id, requested);
    if (other) throw conflict('EADDR_IN_USE', `address ${requested} is already used by ${other.name} on another host.`);
    return allocate(pool, requested);
  }
  if (!pool.ipRange) pool.ipRange = await cluster.claimBlock(net.id, pool.subnet, blockPrefixFor(pool.subnet));
  const skipped: string[] = [];
  try {
    for (let i = 0; i < MAX_DUPLICATE_RETRIES; i++) {
      let ip: string;
      try {
        ip = allocate(pool);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EPOOL_EXHAUSTED') throw err;
        pool.ipRange = await cluster.claimBlock(net.id, pool.subnet, blockPrefixFor(pool.subnet));
        ip = allocate(pool);
      }
      if (!cluster.addressInUse(net.id, ip)) return ip;
      skipped.push(ip);
    }
  } finally {
    for (const ip of skipped) release(pool, ip);
  }
  throw conflict('EPOOL_EXHAUSTED', `no free address left on network ${net.name} for this host.`);
}

/** Claims the container's name cluster-wide before it joins a global network. */
export async function claimGlobalName(core: ControllerCore, net: NetworkRecord, s: SandboxRecord): Promise<void> {
  if (!isGlobal(net) || !core.deps.cluster) return;
  await core.deps.cluster.claimName(net.id, s.name, s.id);
}

export async function releaseGlobalName(core: ControllerCore, net: NetworkRecord, s: SandboxRecord): Promise<void> {
  if (!isGlobal(net) || !core.deps.cluster) return;
  await core.deps.cluster.releaseName(net.id, s.name).catch(() => undefined);
}

export async function publishLocalEndpoint(core: ControllerCore, net: NetworkRecord, s: SandboxRecord, ep: EndpointRecord): Promise<void> {
  if (!isGlobal(net) || !core.deps.cluster) return;
  await core.deps.cluster.publishEndpoint({ networkId: net.id, endpointId: ep.id, name: s.name, aliases: ep.aliases, ipv4: ep.ipv4, mac: ep.mac });
}

export async function unpublishLocalEndpoint(core: ControllerCore, net: NetworkRecord, ep: EndpointRecord): Promise<void> {
  if (!isGlobal(net) || !core.deps.cluster) return;
  await core.deps.cluster.removeEndpoint(net.id, ep.id).catch(() => undefined);
}

/** After a restart: this host's endpoints and names are published again. */
export async function republishAll(core: ControllerCore): Promise<void> {
  for (const s of core.state.sandboxes) {
    for (const ep of core.endpointsOfSandbox(s)) {
      const net = core.networkOf(ep);
      if (!isGlobal(net)) continue;
      await claimGlobalName(core, net!, s).catch((err: Error) => core.deps.log(`name ${s.name}: ${err.message}`));
      await publishLocalEndpoint(core, net!, s, ep).catch((err: Error) => core.deps.log(`endpoint ${s.name}: ${err.message}`));
    }
  }
}

/** Wires the cluster's events into the data plane and the name server. */
export function followCluster(core: ControllerCore): void {
  const cluster = core.deps.cluster;
  if (!cluster) return;
  cluster.onEndpoint((networkId: string, ep: ClusterEndpoint, kind) => {
    if (ep.hostId === cluster.hostId) return;
    logFailure(core, `remote endpoint ${ep.name} on ${networkId.slice(0, 12)}`, () =>
      kind === 'upsert' ? addRemoteEndpoint(core, ep) : removeRemoteEndpoint(core, ep),
    );
  });
  cluster.onMember((networkId, vtep, kind) => {
    logFailure(core, `member ${vtep} of ${networkId.slice(0, 12)}`, () => {
      if (kind === 'up') addPeer(core, networkId, vtep);
      else removePeer(core, networkId, vtep);
    });
  });
}
