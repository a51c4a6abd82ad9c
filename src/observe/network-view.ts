// Read-only views of one network's data plane for the observing tools: port names a class can read
// ("rose:eth0", "gateway", "iface:veth1"), the MAC table with those names and ages (`tsnet fdb`), per
// port counters and the switch's counters and latency (dashboard, metrics). Inputs are plain data so
// this stays below the control plane: src/api/observe-routes.ts builds a NetworkObserveInput from the
// controller's state. Nothing here runs per frame.
import type { Port, PortCounters } from '../dataplane/port.js';
import type { Switch, SwitchCounters } from '../dataplane/switch.js';
import type { FdbStats } from '../dataplane/fdb.js';
import { latencySummaryOf, type LatencySummary } from './latency-meter.js';
import { remoteName, type PortDescription, type PortNaming } from './port-naming.js';

export interface EndpointInfo {
  id: string;
  container: string;
  ifName: string;
  ipv4: string;
  mac: string;
}

/** The data-plane handles of a network (the control plane's NetworkPorts fits). */
export interface NetworkPortsLike {
  readonly sw: Switch;
  readonly hostPort: Port;
  readonly endpoints: ReadonlyMap<string, Port>;
  readonly extra: ReadonlySet<Port>;
}

export interface NetworkObserveInput {
  id: string;
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  ports: NetworkPortsLike | undefined;
  endpoints: EndpointInfo[];
}

/** Names for the ports of one network: containers by name, the host port as "gateway". */
export function namingFor(input: NetworkObserveInput): PortNaming {
  const byPort = new Map<Port, PortDescription>();
  const p = input.ports;
  if (p) {
    byPort.set(p.hostPort, { label: 'gateway', names: ['gateway', 'host', p.hostPort.name, input.gateway] });
    for (const [epId, port] of p.endpoints) {
      const ep = input.endpoints.find((e) => e.id === epId);
      if (!ep) continue;
      const label = `${ep.container}:${ep.ifName}`;
      byPort.set(port, { label, names: [label, ep.container, port.name, epId.slice(0, 12), ep.ipv4] });
    }
  }
  return {
    describe: (port) => byPort.get(port) ?? { label: port.name, names: [port.name] },
    remote: remoteName,
  };
}

export interface FdbRow {
  mac: string;
  /** port label ("rose:eth0", "vxlan0") */
  port: string;
  /** the remote VTEP for entries on a tunnel port, '' otherwise */
  vtep: string;
  kind: 'learned' | 'static';
  ageMs: number;
}

export function fdbRows(input: NetworkObserveInput, naming: PortNaming): FdbRow[] {
  const p = input.ports;
  if (!p) return [];
  const byName = new Map(p.sw.ports().map((x) => [x.name, x] as const));
  return p.sw.fdbEntries().map((e) => {
    const port = byName.get(e.port);
    return {
      mac: e.mac,
      port: port ? naming.describe(port).label : e.port,
      vtep: port && e.remote >= 0 ? naming.remote(port, e.remote) : '',
      kind: e.kind,
      ageMs: e.kind === 'static' ? 0 : e.ageMs,
    };
  }).sort((a, b) => a.port.localeCompare(b.port) || a.mac.localeCompare(b.mac));
}

export interface PortRow {
  label: string;
  name: string;
  kind: string;
  /** what the switch received from / sent to this port */
  switchSide: PortCounters;
  /** the port's own counters (device reads and writes, its own drops) */
  device: PortCounters;
}

const copyCounters = (c: PortCounters): PortCounters => ({ ...c, drops: { ...c.drops } });

export function portRows(input: NetworkObserveInput, naming: PortNaming): PortRow[] {
  const p = input.ports;
  if (!p) return [];
  return p.sw.ports().map((port) => ({
    label: naming.describe(port).label,
    name: port.name,
    kind: port.kind,
    switchSide: copyCounters(p.sw.portCounters(port)),
    device: copyCounters(port.counters),
  }));
}

export interface SwitchSnapshot {
  counters: SwitchCounters;
  fdb: FdbStats & { size: number };
  latency: LatencySummary | null;
}

export function switchSnapshot(sw: Switch): SwitchSnapshot {
  return {
    counters: { ...sw.counters, dropped: { ...sw.counters.dropped } },
    fdb: { ...sw.fdbStats, size: sw.fdbEntries().length },
    latency: latencySummaryOf(sw),
  };
}
