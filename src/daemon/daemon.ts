// Composes a tsnet daemon: state store, data path, name server, network controller and the API
// server on its unix socket. Built by a factory with its options (convention 9); start() brings
// everything up (restoring the saved state), stop() closes the API and the data path but leaves
// persistent interfaces and detached containers running for the next start.
import { join } from 'node:path';
import { createStateStore } from '../control/state-store.js';
import { createDatapath } from '../control/datapath.js';
import { NetworkController } from '../control/controller.js';
import { readHostRoutes } from '../control/host-routes.js';
import type { DaemonStateV1 } from '../control/model.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { buildRoutes } from '../api/routes.js';
import type { InfoResponse } from '../api/types.js';
import { startNameServer, type NameServer } from './name-server.js';
import { VERSION } from '../cli/version.js';
import { startPluginServer, type PluginServer } from '../docker/plugin-server.js';
import { createVtep } from '../dataplane/vtep.js';
import type { Cluster } from '../control/cluster.js';
import { startClusterThread } from './cluster-thread.js';
import { TsnetError } from '../errors.js';
import { startLatencyMeters } from './metrics.js';
import { startObserveServer, type ObserveServer } from './dashboard-server.js';

// --- our choice ---
/** How often the daemon follows the cluster's catalogue of global networks. */
const CLUSTER_SYNC_MS = 1000;

export interface DaemonOptions {
  stateDir: string;
  socketPath: string;
  netnsPrefix: string;
  /** upstream resolvers for names tsnet does not own (default: /etc/resolv.conf) */
  dnsUpstreams?: string[];
  /** also serve Docker's network + IPAM plugin protocol on this socket */
  dockerPluginSocket?: string;
  /** dockerd's API socket (the plugin asks it for container names) */
  dockerSocket?: string;
  /** UDP port of the VTEP (4789) and the address it binds (all addresses by default) */
  vxlanPort: number;
  vxlanBind?: string;
  /** --busy-poll: the VTEP's busy-poll window in microseconds (default DEFAULT_BUSY_POLL_US) */
  busyPollUs?: number;
  /** --busy-poll-ahead: the look-ahead before a periodic burst in microseconds (default DEFAULT_BUSY_POLL_AHEAD_US) */
  busyPollAheadUs?: number;
  /** --metrics IP:PORT and --dashboard IP:PORT (off when absent; one server when equal) */
  metricsListen?: string;
  dashboardListen?: string;
  /** multi-host: present when the daemon joins or founds a cluster */
  cluster?: { advertise: string; listen: string; join: string[]; clusterKey?: Uint8Array };
  log: (msg: string) => void;
}

export interface Daemon {
  readonly controller: NetworkController;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const store = createStateStore<DaemonStateV1>(opts.stateDir);
  const vtep = createVtep({ address: opts.vxlanBind ?? '0.0.0.0', port: opts.vxlanPort, busyPollUs: opts.busyPollUs, busyPollAheadUs: opts.busyPollAheadUs });
  try {
    await vtep.start();
  } catch (err) {
    throw new TsnetError('EVTEP_BIND', 'unavailable', `cannot listen for VXLAN on UDP port ${opts.vxlanPort}: ${(err as Error).message.replace(/\.$/, '')}; is kernel vxlan or another tsnet daemon using it? Choose another with --vxlan-port.`);
  }
  const cluster: Cluster | undefined = opts.cluster
    ? await startClusterThread({ ...opts.cluster, vxlanPort: opts.vxlanPort, keyFile: join(opts.stateDir, 'host.key'), log: opts.log }).catch(async (err) => {
        await vtep.stop();
        throw err;
      })
    : undefined;
  const datapath = createDatapath({ vtep, onPortError: (where, err) => opts.log(`${where}: ${err.message}`) });
  let controller: NetworkController | undefined;
  const names: NameServer = startNameServer({
    lookup: (client, qname) => controller?.lookupName(client, qname) ?? null,
    upstreams: opts.dnsUpstreams,
    log: opts.log,
  });
  controller = await NetworkController.start({
    store,
    datapath,
    netnsPrefix: opts.netnsPrefix,
    logDir: join(opts.stateDir, 'containers'),
    hostRoutes: () => readHostRoutes(null, 4),
    resolver: names,
    cluster,
    egress: true,
    log: opts.log,
  });
  const ctl = controller;
  const info = (): InfoResponse => ({
    Version: VERSION,
    Pid: process.pid,
    StateDir: opts.stateDir,
    Socket: opts.socketPath,
    Networks: ctl.counts().networks,
    Containers: ctl.counts().containers,
    Cluster: cluster
      ? {
          PeerId: cluster.hostId,
          Advertise: opts.cluster!.advertise,
          Hosts: ctl.clusterHosts().map((h) => ({ HostId: h.hostId, Address: h.advertise, State: h.state, LastSeen: h.lastSeen ? new Date(h.lastSeen).toISOString() : '' })),
        }
      : null,
  });
  const syncTimer = cluster ? setInterval(() => void ctl.syncCluster().catch((err: Error) => opts.log(`cluster sync: ${err.message}`)), CLUSTER_SYNC_MS) : undefined;
  let api: ApiServer;
  try {
    api = await startApiServer(buildRoutes(ctl, info), opts.socketPath, (err) => opts.log(`API error: ${(err as Error).stack ?? String(err)}`));
  } catch (err) {
    ctl.stop();
    await names.stop();
    throw err;
  }
  let plugin: PluginServer | undefined;
  try {
    plugin = opts.dockerPluginSocket ? await startPluginServer({ apiSocket: opts.socketPath, socketPath: opts.dockerPluginSocket, dockerSocket: opts.dockerSocket, log: opts.log }) : undefined;
  } catch (err) {
    await api.stop();
    ctl.stop();
    await names.stop();
    throw err;
  }
  const latency = startLatencyMeters(ctl);
  const observers: ObserveServer[] = [];
  try {
    const m = opts.metricsListen, d = opts.dashboardListen;
    if (m && m === d) observers.push(await startObserveServer({ controller: ctl, listen: m, metrics: true, dashboard: true, info, log: opts.log }));
    else {
      if (m) observers.push(await startObserveServer({ controller: ctl, listen: m, metrics: true, dashboard: false, info, log: opts.log }));
      if (d) observers.push(await startObserveServer({ controller: ctl, listen: d, metrics: false, dashboard: true, info, log: opts.log }));
    }
  } catch (err) {
    for (const o of observers) await o.stop();
    latency.stop();
    await plugin?.stop();
    await api.stop();
    ctl.stop();
    await names.stop();
    throw err;
  }
  opts.log(`tsnet ${VERSION} daemon listening on ${opts.socketPath}, state in ${opts.stateDir}`);
  return {
    controller: ctl,
    async stop() {
      if (syncTimer) clearInterval(syncTimer);
      for (const o of observers) await o.stop();
      latency.stop();
      await plugin?.stop();
      await api.stop();
      await names.stop();
      ctl.stop();
      await cluster?.stop();
      await vtep.stop();
    },
  };
}
