// Overlay networks on this host: the VXLAN tunnel port of a network (static peers from --peer, or the
// members of a global network from the cluster), the gateway MAC that is the same on every host (so
// each host's host port answers locally and learning never moves it across the tunnel), and the
// remote endpoints the control plane knows (static FDB + proxy-ARP entries: libnetwork's peerdb).
import type { ControllerCore } from './controller-core.js';
import type { ClusterEndpoint } from './cluster.js';
import { macFromIp } from './ipam.js';
import type { NetworkRecord } from './model.js';
import { overlaySealerFor } from './encryption.js';
import { parseHostPort } from './host-port.js';

/** The host port of an overlay network has the same MAC on every host: 02:42 + gateway bytes. */
export const gatewayMacOf = (net: NetworkRecord): string => macFromIp(net.ipam.gateway);

export function openOverlay(core: ControllerCore, net: NetworkRecord): void {
  const ports = core.deps.datapath.network(net.id);
  if (!ports || net.vni === undefined) return;
  const tun = core.deps.datapath.openOverlay(net.id, { vni: net.vni, mtu: net.mtu, sealer: overlaySealerFor(core, net) });
  const gwMac = gatewayMacOf(net);
  ports.sw.setStatic(gwMac, ports.hostPort);
  tun.arp.set(net.ipam.gateway, gwMac);
  for (const p of net.peers ?? []) {
    const { address, port } = parseHostPort(p);
    tun.addPeer(address, port);
  }
  const cluster = core.deps.cluster;
  if (net.scope === 'global' && cluster) {
    // one member this host cannot reach (another address family) must not keep the network closed
    const tag = net.id.slice(0, 12);
    for (const v of cluster.memberVteps(net.id)) logFailure(core, `member ${v} of ${tag}`, () => addPeer(core, net.id, v));
    for (const ep of cluster.endpoints(net.id)) {
      if (ep.hostId !== cluster.hostId) logFailure(core, `remote endpoint ${ep.name} on ${tag}`, () => addRemoteEndpoint(core, ep));
    }
  }
}

/** Runs one cluster-driven change to a tunnel; a failure is logged, not thrown, so that one member
 *  or endpoint this host cannot use leaves the others working. */
export function logFailure(core: ControllerCore, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    core.deps.log(`${what}: ${(err as Error).message}`);
  }
}

export function addPeer(core: ControllerCore, networkId: string, vtep: string): void {
  const tun = core.deps.datapath.network(networkId)?.overlay?.tunnel;
  if (!tun) return;
  const { address, port } = parseHostPort(vtep);
  tun.addPeer(address, port);
}

export function removePeer(core: ControllerCore, networkId: string, vtep: string): void {
  const tun = core.deps.datapath.network(networkId)?.overlay?.tunnel;
  if (!tun) return;
  tun.removePeer(parseHostPort(vtep).address);
}

export function addRemoteEndpoint(core: ControllerCore, ep: ClusterEndpoint): void {
  let m = core.remote.get(ep.networkId);
  if (!m) core.remote.set(ep.networkId, (m = new Map()));
  const old = m.get(ep.endpointId);
  m.set(ep.endpointId, ep);
  const tun = core.deps.datapath.network(ep.networkId)?.overlay?.tunnel;
  if (!tun) return;
  if (old && old.mac !== ep.mac) removeFromTunnel(core, old);
  const { address, port } = parseHostPort(ep.vtep);
  tun.addRemoteEndpoint(ep.mac, ep.ipv4.split('/')[0]!, address, port);
}

function removeFromTunnel(core: ControllerCore, ep: ClusterEndpoint): void {
  const tun = core.deps.datapath.network(ep.networkId)?.overlay?.tunnel;
  if (!tun) return;
  try {
    tun.removeRemoteEndpoint(ep.mac);
  } catch {
    /* already gone */
  }
}

export function removeRemoteEndpoint(core: ControllerCore, ep: ClusterEndpoint): void {
  const m = core.remote.get(ep.networkId);
  const old = m?.get(ep.endpointId) ?? ep;
  m?.delete(ep.endpointId);
  removeFromTunnel(core, old);
}
