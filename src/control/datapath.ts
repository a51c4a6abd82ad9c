// The control plane's handle on the data plane: one learning switch per network, its host port (a
// persistent TAP in the daemon's namespace holding the gateway address), and one TAP port per
// endpoint. The controller calls it with commands (open a network, attach an endpoint's device,
// detach it); nothing here touches namespaces or state files. Used by controller.ts.
import { createSwitch, type Switch } from '../dataplane/switch.js';
import { createTapPort, type TapPort } from '../dataplane/tap-port.js';
import type { Port } from '../dataplane/port.js';
import type { Vtep } from '../dataplane/vtep.js';
import { createVxlanPort, type VxlanPort } from '../dataplane/vxlan-port.js';
import { createOverlayIngress, type OverlayIngress } from '../dataplane/overlay-ingress.js';
import type { OverlaySealer } from '../dataplane/overlay-crypto.js';
import { createPortSecurity, type PortSecurity, type PortSecurityOptions } from '../dataplane/port-security.js';
import { TapDevice } from '../native/tap.js';
import { unavailable, type TsnetError } from '../errors.js';

// --- our choice ---
/** How often learned FDB entries are swept (aging is also lazy on lookup). */
const SWEEP_INTERVAL_MS = 30_000;

export interface NetworkPorts {
  readonly sw: Switch;
  readonly hostPort: TapPort;
  readonly endpoints: Map<string, TapPort>;
  /** extra ports attached by drivers (an attached interface) */
  readonly extra: Set<Port>;
  /** overlay networks: the VXLAN tunnel port and the ARP-proxy ingress in front of the switch */
  overlay?: { tunnel: VxlanPort; ingress: OverlayIngress };
  /** port security in front of endpoint ports (endpoint id -> guard), see attachEndpoint */
  readonly guards?: Map<string, PortSecurity>;
}

/** Port security of one endpoint: its MAC and IPv4 address, and the network's settings
 *  (options.ts portSecurityOption). */
export type EndpointGuardOptions = Pick<PortSecurityOptions, 'mac' | 'ipv4' | 'checkSources' | 'broadcastRatePerSec'>;

export interface Datapath {
  openNetwork(net: { id: string; name: string; hostIfName: string; agingMs?: number; maxMacs?: number }): NetworkPorts;
  network(id: string): NetworkPorts | undefined;
  /** destroy=true deletes the host interface; false only closes our fd (daemon shutdown). */
  closeNetwork(id: string, destroy: boolean): void;
  /** With `guard`, the port sends only as that MAC/address and its broadcasts are rate-limited. */
  attachEndpoint(networkId: string, endpointId: string, device: TapDevice, guard?: EndpointGuardOptions): void;
  detachEndpoint(networkId: string, endpointId: string, destroy: boolean): void;
  /** Makes a network an overlay: a tunnel port on the daemon's VTEP, local ports behind the ARP proxy. */
  openOverlay(networkId: string, opts: { vni: number; mtu: number; sealer?: OverlaySealer }): VxlanPort;
  attachPort(networkId: string, port: Port): void;
  detachPort(networkId: string, port: Port): void;
  stop(): void;
}

export function createDatapath(opts: { vtep?: Vtep; onPortError?: (where: string, err: TsnetError) => void } = {}): Datapath {
  const networks = new Map<string, NetworkPorts>();
  const report = (where: string) => (err: TsnetError) => opts.onPortError?.(where, err);
  const sweeper = setInterval(() => {
    for (const n of networks.values()) n.sw.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const closeTap = (port: TapPort, destroy: boolean) => {
    const dev = port.device as TapDevice;
    if (destroy && !dev.closed) dev.setPersist(false);
    port.close();
  };

  return {
    openNetwork(net) {
      const existing = networks.get(net.id);
      if (existing) return existing;
      const device = TapDevice.open({ name: net.hostIfName, persist: true });
      const sw = createSwitch({ name: net.name, agingMs: net.agingMs, maxMacs: net.maxMacs });
      const hostPort = createTapPort(device, { name: `host:${net.hostIfName}`, onError: report(`network ${net.name} host port`) });
      sw.addPort(hostPort);
      const ports: NetworkPorts = { sw, hostPort, endpoints: new Map(), extra: new Set(), guards: new Map() };
      networks.set(net.id, ports);
      return ports;
    },
    network: (id) => networks.get(id),
    closeNetwork(id, destroy) {
      const n = networks.get(id);
      if (!n) return;
      n.overlay?.tunnel.close();
      for (const p of n.extra) {
        n.sw.removePort(p);
        p.close();
      }
      for (const [, p] of n.endpoints) {
        n.sw.removePort(p);
        closeTap(p, destroy);
      }
      n.sw.removePort(n.hostPort);
      closeTap(n.hostPort, destroy);
      networks.delete(id);
    },
    attachEndpoint(networkId, endpointId, device, guardOpts) {
      const n = networks.get(networkId);
      if (!n) throw new Error(`datapath: network ${networkId} is not open`);
      const port = createTapPort(device, { name: `${device.name}:${endpointId.slice(0, 12)}`, onError: report(`endpoint ${endpointId.slice(0, 12)}`) });
      n.sw.addPort(port);
      n.overlay?.ingress.attach(port);
      if (guardOpts) {
        // port security goes first: port -> guard -> (overlay ARP proxy ->) switch
        const guard = createPortSecurity(n.sw, guardOpts);
        if (n.overlay) guard.next = n.overlay.ingress;
        guard.attach(port);
        n.guards?.set(endpointId, guard);
      }
      n.endpoints.set(endpointId, port);
    },
    detachEndpoint(networkId, endpointId, destroy) {
      const n = networks.get(networkId);
      const port = n?.endpoints.get(endpointId);
      if (!n || !port) return;
      n.sw.removePort(port);
      n.endpoints.delete(endpointId);
      n.guards?.delete(endpointId);
      closeTap(port, destroy);
    },
    openOverlay(networkId, o) {
      const n = networks.get(networkId);
      if (!n) throw new Error(`datapath: network ${networkId} is not open`);
      if (n.overlay) return n.overlay.tunnel;
      if (!opts.vtep) throw unavailable('ENO_VTEP', 'this daemon has no VXLAN endpoint; overlay networks need one (see --vxlan-port).');
      const tunnel = createVxlanPort({ vtep: opts.vtep, vni: o.vni, mtu: o.mtu, sealer: o.sealer });
      const ingress = createOverlayIngress(n.sw, tunnel.arp);
      tunnel.attach(n.sw);
      ingress.attach(n.hostPort);
      for (const [id, p] of n.endpoints) {
        const guard = n.guards?.get(id);
        if (guard) guard.next = ingress;
        else ingress.attach(p);
      }
      n.overlay = { tunnel, ingress };
      return tunnel;
    },
    attachPort(networkId, port) {
      const n = networks.get(networkId);
      if (!n) throw new Error(`datapath: network ${networkId} is not open`);
      n.sw.addPort(port);
      n.extra.add(port);
    },
    detachPort(networkId, port) {
      const n = networks.get(networkId);
      if (!n || !n.extra.delete(port)) return;
      n.sw.removePort(port);
    },
    stop() {
      clearInterval(sweeper);
      for (const id of [...networks.keys()]) this.closeNetwork(id, false);
    },
  };
}
