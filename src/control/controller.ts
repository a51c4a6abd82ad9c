// The NetworkController (libnetwork's name): the one entry point of the control plane. The daemon
// API, the Docker plugin and the tests call these verbs; each mutation runs under one lock and
// persists the state before it returns.
import type { ConnectRequest, DisconnectRequest, NetworkCreateRequest, RunRequest } from '../api/types.js';
import { badRequest } from '../errors.js';
import { ControllerCore, type ControllerDeps } from './controller-core.js';
import { connectEndpoint, disconnectEndpoint } from './endpoints.js';
import { emptyState, type DaemonStateV1 } from './model.js';
import { lookupName, type NameAnswer } from './names.js';
import { createNetwork, removeNetwork } from './networks.js';
import { refuseIfMadeForDocker } from './docker-networks.js';
import { rotateNetworkKey } from './encryption.js';
import { recover } from './recovery.js';
import { followCluster, republishAll, syncCatalogue } from './global-networks.js';
import { recoverDockerEndpoints } from './docker-recovery.js';
import { forgetIfUnused, recordExit, recordStart, removeSandbox, runSandbox, sandboxForConnect } from './sandboxes.js';
import { existsSync } from 'node:fs';
import type { EventListener } from './events.js';
import { logPathOf, recordStopped, refreshSandboxState, startSandbox, stopSandboxProcess } from './sandbox-lifecycle.js';
import { containerInspect, containerSummary, networkInspect, networkSummary, switchStats } from './views.js';

export class NetworkController {
  private constructor(readonly core: ControllerCore) {}

  /** Loads the state and brings every network and endpoint back (recovery.ts). */
  static async start(deps: ControllerDeps): Promise<NetworkController> {
    const state = (await deps.store.load()) ?? emptyState();
    const core = new ControllerCore(deps, state as DaemonStateV1);
    await core.lock.run(async () => {
      await recover(core);
      await recoverDockerEndpoints(core);
      followCluster(core);
      await syncCatalogue(core);
      await republishAll(core);
    });
    return new NetworkController(core);
  }

  createNetwork(req: NetworkCreateRequest) {
    return this.core.lock.run(async () => createNetwork(this.core, req).then((n) => ({ Id: n.id })));
  }
  listNetworks() {
    return this.core.state.networks.filter((n) => !n.pending).map(networkSummary);
  }
  inspectNetwork(ref: string) {
    return networkInspect(this.core, this.core.findNetwork(ref));
  }
  networkStats(ref: string) {
    return switchStats(this.core, this.core.findNetwork(ref));
  }
  /** Makes the next key of an encrypted global network now (encryption.ts); no lock: it changes no
   *  state of ours, and its push to the members may wait for a slow one. */
  rotateNetworkKey(ref: string) {
    return rotateNetworkKey(this.core, ref);
  }
  removeNetwork(ref: string) {
    return this.core.lock.run(() => {
      refuseIfMadeForDocker(this.core, this.core.findNetwork(ref));
      return removeNetwork(this.core, ref);
    });
  }
  connect(networkRef: string, req: ConnectRequest) {
    return this.core.lock.run(async () => {
      if (typeof req.container !== 'string' || !req.container) throw badRequest('EBAD_ARGS', 'connect needs a container or namespace.');
      const net = this.core.findNetwork(networkRef);
      const s = await sandboxForConnect(this.core, req.container);
      try {
        const ep = await connectEndpoint(this.core, net, s, { ip: req.ip, aliases: req.aliases });
        return { EndpointID: ep.id, Interface: ep.ifName, IPAddress: ep.ipv4, MacAddress: ep.mac };
      } catch (err) {
        await forgetIfUnused(this.core, s);
        throw err;
      }
    });
  }
  disconnect(networkRef: string, req: DisconnectRequest) {
    return this.core.lock.run(async () => {
      const net = this.core.findNetwork(networkRef);
      const s = this.core.findSandboxOrNamespace(req.container);
      await disconnectEndpoint(this.core, net, s);
      await forgetIfUnused(this.core, s);
      return {};
    });
  }
  run(req: RunRequest) {
    return this.core.lock.run(async () => {
      const s = await runSandbox(this.core, req);
      return { Id: s.id, Name: s.name, NetnsName: s.netnsName, NetnsPath: s.netnsPath, Hostname: s.hostname };
    });
  }
  listContainers() {
    return this.core.state.sandboxes.filter((s) => !s.pending).map((s) => containerSummary(this.core, s));
  }
  inspectContainer(ref: string) {
    return containerInspect(this.core, this.core.findSandbox(ref));
  }
  removeContainer(ref: string, force: boolean) {
    return this.core.lock.run(() => removeSandbox(this.core, ref, force));
  }
  /** `tsnet stop`: waits for the process outside the lock (other verbs go on meanwhile). */
  async stopContainer(ref: string, timeoutS: number) {
    const s = this.core.findSandbox(ref);
    const stopped = await stopSandboxProcess(s, timeoutS);
    await this.core.lock.run(() => recordStopped(this.core, s, stopped));
    if (stopped) this.core.events.emit('container', 'stop', s.id, { name: s.name });
    return { Id: s.id, Name: s.name };
  }
  startContainer(ref: string) {
    return this.core.lock.run(async () => {
      const s = this.core.findSandbox(ref);
      await startSandbox(this.core, s);
      return { Id: s.id, Name: s.name };
    });
  }
  /** The container's log file (stdout and stderr of its detached command); null when it has none. */
  containerLog(ref: string): { path: string | null; running: () => boolean } {
    const s = this.core.findSandbox(ref);
    const path = logPathOf(this.core, s);
    return {
      path: existsSync(path) ? path : null,
      running: () => {
        const now = this.core.state.sandboxes.find((x) => x.id === s.id);
        if (!now) return false;
        refreshSandboxState(now);
        return now.state === 'running';
      },
    };
  }
  /** Network and container events as they happen, until the returned function is called. */
  onEvent(fn: EventListener): () => void {
    return this.core.events.subscribe(fn);
  }
  /** The events kept from `sinceMs` on (the last RECENT_EVENTS at most). */
  recentEvents(sinceMs: number) {
    return this.core.events.recent(sinceMs);
  }
  containerStarted(ref: string, pid: number) {
    return this.core.lock.run(() => recordStart(this.core, ref, pid));
  }
  containerExited(ref: string, exitCode: number) {
    return this.core.lock.run(() => recordExit(this.core, ref, exitCode));
  }
  lookupName(clientIp: string, qname: string): NameAnswer {
    return lookupName(this.core, clientIp, qname);
  }
  /** One tick of following the cluster's catalogue of global networks (the daemon calls it every second). */
  syncCluster() {
    return this.core.lock.run(() => syncCatalogue(this.core));
  }
  clusterHosts() {
    return this.core.deps.cluster?.hosts() ?? [];
  }
  counts() {
    return { networks: this.core.state.networks.length, containers: this.core.state.sandboxes.length };
  }
  /** Closes the data path; persistent interfaces stay for the next start. */
  stop(): void {
    this.core.deps.datapath.stop();
  }
}
