// Network verbs: create (validate, IPAM pool, host port, switch, name server), list, remove, and
// opening an existing network at daemon start. A network is first saved as pending, then its
// interfaces are made, then it is saved as ready: a kill -9 in between is rolled back at restart
// (recovery.ts).
import { networkAttributes } from './events.js';
import { writeFile } from 'node:fs/promises';
import type { NetworkCreateRequest } from '../api/types.js';
import { badRequest, conflict } from '../errors.js';
import { configureLink, deleteLink } from './netns.js';
import type { ControllerCore } from './controller-core.js';
import { allocateSubnet, createPool, loadPool } from './ipam.js';
import { gatewayMacOf, openOverlay } from './overlay.js';
import { isIpv6Address, parseHostPort } from './host-port.js';
import { removeGlobalNetwork } from './global-networks.js';
import { hostIfNameFor, NAME_RE, newId } from './ids.js';
import type { NetworkRecord } from './model.js';
import { closeEgress, openEgress } from './egress.js';
import { dockerEndpointsOfNetwork } from './docker-state.js';
import { agingOption, DEFAULT_BRIDGE_MTU, defaultOverlayMtu, driverName, encryptionOption, GLOBAL_POOLS, KEY_ROTATION_OPTION, keyRotationOption, MAX_VNI, maxMacsOption, mtuOption, portSecurityOption, dockerMirrorOption, masqueradeOption, vniOption } from './options.js';

/** Brings a network's host port up with the gateway address; forwarding off on it, so tsnet networks
 *  are isolated from each other and from the host's other interfaces (no routing between them) until
 *  egress.ts opens the way out for a network that masquerades. */
async function configureHostPort(net: NetworkRecord): Promise<void> {
  const prefix = net.ipam.subnet.split('/')[1];
  const mac = net.driver === 'overlay' ? gatewayMacOf(net) : undefined;
  await configureLink({ ns: null, name: net.hostIfName, mac, mtu: net.mtu, addresses: [`${net.ipam.gateway}/${prefix}`], up: true });
  await writeFile(`/proc/sys/net/ipv4/conf/${net.hostIfName}/forwarding`, '0').catch(() => undefined);
  await writeFile(`/proc/sys/net/ipv6/conf/${net.hostIfName}/disable_ipv6`, '1').catch(() => undefined);
}

/** Opens the data path of a network: host TAP (created if missing), switch, name server listener. */
export async function openNetwork(core: ControllerCore, net: NetworkRecord): Promise<void> {
  const aging = agingOption(net.options);
  core.deps.datapath.openNetwork({ id: net.id, name: net.name, hostIfName: net.hostIfName, agingMs: aging ? aging * 1000 : undefined, maxMacs: maxMacsOption(net.options) });
  await configureHostPort(net);
  // egress is not worth a network: without it the network is closed, as before (the log says why)
  if (core.deps.egress) await openEgress(core, net).catch((err: Error) => core.deps.log(`network ${net.name}: no egress NAT: ${err.message}`));
  if (net.driver === 'overlay') openOverlay(core, net);
  await core.deps.resolver?.addListener(net.ipam.gateway, 53);
}

/** Does this create request make a global (cluster-wide) network? In a cluster, overlay networks
 *  without static peers are global by default, and so is a network created with no driver (the
 *  seed's swarm default); --scope local keeps one on this host. */
function wantsGlobal(core: ControllerCore, req: NetworkCreateRequest): boolean {
  if (req.scope === 'local') return false;
  if (req.scope === 'global') {
    if (!core.deps.cluster) throw badRequest('ENO_CLUSTER', 'a global network needs a cluster: start the daemon with --advertise and --join.');
    if (req.driver && req.driver !== 'overlay') throw badRequest('EBAD_SCOPE', 'only overlay networks can be global.');
    return true;
  }
  if (!core.deps.cluster || req.peers?.length) return false;
  return req.driver === undefined || req.driver === '' || req.driver === 'overlay';
}

/** A VNI no other network of this host uses: -o vni=N, else derived from the id (our choice: 4096 and
 *  up, leaving small numbers to users), moving on when taken. */
function chooseVni(core: ControllerCore, id: string, wanted: number | undefined, taken: Set<number>): number {
  for (const n of core.state.networks) if (n.vni !== undefined) taken.add(n.vni);
  if (wanted !== undefined) {
    if (taken.has(wanted)) throw conflict('EVNI_IN_USE', `VNI ${wanted} is already used by another network; choose another with -o vni=N.`);
    return wanted;
  }
  let v = 4096 + (parseInt(id.slice(0, 6), 16) % (MAX_VNI - 4096));
  while (taken.has(v)) v = v >= MAX_VNI ? 4096 : v + 1;
  return v;
}

/** Whether this host's cluster VTEP (the address the other members send VXLAN to) is IPv6: then every
 *  member's is (a VTEP talks to its own family only), and a global network's default MTU leaves room
 *  for the 40-byte IPv6 header on every host alike. */
export function clusterOverIpv6(core: ControllerCore): boolean {
  const vtep = core.deps.cluster?.vtep;
  return vtep !== undefined && isIpv6Address(parseHostPort(vtep).address);
}

