// Endpoint verbs: connect a sandbox to a network (address from IPAM, a persistent TAP created inside
// the sandbox's namespace as eth0, eth1... in connect order, MAC 02:42 + IPv4 bytes, MTU, address, and
// the default route via the gateway of the sandbox's first network) and disconnect it (the interface
// is deleted). Every step is undone when a later one fails (libnetwork osl/ does the same).
import { networkAttributes } from './events.js';
import { portSecurityOption } from './options.js';
import { TapDevice } from '../native/tap.js';
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { allocate, macFromIp, release, type IpamPool } from './ipam.js';
import { newId, NAME_RE } from './ids.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { runIpBatch, type NsRef } from './netns-exec.js';
import { deleteDefaultRoute, deleteLink, listLinks, setDefaultRoute } from './netns.js';
import { refreshPublishedPorts } from './published-ports.js';
import { writeSandboxEtc } from './sandbox-etc.js';
import { allocateGlobal, claimGlobalName, publishLocalEndpoint, releaseGlobalName, unpublishLocalEndpoint } from './global-networks.js';

export const nsRefOf = (s: SandboxRecord): NsRef => s.netnsName ?? s.netnsPath;

/** MAC, MTU, address and up state of an endpoint's interface inside its sandbox. */
export function configureEndpointLink(ns: NsRef, ep: EndpointRecord, mtu: number): Promise<void> {
  return runIpBatch(ns, [`link set dev ${ep.ifName} address ${ep.mac} mtu ${mtu} up`, `addr replace ${ep.ipv4}/${ep.prefixLen} dev ${ep.ifName}`], `configuring ${ep.ifName}`, 'ELINK_CONFIG');
}

/** The first ethN name not used by any link in the sandbox's namespace. */
async function nextIfName(s: SandboxRecord): Promise<string> {
  const used = new Set((await listLinks(nsRefOf(s))).map((l) => l.name));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

/** Sets the default route of a sandbox via the gateway of its first connected network. */
export async function refreshDefaultRoute(core: ControllerCore, s: SandboxRecord): Promise<void> {
  const first = core.endpointsOfSandbox(s).find((e) => !core.networkOf(e)?.internal);
  const ns = nsRefOf(s);
  if (!first) {
    await deleteDefaultRoute(ns).catch(() => undefined);
    return;
  }
  await setDefaultRoute(ns, core.networkOf(first)!.ipam.gateway, first.ifName);
}

export async function connectEndpoint(core: ControllerCore, net: NetworkRecord, s: SandboxRecord, opts: { ip?: string; aliases?: string[] }): Promise<EndpointRecord> {
  if (core.endpointsOfSandbox(s).some((e) => e.networkId === net.id)) {
    throw conflict('EALREADY_CONNECTED', `container ${s.name} is already connected to network ${net.name}.`);
  }
  const aliases = opts.aliases ?? [];
  for (const a of aliases) if (!NAME_RE.test(a)) throw badRequest('EBAD_ALIAS', `invalid alias "${a}": use letters, digits, '_', '.', '-'.`);
  if (opts.ip !== undefined && !net.ipam.userSubnet) {
    throw badRequest('EIP_NEEDS_SUBNET', `--ip needs a network created with --subnet; network ${net.name} was not.`);
  }
  const pool = net.pool as IpamPool;
  await claimGlobalName(core, net, s);
  let ipv4: string;
  try {
    ipv4 = net.scope === 'global' && core.deps.cluster ? await allocateGlobal(core, net, opts.ip) : allocate(pool, opts.ip);
  } catch (err) {
    await releaseGlobalName(core, net, s);
    throw err;
  }
  const prefixLen = Number(net.ipam.subnet.split('/')[1]);
  const ep: EndpointRecord = {
    id: newId(),
    networkId: net.id,
    sandboxId: s.id,
    ifName: '',
    mac: macFromIp(ipv4),
    ipv4,
    prefixLen,
    aliases,
    createdAt: new Date().toISOString(),
    pending: true,
  };
  let device: TapDevice | undefined;
  try {
    ep.ifName = await nextIfName(s);
    core.state.endpoints.push(ep);
    s.endpoints.push(ep.id);
    await core.save();
    device = TapDevice.open({ name: ep.ifName, persist: true, netnsPath: s.netnsPath, offload: true });
    await configureEndpointLink(nsRefOf(s), ep, net.mtu);
    core.deps.datapath.attachEndpoint(net.id, ep.id, device, { mac: ep.mac, ipv4: ep.ipv4, ...portSecurityOption(net.options) });
    delete ep.pending;
    await refreshDefaultRoute(core, s);
    await refreshPublishedPorts(core, s);
    await writeSandboxEtc(core, s);
    await core.save();
    await publishLocalEndpoint(core, net, s, ep);
  } catch (err) {
    if (device && !device.closed) {
      if (core.deps.datapath.network(net.id)?.endpoints.has(ep.id)) core.deps.datapath.detachEndpoint(net.id, ep.id, true);
      else {
        device.setPersist(false);
        device.close();
      }
    }
    release(pool, ipv4);
    await unpublishLocalEndpoint(core, net, ep);
    await releaseGlobalName(core, net, s);
    core.state.endpoints = core.state.endpoints.filter((e) => e !== ep);
    s.endpoints = s.endpoints.filter((id) => id !== ep.id);
    await core.save().catch(() => undefined);
    throw err;
  }
  core.events.emit('network', 'connect', net.id, { ...networkAttributes(net), container: s.id });
  core.deps.log(`connected ${s.name} to ${net.name}: ${ep.ifName} ${ipv4}/${prefixLen} ${ep.mac}`);
  return ep;
}

export async function disconnectEndpoint(core: ControllerCore, net: NetworkRecord, s: SandboxRecord): Promise<void> {
  const ep = core.endpointsOfSandbox(s).find((e) => e.networkId === net.id);
  if (!ep) throw notConnected(net, s);
  // state first: a crash after this point leaves an orphan interface that the startup sweep removes
  core.state.endpoints = core.state.endpoints.filter((e) => e.id !== ep.id);
  s.endpoints = s.endpoints.filter((id) => id !== ep.id);
  release(net.pool as IpamPool, ep.ipv4);
  await core.save();
  await unpublishLocalEndpoint(core, net, ep);
  await releaseGlobalName(core, net, s);
  if (core.deps.datapath.network(net.id)?.endpoints.has(ep.id)) core.deps.datapath.detachEndpoint(net.id, ep.id, true);
  else await deleteLink(nsRefOf(s), ep.ifName).catch(() => undefined);
  await refreshDefaultRoute(core, s).catch(() => undefined);
  await refreshPublishedPorts(core, s).catch((err: Error) => core.deps.log(`container ${s.name}: published ports not moved: ${err.message}`));
  await writeSandboxEtc(core, s).catch(() => undefined);
  core.events.emit('network', 'disconnect', net.id, { ...networkAttributes(net), container: s.id });
  core.deps.log(`disconnected ${s.name} from ${net.name}`);
}

function notConnected(net: NetworkRecord, s: SandboxRecord) {
  return conflict('ENOT_CONNECTED', `container ${s.name} is not connected to network ${net.name}.`);
}
