// The JSON the live dashboard polls (GET /api/state): every network with its endpoints, ports and
// their counters, MAC table, switch counters and latency, and peers; plus the daemon and its cluster
// hosts. Built from live data on each request. Used by dashboard-server.ts (and its tests).
import type { NetworkController } from '../control/controller.js';
import type { InfoResponse } from '../api/types.js';
import { clusterHosts, observeInput } from '../api/observe-routes.js';
import { fdbRows, namingFor, portRows, switchSnapshot, type EndpointInfo, type FdbRow, type PortRow, type SwitchSnapshot } from '../observe/network-view.js';
import { peersOf, type PeersView } from '../observe/overlay-view.js';
import { cachedNaming } from '../observe/port-naming.js';

export interface DashboardNetwork {
  id: string;
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  running: boolean;
  endpoints: EndpointInfo[];
  ports: PortRow[];
  fdb: FdbRow[];
  switch: SwitchSnapshot | null;
  peers: PeersView;
}

export interface DashboardState {
  /** milliseconds since the epoch */
  time: number;
  daemon: { version: string; pid: number; networks: number; containers: number } | null;
  hosts: Array<{ hostId: string; address: string; state: string; lastSeen: string }>;
  networks: DashboardNetwork[];
}

export function dashboardState(ctl: NetworkController, info?: () => InfoResponse): DashboardState {
  const i = info?.();
  const hosts = clusterHosts(ctl);
  const networks = ctl.core.state.networks.filter((n) => !n.pending).map((n): DashboardNetwork => {
    const input = observeInput(ctl, n.id);
    const naming = cachedNaming(namingFor(input));
    return {
      id: n.id,
      name: n.name,
      driver: n.driver,
      subnet: n.ipam.subnet,
      gateway: n.ipam.gateway,
      running: input.ports !== undefined,
      endpoints: input.endpoints,
      ports: portRows(input, naming),
      fdb: fdbRows(input, naming),
      switch: input.ports ? switchSnapshot(input.ports.sw) : null,
      peers: peersOf(input, hosts),
    };
  });
  return {
    time: Date.now(),
    daemon: i ? { version: i.Version, pid: i.Pid, networks: i.Networks, containers: i.Containers } : null,
    hosts: i?.Cluster?.Hosts.map((h) => ({ hostId: h.HostId, address: h.Address, state: h.State, lastSeen: h.LastSeen })) ?? [],
    networks,
  };
}
