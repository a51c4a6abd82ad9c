// Docker-managed endpoints (CreateEndpoint, Join, Leave, DeleteEndpoint, EndpointOperInfo of the
// remote network driver). CreateEndpoint records the endpoint: the address Docker gives (recorded in
// the tsnet network's pool when Docker's own IPAM chose it, so `tsnet run` never reuses it) and a MAC
// (02:42 + IPv4 bytes when Docker gave none). Join creates a persistent TAP tsd<12 hex> in the daemon's
// namespace (which must be dockerd's namespace too), sets its MAC and MTU, attaches it to the network's
// switch and returns it as SrcName: Docker moves it into the container, renames it eth0/ethN and sets
// the address. The fd keeps working after the move; after a daemon restart docker-recovery.ts opens it
// again from inside the container's namespace (SandboxKey). Leave detaches it from the switch (Docker
// has moved it back), DeleteEndpoint deletes it and releases the address. On a global network the
// joined endpoint is also published to the cluster and withdrawn at Leave/DeleteEndpoint
// (docker-cluster.ts). Callers hold the lock.
import { networkAttributes } from './events.js';
import { badRequest, conflict } from '../errors.js';
import { TapDevice } from '../native/tap.js';
import type { ControllerCore } from './controller-core.js';
import type { CreateEndpointRequest, CreateEndpointResponse, JoinRequest, JoinResponse } from './docker-protocol.js';
import { dockerState, findDockerEndpoint, findDockerNetwork, type DockerEndpointRecord } from './docker-state.js';
import { allocate, isAllocated, macFromIp, release, type IpamPool } from './ipam.js';
import type { NetworkRecord } from './model.js';
import { configureLink, deleteLink, listLinks } from './netns.js';
import { checkDockerAddress, publishDockerEndpoint, unpublishDockerEndpoint } from './docker-cluster.js';
import { portSecurityOption } from './options.js';
import { hostsEntriesFor } from './names.js';
import { revokeDockerPorts } from './docker-ports.js';

// --- our choice ---
/** Prefix of the TAPs made for Docker endpoints (tsd + 12 hex of the endpoint id = 15 bytes). */
export const DOCKER_TAP_PREFIX = 'tsd';
/** The prefix Docker gives the interface inside the container (eth0, eth1...). */
const DST_PREFIX = 'eth';
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export const dockerTapName = (endpointId: string) => DOCKER_TAP_PREFIX + endpointId.slice(0, 12);

function networkOf(core: ControllerCore, ep: DockerEndpointRecord): NetworkRecord {
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  if (!net) throw conflict('EDOCKER_NETWORK_GONE', `the tsnet network of Docker endpoint ${ep.id.slice(0, 12)} was removed; disconnect the container.`);
  return net;
}

