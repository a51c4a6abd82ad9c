// Network verbs: create (validate, IPAM pool, host port, switch, name server), list, remove, and
// opening an existing network at daemon start. A network is first saved as pending, then its
// interfaces are made, then it is saved as ready: a kill -9 in between is rolled back at restart
// (recovery.ts).
import { writeFile } from 'node:fs/promises';
import type { NetworkCreateRequest } from '../api/types.js';
import { badRequest, conflict } from '../errors.js';
import { configureLink, deleteLink } from './netns.js';
import type { ControllerCore } from './controller-core.js';
import { createPool, loadPool } from './ipam.js';
import { hostIfNameFor, NAME_RE, newId } from './ids.js';
import type { NetworkRecord } from './model.js';
import { dockerEndpointsOfNetwork } from './docker-state.js';
import { agingOption, DEFAULT_BRIDGE_MTU, driverName, mtuOption, VXLAN_OVERHEAD, vniOption } from './options.js';

/** Brings a network's host port up with the gateway address; forwarding off on it, so tsnet networks
 *  are isolated from each other and from the host's other interfaces (no routing between them). */
async function configureHostPort(net: NetworkRecord): Promise<void> {
  const prefix = net.ipam.subnet.split('/')[1];
  await configureLink({ ns: null, name: net.hostIfName, mtu: net.mtu, addresses: [`${net.ipam.gateway}/${prefix}`], up: true });
  await writeFile(`/proc/sys/net/ipv4/conf/${net.hostIfName}/forwarding`, '0').catch(() => undefined);
  await writeFile(`/proc/sys/net/ipv6/conf/${net.hostIfName}/disable_ipv6`, '1').catch(() => undefined);
}

/** Opens the data path of a network: host TAP (created if missing), switch, name server listener. */
export async function openNetwork(core: ControllerCore, net: NetworkRecord): Promise<void> {
  const aging = agingOption(net.options);
  core.deps.datapath.openNetwork({ id: net.id, name: net.name, hostIfName: net.hostIfName, agingMs: aging ? aging * 1000 : undefined });
  await configureHostPort(net);
  await core.deps.resolver?.addListener(net.ipam.gateway, 53);
}

export async function createNetwork(core: ControllerCore, req: NetworkCreateRequest): Promise<NetworkRecord> {
  const name = typeof req.name === 'string' ? req.name : '';
  if (!NAME_RE.test(name)) throw badRequest('EBAD_NAME', `invalid network name "${name}": use letters, digits, '_', '.', '-' and start with a letter or digit.`);
  if (core.state.networks.some((n) => n.name === name)) throw conflict('ENETWORK_EXISTS', `network with name ${name} already exists.`);
  const driver = driverName(req.driver, 'bridge');
  const options = { ...(req.options ?? {}) };
  const mtu = mtuOption(options) ?? (driver === 'overlay' ? DEFAULT_BRIDGE_MTU - VXLAN_OVERHEAD : DEFAULT_BRIDGE_MTU);
  const vni = driver === 'overlay' ? vniOption(options) : undefined;
  agingOption(options);
  if (req.peers?.length && driver !== 'overlay') throw badRequest('EBAD_PEER', '--peer applies to overlay networks only; add -d overlay.');

  const existing = core.state.networks.map((n) => n.ipam.subnet);
  const pool = createPool({ subnet: req.subnet, gateway: req.gateway, ipRange: req.ipRange, auxAddresses: req.auxAddresses }, existing, await core.deps.hostRoutes());
  const id = newId();
  const net: NetworkRecord = {
    id,
    name,
    driver,
    scope: req.scope === 'global' ? 'global' : 'local',
    internal: !!req.internal,
    ipam: { subnet: pool.subnet, gateway: pool.gateway, ipRange: pool.ipRange, auxAddresses: pool.auxAddresses, userSubnet: pool.userSubnet },
    pool,
    options,
    mtu,
    hostIfName: hostIfNameFor(id),
    vni,
    peers: req.peers?.length ? [...req.peers] : undefined,
    createdAt: new Date().toISOString(),
    pending: true,
  };
  core.state.networks.push(net);
  await core.save();
  try {
    await openNetwork(core, net);
  } catch (err) {
    await destroyNetworkPorts(core, net);
    core.state.networks = core.state.networks.filter((n) => n !== net);
    await core.save();
    throw err;
  }
  delete net.pending;
  await core.save();
  core.deps.log(`network ${name} created: ${driver}, ${pool.subnet}, gateway ${pool.gateway}, host port ${net.hostIfName}`);
  return net;
}

/** Closes a network's data path and deletes its host interface. */
export async function destroyNetworkPorts(core: ControllerCore, net: NetworkRecord): Promise<void> {
  await core.deps.resolver?.removeListener(net.ipam.gateway).catch(() => undefined);
  if (core.deps.datapath.network(net.id)) core.deps.datapath.closeNetwork(net.id, true);
  else await deleteLink(null, net.hostIfName).catch(() => undefined);
}

export async function removeNetwork(core: ControllerCore, ref: string): Promise<void> {
  const net = core.findNetwork(ref);
  const eps = core.endpointsOfNetwork(net.id);
  const dockerEps = dockerEndpointsOfNetwork(core, net.id);
  if (dockerEps.length > 0) throw conflict('ENETWORK_IN_USE', `network ${net.name} has ${dockerEps.length} Docker endpoint(s); remove them with docker first.`);
  if (eps.length > 0) {
    const names = eps.map((e) => core.state.sandboxes.find((s) => s.id === e.sandboxId)?.name ?? e.id.slice(0, 12));
    throw conflict('ENETWORK_IN_USE', `network ${net.name} has active endpoints (${names.join(', ')}); disconnect them first.`);
  }
  await destroyNetworkPorts(core, net);
  core.state.networks = core.state.networks.filter((n) => n.id !== net.id);
  await core.save();
  core.deps.log(`network ${net.name} removed`);
}

export function poolOf(net: NetworkRecord) {
  return loadPool(net.pool);
}
