// Docker-shaped views of the state for `network ls/inspect`, `ps` and `inspect` (field names as in
// the seed), plus tsnet's own data (switch counters, FDB size) in a separate `Tsnet` field.
import type { ContainerInspect, ContainerSummary, EndpointSettings, NetworkInspect, NetworkSummary } from '../api/types.js';
import type { ControllerCore } from './controller-core.js';
import type { NetworkRecord, SandboxRecord } from './model.js';
import { refreshSandboxState } from './sandbox-lifecycle.js';
import { humanSince } from './human-duration.js';

/** Docker's StartedAt/FinishedAt of a container that never started or ended (Go's zero time). */
const ZERO_TIME = '0001-01-01T00:00:00Z';
import { encryptionView, rotationIntervalOf } from './encryption.js';
import { latencySummaryOf } from '../observe/latency-meter.js';
import { attachedIfacesOf } from './attached-ifaces.js';
import { offloadStatsOf, readerStatsOf, type TapOffloadView } from '../dataplane/tap-port.js';
import type { TapReaderStats } from '../native/tap.js';
import type { Port } from '../dataplane/port.js';

export function networkSummary(n: NetworkRecord): NetworkSummary {
  return { Id: n.id, Name: n.name, Driver: n.driver, Scope: n.scope };
}

function offloadView(p: Port): { Offload?: TapOffloadView } {
  const o = offloadStatsOf(p);
  return o === null ? {} : { Offload: o };
}

function readerView(p: Port): { Reader?: TapReaderStats } {
  const r = readerStatsOf(p);
  return r === null ? {} : { Reader: r };
}

export function switchStats(core: ControllerCore, n: NetworkRecord): Record<string, unknown> {
  const ports = core.deps.datapath.network(n.id);
  if (!ports) return { Running: false };
  const sw = ports.sw;
  return {
    Running: true,
    HostInterface: n.hostIfName,
    Mtu: n.mtu,
    Vni: n.vni,
    Switch: { ...sw.counters, dropped: { ...sw.counters.dropped } },
    Fdb: sw.fdbStats,
    Encryption: encryptionView(ports.overlay?.tunnel, n.scope === 'global' ? rotationIntervalOf(n) : undefined),
    /** Offload: a TAP port's offload counters (super-frames read, passed through whole, merged; checksums completed)
     *  and udpSegmentation (the kernel took USO: false before Linux 6.2);
     *  Reader: its reader's wakeups, batches, frames, drops and readNowFrames (read back in the turn that wrote) */
    Ports: sw.ports().map((p) => ({ Name: p.name, Kind: p.kind, Counters: sw.portCounters(p), ...offloadView(p), ...readerView(p) })),
    /** per-frame processing time (mean of each burst), microseconds; null when not measured */
    Latency: latencySummaryOf(sw),
    AttachedInterfaces: attachedIfacesOf(n),
  };
}

export function networkInspect(core: ControllerCore, n: NetworkRecord): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  for (const e of core.endpointsOfNetwork(n.id)) {
    const s = core.state.sandboxes.find((x) => x.id === e.sandboxId);
    containers[e.sandboxId] = { Name: s?.name ?? '', EndpointID: e.id, MacAddress: e.mac, IPv4Address: `${e.ipv4}/${e.prefixLen}`, IPv6Address: '' };
  }
  const cfg: NetworkInspect['IPAM']['Config'][number] = { Subnet: n.ipam.subnet, Gateway: n.ipam.gateway };
  if (n.ipam.ipRange) cfg.IPRange = n.ipam.ipRange;
  if (Object.keys(n.ipam.auxAddresses).length) cfg.AuxiliaryAddresses = { ...n.ipam.auxAddresses };
  return {
    Name: n.name,
    Id: n.id,
    Created: n.createdAt,
    Scope: n.scope,
    Driver: n.driver,
    Internal: n.internal,
    IPAM: { Driver: 'default', Config: [cfg] },
    Containers: containers,
    Options: { ...n.options },
    Tsnet: switchStats(core, n),
  };
}

/** docker ps's STATUS: "Up 5 seconds", "Exited (0) 3 minutes ago", "Created". */
function status(s: SandboxRecord): string {
  if (s.state === 'running') return `Up ${humanSince(s.startedAt ?? s.createdAt)}`;
  if (s.state === 'exited') return `Exited (${s.exitCode ?? -1})${s.finishedAt ? ` ${humanSince(s.finishedAt)} ago` : ''}`;
  return s.external ? 'External namespace' : 'Created';
}

export function containerSummary(core: ControllerCore, s: SandboxRecord): ContainerSummary {
  refreshSandboxState(s);
  return {
    Id: s.id,
    Name: s.name,
    Command: s.cmd.join(' '),
    Created: s.createdAt,
    State: s.state,
    Status: status(s),
    Networks: core.endpointsOfSandbox(s).map((e) => core.networkOf(e)?.name ?? e.networkId.slice(0, 12)),
    Ports: (s.published ?? []).map((b) => ({ IP: b.hostIp ?? '0.0.0.0', PrivatePort: b.port, PublicPort: b.hostPort, Type: b.proto })),
  };
}

function portsView(s: SandboxRecord): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const b of s.published ?? []) (out[`${b.port}/${b.proto}`] ??= []).push({ HostIp: b.hostIp ?? '0.0.0.0', HostPort: String(b.hostPort) });
  return out;
}

export function containerInspect(core: ControllerCore, s: SandboxRecord): ContainerInspect {
  refreshSandboxState(s);
  const networks: Record<string, EndpointSettings> = {};
  for (const e of core.endpointsOfSandbox(s)) {
    const n = core.networkOf(e);
    if (!n) continue;
    networks[n.name] = {
      EndpointID: e.id,
      Gateway: n.ipam.gateway,
      IPAddress: e.ipv4,
      IPPrefixLen: e.prefixLen,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: e.mac,
      Aliases: [...e.aliases],
      Interface: e.ifName,
    };
  }
  return {
    Id: s.id,
    Name: s.name,
    Created: s.createdAt,
    Path: s.cmd[0] ?? '',
    Args: s.cmd.slice(1),
    State: {
      Status: s.state,
      Running: s.state === 'running',
      Pid: s.state === 'running' ? (s.pid ?? 0) : 0,
      ExitCode: s.exitCode ?? 0,
      StartedAt: s.startedAt ?? ZERO_TIME,
      FinishedAt: s.finishedAt ?? ZERO_TIME,
    },
    Config: { Hostname: s.hostname ?? '', Cmd: [...s.cmd] },
    NetworkSettings: { SandboxID: s.id, SandboxKey: s.netnsPath, Ports: portsView(s), Networks: networks },
  };
}
