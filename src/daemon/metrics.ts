// The daemon's Prometheus metrics (`tsnet daemon --metrics 127.0.0.1:9523`, served by
// dashboard-server.ts at /metrics) and the per-switch latency meters they and `tsnet stats` read.
// Per network: switch counters, drops by reason, FDB size and aging, peers, the frame-latency
// histogram; per port: frames and bytes both ways (as the switch counted them) and drops by reason
// (the switch's, and the port's own such as tx-would-block). Rendered on each scrape from live
// counters: nothing is kept between scrapes.
import type { NetworkController } from '../control/controller.js';
import type { InfoResponse } from '../api/types.js';
import type { FrameSink, Port } from '../dataplane/port.js';
import { observeInput } from '../api/observe-routes.js';
import { LATENCY_BUCKETS_NS, LatencyMeters, latencyOf } from '../observe/latency-meter.js';
import { namingFor } from '../observe/network-view.js';
import { tunnelPortOf } from '../observe/overlay-view.js';
import { MetricsText } from '../observe/prometheus.js';

// ---- our choice ----
/** How often newly attached ports get their latency meter. */
const LATENCY_SYNC_MS = 1_000;

const NS_PER_S = 1e9;

/** Measures every network's switch (ports attached later are picked up within a second). */
export function startLatencyMeters(ctl: NetworkController): { stop(): void } {
  const meters = new LatencyMeters();
  const sync = () => {
    for (const n of ctl.core.state.networks) {
      const ports = ctl.core.deps.datapath.network(n.id);
      if (!ports) continue;
      // overlay networks put an ARP-proxy ingress between local ports and the switch: keep it
      const ingress = ports.overlay?.ingress;
      const local = new Set<Port>([ports.hostPort, ...ports.endpoints.values()]);
      // endpoint ports may have port security in front (datapath guards): the meter goes before it
      const guardOf = new Map<Port, FrameSink>();
      for (const [id, p] of ports.endpoints) {
        const g = ports.guards?.get(id);
        if (g) guardOf.set(p, g);
      }
      meters.sync(ports.sw, (p) => (p.kind === 'vxlan' ? null : guardOf.get(p) ?? (ingress && local.has(p) ? ingress : ports.sw)));
    }
  };
  sync();
  const timer = setInterval(sync, LATENCY_SYNC_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export function renderMetrics(ctl: NetworkController, info?: () => InfoResponse): string {
  const m = new MetricsText();
  const nets = ctl.core.state.networks.filter((n) => !n.pending);
  m.add('tsnet_networks', 'gauge', 'Networks known to the daemon.', {}, nets.length);
  m.add('tsnet_containers', 'gauge', 'Containers (sandboxes) known to the daemon.', {}, ctl.core.state.sandboxes.length);
  if (info) m.add('tsnet_cluster_hosts', 'gauge', 'Other hosts of the cluster (0 on a single host).', {}, info().Cluster?.Hosts.length ?? 0);
  for (const n of nets) {
    const input = observeInput(ctl, n.id);
    const p = input.ports;
    const net = { network: n.name };
    m.add('tsnet_network_running', 'gauge', 'Whether the network\'s switch is running (1) or not (0).', { ...net, driver: n.driver }, p ? 1 : 0);
    if (!p) continue;
    const sw = p.sw;
    const c = sw.counters;
    m.add('tsnet_switch_rx_frames_total', 'counter', 'Frames the switch received from its ports.', net, c.rxFrames);
    m.add('tsnet_switch_rx_bytes_total', 'counter', 'Bytes the switch received from its ports.', net, c.rxBytes);
    m.add('tsnet_switch_forwarded_total', 'counter', 'Frames sent to the one port their destination MAC is known on.', net, c.forwarded);
    m.add('tsnet_switch_flooded_total', 'counter', 'Frames flooded (broadcast, multicast, unknown unicast).', net, c.flooded);
    m.add('tsnet_switch_flood_copies_total', 'counter', 'Copies sent while flooding (a tunnel port counts once).', net, c.floodCopies);
    m.add('tsnet_switch_learned_total', 'counter', 'MAC addresses learned.', net, c.learned);
    m.add('tsnet_switch_moved_total', 'counter', 'MAC addresses that moved to another port.', net, c.moved);
    for (const [reason, v] of Object.entries(c.dropped)) {
      m.add('tsnet_switch_drops_total', 'counter', 'Frames the switch dropped, by reason.', { ...net, reason }, v);
    }
    m.add('tsnet_fdb_entries', 'gauge', 'Entries in the MAC table (learned and static).', net, sw.fdbEntries().length);
    m.add('tsnet_fdb_aged_total', 'counter', 'Learned MAC entries that aged out.', net, sw.fdbStats.aged);
    m.add('tsnet_fdb_overflow_total', 'counter', 'New MACs not learned because the table was full.', net, sw.fdbStats.overflow);
    const vx = tunnelPortOf(p);
    m.add('tsnet_peers', 'gauge', 'Remote VTEPs of the network (0 for a bridge network).', net, vx ? vx.peers().length : 0);
    const naming = namingFor(input);
    for (const port of sw.ports()) {
      const l = { ...net, port: naming.describe(port).label, kind: port.kind };
      const sc = sw.portCounters(port);
      m.add('tsnet_port_rx_frames_total', 'counter', 'Frames the switch received from the port.', l, sc.rxFrames);
      m.add('tsnet_port_rx_bytes_total', 'counter', 'Bytes the switch received from the port.', l, sc.rxBytes);
      m.add('tsnet_port_tx_frames_total', 'counter', 'Frames the switch sent to the port.', l, sc.txFrames);
      m.add('tsnet_port_tx_bytes_total', 'counter', 'Bytes the switch sent to the port.', l, sc.txBytes);
      for (const [reason, v] of Object.entries(sc.drops)) {
        m.add('tsnet_port_drops_total', 'counter', 'Frames dropped, by port, where (switch or port) and reason.', { ...l, where: 'switch', reason }, v);
      }
      for (const [reason, v] of Object.entries(port.counters.drops)) {
        m.add('tsnet_port_drops_total', 'counter', 'Frames dropped, by port, where (switch or port) and reason.', { ...l, where: 'port', reason }, v);
      }
    }
    const lat = latencyOf(sw);
    if (lat) {
      m.histogram('tsnet_switch_frame_latency_seconds',
        'Mean processing time per frame of each burst (one sample per burst: from the first frame in to the batched output written).',
        net, LATENCY_BUCKETS_NS.map((b) => b / NS_PER_S), lat.buckets, lat.bursts, lat.sumNs / NS_PER_S);
    }
  }
  return m.toString();
}
