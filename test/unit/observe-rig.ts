// A network for the observe-* unit tests with no root: a learning switch with memory ports in the
// places of the host port and two containers' TAPs (rose, lily), behind a real ControllerCore
// whose state holds the network, endpoints and sandboxes, and a data path that hands out those ports.
// The observing routes and views only use `controller.core`, so the rig passes { core } as the controller.
import { ControllerCore } from '../../src/control/controller-core.js';
import type { NetworkController } from '../../src/control/controller.js';
import type { Datapath, NetworkPorts } from '../../src/control/datapath.js';
import type { DaemonStateV1, NetworkRecord } from '../../src/control/model.js';
import { createMemoryPort, type MemoryPort } from '../../src/dataplane/memory-port.js';
import { createSwitch, type Switch } from '../../src/dataplane/switch.js';
import type { Port } from '../../src/dataplane/port.js';
import type { TapPort } from '../../src/dataplane/tap-port.js';

export const NET_ID = 'ab'.repeat(32);
export const ROSE_EP = '1b45'.padEnd(64, '0');
export const LILY_EP = '2c56'.padEnd(64, '0');

export interface Rig {
  ctl: NetworkController;
  core: ControllerCore;
  sw: Switch;
  host: MemoryPort;
  rose: MemoryPort;
  lily: MemoryPort;
  ports: NetworkPorts;
}

export function makeRig(opts: { clock?: () => number } = {}): Rig {
  const sw = createSwitch({ name: 'frontend', clock: opts.clock });
  const host = createMemoryPort('host:ts-abababababab', { kind: 'tap' });
  const rose = createMemoryPort(`eth0:${ROSE_EP.slice(0, 12)}`, { kind: 'tap' });
  const lily = createMemoryPort(`eth0:${LILY_EP.slice(0, 12)}`, { kind: 'tap' });
  for (const p of [host, rose, lily]) sw.addPort(p);
  const ports: NetworkPorts = {
    sw,
    hostPort: host as unknown as TapPort,
    endpoints: new Map([[ROSE_EP, rose as unknown as TapPort], [LILY_EP, lily as unknown as TapPort]]),
    extra: new Set<Port>(),
  };
  const net: NetworkRecord = {
    id: NET_ID, name: 'frontend', driver: 'bridge', scope: 'local', internal: false,
    ipam: { subnet: '172.17.0.0/16', gateway: '172.17.0.1', auxAddresses: {}, userSubnet: false },
    pool: null, options: {}, mtu: 1500, hostIfName: 'ts-abababababab', createdAt: '2024-01-01T00:00:00.000Z',
  };
  const sandbox = (id: string, name: string, ep: string) => ({
    id, name, netnsName: name, netnsPath: `/run/netns/${name}`, external: false, cmd: ['sleep', '600'], state: 'running' as const,
    autoRemove: false, endpoints: [ep], createdAt: net.createdAt,
  });
  const endpoint = (id: string, sandboxId: string, ipv4: string, mac: string) => ({
    id, networkId: NET_ID, sandboxId, ifName: 'eth0', mac, ipv4, prefixLen: 16, aliases: [], createdAt: net.createdAt,
  });
  const state: DaemonStateV1 = {
    version: 1,
    networks: [net],
    sandboxes: [sandbox('r'.repeat(64), 'rose', ROSE_EP), sandbox('l'.repeat(64), 'lily', LILY_EP)],
    endpoints: [endpoint(ROSE_EP, 'r'.repeat(64), '172.17.0.2', '02:42:ac:11:00:02'), endpoint(LILY_EP, 'l'.repeat(64), '172.17.0.3', '02:42:ac:11:00:03')],
  };
  const networks = new Map<string, NetworkPorts>([[NET_ID, ports]]);
  const datapath = {
    openNetwork: () => ports,
    network: (id: string) => networks.get(id),
    closeNetwork: (id: string) => void networks.delete(id),
    attachEndpoint: () => undefined,
    detachEndpoint: () => undefined,
    attachPort: (id: string, p: Port) => {
      networks.get(id)!.sw.addPort(p);
      networks.get(id)!.extra.add(p);
    },
    detachPort: (id: string, p: Port) => {
      networks.get(id)!.sw.removePort(p);
      networks.get(id)!.extra.delete(p);
    },
    stop: () => undefined,
  } as Partial<Datapath> as Datapath;
  const core = new ControllerCore({
    store: { load: async () => state, save: async () => undefined },
    datapath, netnsPrefix: '', logDir: '/nonexistent', hostRoutes: async () => [], log: () => undefined,
  }, state);
  return { ctl: { core } as unknown as NetworkController, core, sw, host, rose, lily, ports };
}
