// `tsnet network attach|detach NETWORK --iface DEV`: bridges an existing interface of the daemon's
// namespace (a veth whose peer is in someone else's namespace, a physical NIC) into a network's
// switch through libpcap (src/dataplane/pcap-iface-port.ts), so machines and namespaces tsnet did not
// make join the network's L2 segment. The list of attached interfaces is persisted in the network's
// record (`attachedIfaces`) and re-attached when the daemon starts (recovery). The interface is set
// up when attached and left as it is when detached (like a bridge port). Called by the API's observe
// routes under the controller's lock.
import { conflict, notFound } from '../errors.js';
import { openPcapIfacePort, checkIfaceName, type PcapIfacePort } from '../dataplane/pcap-iface-port.js';
import type { Port } from '../dataplane/port.js';
import type { ControllerCore } from './controller-core.js';
import type { NetworkRecord } from './model.js';
import { runIp, runIpJson } from './netns-exec.js';
import { HOST_IF_PREFIX } from './ids.js';

/** The record field this file owns (declared in model.ts as `attachedIfaces?: string[]`). */
type WithIfaces = NetworkRecord & { attachedIfaces?: string[] };

export const IFACE_PORT_PREFIX = 'iface:';

export interface AttachedIface {
  Network: string;
  Interface: string;
  Port: string;
}

const portName = (dev: string) => `${IFACE_PORT_PREFIX}${dev}`;

function findPort(core: ControllerCore, net: NetworkRecord, dev: string): Port | undefined {
  const ports = core.deps.datapath.network(net.id);
  if (!ports) return undefined;
  for (const p of ports.extra) if (p.kind === 'pcap-iface' && p.name === portName(dev)) return p;
  return undefined;
}

/** Interfaces attached to a network (persisted list). */
export function attachedIfacesOf(net: NetworkRecord): string[] {
  return [...((net as WithIfaces).attachedIfaces ?? [])];
}

/** Sets DEV up and returns its MAC (netlink, so it is right in the daemon's namespace); EIFACE_NOT_FOUND if absent. */
async function upAndMac(dev: string): Promise<string> {
  let links: Array<{ address?: string }>;
  try {
    links = await runIpJson<{ address?: string }>(null, ['link', 'show', 'dev', dev], `looking up ${dev}`, 'EIFACE_LOOKUP');
  } catch {
    throw notFound('EIFACE_NOT_FOUND', `interface ${dev} does not exist in the daemon's network namespace; check the name with \`ip link\`.`);
  }
  await runIp(null, ['link', 'set', 'dev', dev, 'up'], `setting ${dev} up`, 'EIFACE_UP');
  return links[0]?.address ?? '';
}

async function openPort(core: ControllerCore, net: NetworkRecord, dev: string): Promise<PcapIfacePort> {
  const mac = await upAndMac(dev);
  return openPcapIfacePort(dev, { mac, onError: (err) => core.deps.log(`network ${net.name}, interface ${dev}: ${err.message}`) });
}

/** Attaches DEV to the network's switch and remembers it. */
export async function attachIface(core: ControllerCore, netRef: string, dev: string): Promise<AttachedIface> {
  checkIfaceName(dev);
  const net = core.findNetwork(netRef) as WithIfaces;
  if (dev.startsWith(HOST_IF_PREFIX)) {
    throw conflict('EIFACE_TSNET', `interface ${dev} is a tsnet host port; attach an interface tsnet does not manage.`);
  }
  for (const other of core.state.networks as WithIfaces[]) {
    if (other.attachedIfaces?.includes(dev)) {
      throw conflict('EIFACE_ATTACHED', `interface ${dev} is already attached to network ${other.name}; detach it first.`);
    }
  }
  const ports = core.deps.datapath.network(net.id);
  if (!ports) throw notFound('ENETWORK_NOT_RUNNING', `network ${net.name} has no running switch; restart the daemon.`);
  const port = await openPort(core, net, dev);
  try {
    core.deps.datapath.attachPort(net.id, port);
  } catch (err) {
    port.close();
    throw err;
  }
  net.attachedIfaces = [...(net.attachedIfaces ?? []), dev];
  try {
    await core.save();
  } catch (err) {
    core.deps.datapath.detachPort(net.id, port);
    port.close();
    net.attachedIfaces = net.attachedIfaces.filter((d) => d !== dev);
    throw err;
  }
  core.deps.log(`network ${net.name}: attached interface ${dev}`);
  return { Network: net.name, Interface: dev, Port: port.name };
}

/** Detaches DEV from the network's switch and forgets it. */
export async function detachIface(core: ControllerCore, netRef: string, dev: string): Promise<void> {
  checkIfaceName(dev);
  const net = core.findNetwork(netRef) as WithIfaces;
  if (!net.attachedIfaces?.includes(dev)) {
    throw notFound('EIFACE_NOT_ATTACHED', `interface ${dev} is not attached to network ${net.name}; see \`tsnet network inspect ${net.name}\`.`);
  }
  const port = findPort(core, net, dev);
  if (port) {
    core.deps.datapath.detachPort(net.id, port);
    port.close();
  }
  net.attachedIfaces = net.attachedIfaces.filter((d) => d !== dev);
  if (net.attachedIfaces.length === 0) delete net.attachedIfaces;
  await core.save();
  core.deps.log(`network ${net.name}: detached interface ${dev}`);
}

/** Re-attaches the persisted interfaces of an open network (daemon start). An interface that is
 *  gone stays in the list (it may come back) and is logged; nothing throws. */
export async function reattachIfaces(core: ControllerCore, net: NetworkRecord): Promise<void> {
  for (const dev of attachedIfacesOf(net)) {
    if (findPort(core, net, dev)) continue;
    try {
      core.deps.datapath.attachPort(net.id, await openPort(core, net, dev));
      core.deps.log(`network ${net.name}: re-attached interface ${dev}`);
    } catch (err) {
      core.deps.log(`network ${net.name}: cannot re-attach interface ${dev}: ${(err as Error).message}`);
    }
  }
}

/** Closes the capture ports of a network's interfaces (before its switch is closed or removed). */
export function closeIfacePorts(core: ControllerCore, net: NetworkRecord): void {
  for (const dev of attachedIfacesOf(net)) {
    const port = findPort(core, net, dev);
    if (!port) continue;
    core.deps.datapath.detachPort(net.id, port);
    port.close();
  }
}