export async function createDockerEndpoint(core: ControllerCore, req: CreateEndpointRequest): Promise<CreateEndpointResponse> {
  const st = dockerState(core);
  const done = st.endpoints.find((e) => e.id === req.EndpointID);
  if (done) return { Interface: null }; // Docker retried
  const dnet = findDockerNetwork(core, req.NetworkID);
  const net = core.state.networks.find((n) => n.id === dnet.networkId);
  if (!net) throw conflict('EDOCKER_NETWORK_GONE', `the tsnet network of Docker network ${req.NetworkID.slice(0, 12)} was removed; remove the Docker network and create it again.`);
  if (req.Interface?.AddressIPv6) throw badRequest('EDOCKER_NO_IPV6', 'tsnet networks are IPv4 only; connect the container without an IPv6 address.');
  const cidr = req.Interface?.Address;
  if (!cidr) throw badRequest('EDOCKER_NO_ADDRESS', 'CreateEndpoint has no IPv4 address; Docker must allocate one (use the default IPAM or --ipam-driver tsnet).');
  const [ipv4, len] = cidr.split('/');
  const prefixLen = Number(len ?? net.ipam.subnet.split('/')[1]);
  const pool = net.pool as IpamPool;
  // tsnet's IPAM driver allocated it already; Docker's own IPAM did not tell us: record it now
  const ownsAddress = !isAllocated(pool, ipv4!);
  if (ownsAddress) checkDockerAddress(core, net, ipv4!);
  if (ownsAddress) allocate(pool, ipv4);
  const givenMac = req.Interface?.MacAddress?.toLowerCase();
  if (givenMac && !MAC_RE.test(givenMac)) {
    if (ownsAddress) release(pool, ipv4!);
    throw badRequest('EDOCKER_BAD_MAC', `invalid MAC address ${givenMac}: expected six hex bytes like 02:42:0a:00:00:02.`);
  }
  const mac = givenMac || macFromIp(ipv4!);
  st.endpoints.push({
    id: req.EndpointID,
    dockerNetworkId: req.NetworkID,
    networkId: net.id,
    ipv4: ipv4!,
    prefixLen,
    mac,
    tapName: dockerTapName(req.EndpointID),
    ownsAddress,
    createdAt: new Date().toISOString(),
  });
  await core.save();
  core.deps.log(`docker endpoint ${req.EndpointID.slice(0, 12)} created on ${net.name}: ${ipv4}/${prefixLen} ${mac}`);
  // Docker wants a MAC back only when it gave none
  return { Interface: givenMac ? null : { MacAddress: mac } };
}

/** Opens the endpoint's TAP in the daemon's namespace (creating it) and attaches it to the switch. */
async function attachInDaemonNs(core: ControllerCore, ep: DockerEndpointRecord, net: NetworkRecord): Promise<void> {
  const device = TapDevice.open({ name: ep.tapName, persist: true, offload: true });
  try {
    await configureLink({ ns: null, name: ep.tapName, mac: ep.mac, mtu: net.mtu });
    core.deps.datapath.attachEndpoint(net.id, ep.id, device, { mac: ep.mac, ipv4: ep.ipv4, ...portSecurityOption(net.options) });
  } catch (err) {
    device.setPersist(false);
    device.close();
    throw err;
  }
}

export async function joinDockerEndpoint(core: ControllerCore, endpointId: string, req: JoinRequest): Promise<JoinResponse> {
  const ep = findDockerEndpoint(core, endpointId);
  const net = networkOf(core, ep);
  if (!core.deps.datapath.network(net.id)?.endpoints.has(ep.id)) await attachInDaemonNs(core, ep, net);
  ep.sandboxKey = req.SandboxKey;
  delete ep.ifName;
  await core.save();
  // Docker's container id is not in its protocol: the endpoint's id stands for it
  core.events.emit('network', 'connect', net.id, { ...networkAttributes(net), endpoint: ep.id, docker: 'true' });
  core.deps.log(`docker endpoint ${ep.id.slice(0, 12)} joined ${req.SandboxKey} via ${ep.tapName}`);
  await publishDockerEndpoint(core, ep).catch((err: Error) => core.deps.log(`docker endpoint ${ep.id.slice(0, 12)}: not published to the cluster: ${err.message}`));
  return {
    InterfaceName: { SrcName: ep.tapName, DstPrefix: DST_PREFIX },
    ...(net.internal ? {} : { Gateway: net.ipam.gateway }),
    DisableGatewayService: false,
    StaticRoutes: [],
  };
}

export async function leaveDockerEndpoint(core: ControllerCore, endpointId: string): Promise<void> {
  const ep = findDockerEndpoint(core, endpointId);
  // Docker has moved the interface back into its namespace as SrcName: keep it (persistent) for a new Join
  core.deps.datapath.detachEndpoint(ep.networkId, ep.id, false);
  await revokeDockerPorts(core, ep);
  await unpublishDockerEndpoint(core, ep);
  delete ep.sandboxKey;
  delete ep.ifName;
  await core.save();
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  if (net) core.events.emit('network', 'disconnect', net.id, { ...networkAttributes(net), endpoint: ep.id, docker: 'true' });
  core.deps.log(`docker endpoint ${ep.id.slice(0, 12)} left its sandbox`);
}