export async function createNetwork(core: ControllerCore, req: NetworkCreateRequest): Promise<NetworkRecord> {
  const name = typeof req.name === 'string' ? req.name : '';
  if (!NAME_RE.test(name)) throw badRequest('EBAD_NAME', `invalid network name "${name}": use letters, digits, '_', '.', '-' and start with a letter or digit.`);
  if (core.state.networks.some((n) => n.name === name)) throw conflict('ENETWORK_EXISTS', `network with name ${name} already exists.`);
  const global = wantsGlobal(core, req);
  const driver = global ? 'overlay' : driverName(req.driver, 'bridge');
  const options = { ...(req.options ?? {}) };
  const overIpv6 = () => (global ? clusterOverIpv6(core) : (req.peers ?? []).some((p) => isIpv6Address(parseHostPort(p).address)));
  const mtu = mtuOption(options) ?? (driver === 'overlay' ? defaultOverlayMtu(options, overIpv6()) : DEFAULT_BRIDGE_MTU);
  agingOption(options);
  maxMacsOption(options);
  portSecurityOption(options);
  masqueradeOption(options);
  if (dockerMirrorOption(options) && !global) throw badRequest('EBAD_OPTION', '-o docker=true applies to global networks only (the ones every host has); drop it or make the network global.');
  if (encryptionOption(options) && driver !== 'overlay') throw badRequest('EBAD_OPTION', '-o encrypted applies to overlay networks only; add -d overlay.');
  if (keyRotationOption(options) !== null && !global && options[KEY_ROTATION_OPTION] !== undefined) {
    throw badRequest('EBAD_OPTION', 'option key-rotation applies to global networks (their keys come from the cluster); an overlay with static peers rotates through its -o key-file.');
  }
  if (req.peers?.length && driver !== 'overlay') throw badRequest('EBAD_PEER', '--peer applies to overlay networks only; add -d overlay.');
  for (const p of req.peers ?? []) parseHostPort(p);
  if (global && core.deps.cluster!.listNetworks().some((n) => n.name === name)) throw conflict('ENETWORK_EXISTS', `network with name ${name} already exists in the cluster.`);

  const id = newId();
  const globals = core.deps.cluster?.listNetworks() ?? [];
  const existing = [...core.state.networks.map((n) => n.ipam.subnet), ...globals.map((g) => g.subnet)];
  const subnet = req.subnet ?? (global ? allocateSubnet(existing, await core.deps.hostRoutes(), GLOBAL_POOLS) : undefined);
  const pool = createPool({ subnet, gateway: req.gateway, ipRange: req.ipRange, auxAddresses: req.auxAddresses }, existing, await core.deps.hostRoutes());
  if (global) pool.userSubnet = !!req.subnet;
  const vni = driver === 'overlay' ? chooseVni(core, id, vniOption(options), new Set(globals.map((g) => g.vni))) : undefined;
  if (global) {
    const def = { id, name, subnet: pool.subnet, gateway: pool.gateway, vni: vni!, options, createdAt: Date.now() };
    const winner = await core.deps.cluster!.publishNetwork(def);
    if (winner.id !== id) throw conflict('ENETWORK_EXISTS', `network with name ${name} already exists in the cluster.`);
  }
  const net: NetworkRecord = {
    id,
    name,
    driver,
    scope: global ? 'global' : 'local',
    internal: !!req.internal,
    ipam: { subnet: pool.subnet, gateway: pool.gateway, ipRange: pool.ipRange, auxAddresses: pool.auxAddresses, userSubnet: pool.userSubnet },
    pool,
    options,
    mtu,
    hostIfName: hostIfNameFor(id),
    vni,
    peers: req.peers?.length ? [...req.peers] : undefined,
    createdAt: new Date().toISOString(),
  };
  await addNetwork(core, net);
  core.deps.log(`network ${name} created: ${driver}, ${pool.subnet}, gateway ${pool.gateway}, host port ${net.hostIfName}`);
  return net;
}

/** Adds a new network record: saved as pending, its data path opened, then saved as ready; if
 *  opening fails, everything is undone (a crash in between is rolled back by recovery.ts). */
export async function addNetwork(core: ControllerCore, net: NetworkRecord): Promise<void> {
  net.pending = true;
  core.state.networks.push(net);
  await core.save().catch((err: unknown) => {
    core.state.networks = core.state.networks.filter((n) => n !== net); // not saved (disk full): forget it
    throw err;
  });
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
  core.events.emit('network', 'create', net.id, networkAttributes(net));
}

/** Closes a network's data path and deletes its host interface. */
export async function destroyNetworkPorts(core: ControllerCore, net: NetworkRecord): Promise<void> {
  if (core.deps.egress) await closeEgress(core, net).catch((err: Error) => core.deps.log(`network ${net.name}: its egress rules stay: ${err.message}`));
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
  if (net.scope === 'global') await removeGlobalNetwork(core, net);
  await destroyNetworkPorts(core, net);
  core.state.networks = core.state.networks.filter((n) => n.id !== net.id);
  await core.save();
  core.events.emit('network', 'destroy', net.id, networkAttributes(net));
  core.deps.log(`network ${net.name} removed`);
}

export function poolOf(net: NetworkRecord) {
  return loadPool(net.pool);
}