export async function deleteDockerEndpoint(core: ControllerCore, endpointId: string): Promise<void> {
  const st = dockerState(core);
  const ep = st.endpoints.find((e) => e.id === endpointId);
  if (!ep) return; // already gone: DeleteEndpoint is idempotent for Docker's retries
  // state first: a crash after this leaves an orphan tsd* TAP that recovery deletes
  st.endpoints = st.endpoints.filter((e) => e !== ep);
  await revokeDockerPorts(core, ep).catch((err: Error) => core.deps.log(`docker endpoint ${ep.id.slice(0, 12)}: its port rules stay: ${err.message}`));
  await unpublishDockerEndpoint(core, ep);
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  if (net && ep.ownsAddress) release(net.pool as IpamPool, ep.ipv4);
  await core.save();
  if (core.deps.datapath.network(ep.networkId)?.endpoints.has(ep.id)) core.deps.datapath.detachEndpoint(ep.networkId, ep.id, true);
  else await deleteLink(null, ep.tapName).catch(() => undefined);
  if (ep.sandboxKey && ep.ifName) await deleteLink(ep.sandboxKey, ep.ifName).catch(() => undefined);
  core.deps.log(`docker endpoint ${ep.id.slice(0, 12)} deleted (${ep.ipv4})`);
}

/** What `docker inspect` may show for the endpoint (EndpointOperInfo's Value). */
export function dockerEndpointInfo(core: ControllerCore, endpointId: string): { Value: Record<string, unknown> } {
  const ep = findDockerEndpoint(core, endpointId);
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  const port = core.deps.datapath.network(ep.networkId)?.endpoints.get(ep.id);
  return {
    Value: {
      'tsnet.network': net?.name ?? '',
      'tsnet.tap': ep.tapName,
      'tsnet.attached': port ? 'true' : 'false',
      'tsnet.mac': ep.mac,
      ...(ep.name ? { 'tsnet.name': ep.name } : {}),
    },
  };
}

/** The /etc/hosts lines the plugin keeps in the endpoint's container (GET .../hosts): every name the
 *  container could ask tsnet's name server for, on any host; none until the endpoint is joined. */
export function dockerHostsEntries(core: ControllerCore, endpointId: string): { Entries: Array<{ Address: string; Names: string[] }> } {
  const ep = findDockerEndpoint(core, endpointId);
  if (!ep.sandboxKey) return { Entries: [] };
  return { Entries: hostsEntriesFor(core, ep.ipv4).map((e) => ({ Address: e.address, Names: e.names })) };
}

/** The interface with `mac` in the namespace at `sandboxKey`, or undefined. */
export async function linkByMac(sandboxKey: string, mac: string): Promise<string | undefined> {
  const links = await listLinks(sandboxKey);
  return links.find((l) => l.mac?.toLowerCase() === mac.toLowerCase())?.name;
}

/** A summary of every Docker network and endpoint (GET /v1/docker). */
export function dockerSummary(core: ControllerCore) {
  const st = dockerState(core);
  return {
    Networks: st.networks.map((n) => ({ DockerID: n.dockerId, Network: core.state.networks.find((x) => x.id === n.networkId)?.name ?? '', OwnsNetwork: n.ownsNetwork })),
    Pools: st.pools.map((p) => ({ PoolID: p.id, Subnet: p.subnet, Network: p.networkId ? core.state.networks.find((x) => x.id === p.networkId)?.name ?? '' : '' })),
    Endpoints: st.endpoints.map((e) => ({
      EndpointID: e.id,
      Network: core.state.networks.find((x) => x.id === e.networkId)?.name ?? '',
      IPv4Address: `${e.ipv4}/${e.prefixLen}`,
      MacAddress: e.mac,
      Tap: e.tapName,
      SandboxKey: e.sandboxKey ?? '',
      Interface: e.ifName ?? '',
      Attached: !!core.deps.datapath.network(e.networkId)?.endpoints.has(e.id),
    })),
  };
}
