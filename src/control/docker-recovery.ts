// Brings Docker endpoints back at daemon start (after recovery.ts has re-opened the networks): Docker
// replays nothing after a plugin or daemon restart, so each joined endpoint's persistent TAP is opened
// again where it now lives: inside the container's namespace (SandboxKey) under the name Docker gave
// it (eth0, ethN), found by its MAC; or still in the daemon's namespace as tsd<12 hex>. Endpoints whose
// container namespace is gone stay recorded but unattached (Docker's DeleteEndpoint cleans them up,
// a new Join makes a fresh TAP). tsd* TAPs that no endpoint owns (a crash in the middle of Join or
// DeleteEndpoint) are deleted. Docker records pointing at a removed tsnet network are dropped.
import { portSecurityOption } from './options.js';
import { existsSync } from 'node:fs';
import { TapDevice } from '../native/tap.js';
import type { ControllerCore } from './controller-core.js';
import { DOCKER_TAP_PREFIX, linkByMac } from './docker-endpoints.js';
import { dockerState, hasDockerState, type DockerEndpointRecord } from './docker-state.js';
import { loadPool } from './ipam.js';
import { deleteLink } from './netns.js';
import { runIpJson } from './netns-exec.js';
import { republishDockerEndpoints } from './docker-cluster.js';

interface IpLinkJson {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

async function daemonTaps(): Promise<string[]> {
  const links = await runIpJson<IpLinkJson>(null, ['-d', 'link', 'show'], 'listing interfaces').catch(() => [] as IpLinkJson[]);
  return links.filter((l) => l.linkinfo?.info_kind === 'tun' && l.ifname.startsWith(DOCKER_TAP_PREFIX)).map((l) => l.ifname);
}

/** Opens the endpoint's TAP where it is; undefined when it is nowhere to be found. */
async function reopen(ep: DockerEndpointRecord, inDaemonNs: Set<string>, log: (m: string) => void): Promise<TapDevice | undefined> {
  if (!ep.sandboxKey) return undefined; // not joined: nothing to attach until Join
  if (inDaemonNs.has(ep.tapName)) return TapDevice.open({ name: ep.tapName, persist: true, attach: true, offload: true });
  if (!existsSync(ep.sandboxKey)) {
    log(`docker endpoint ${ep.id.slice(0, 12)}: its container namespace ${ep.sandboxKey} is gone`);
    return undefined;
  }
  const name = await linkByMac(ep.sandboxKey, ep.mac).catch(() => undefined);
  if (!name) {
    log(`docker endpoint ${ep.id.slice(0, 12)}: no interface with MAC ${ep.mac} in ${ep.sandboxKey}`);
    return undefined;
  }
  ep.ifName = name;
  return TapDevice.open({ name, persist: true, netnsPath: ep.sandboxKey, attach: true, offload: true });
}

export async function recoverDockerEndpoints(core: ControllerCore): Promise<void> {
  if (!hasDockerState(core)) return; // Docker never used this daemon
  const st = dockerState(core);
  const log = core.deps.log;
  const alive = new Set(core.state.networks.map((n) => n.id));
  for (const rec of st.networks.filter((n) => !alive.has(n.networkId))) log(`docker network ${rec.dockerId.slice(0, 12)}: its tsnet network was removed; dropping it`);
  st.networks = st.networks.filter((n) => alive.has(n.networkId));
  st.endpoints = st.endpoints.filter((e) => alive.has(e.networkId));
  for (const p of st.pools) {
    if (p.networkId && !alive.has(p.networkId)) delete p.networkId;
    if (p.pool) p.pool = loadPool(p.pool);
  }
  st.pools = st.pools.filter((p) => p.networkId || p.pool);

  const taps = await daemonTaps();
  const owned = new Set(st.endpoints.map((e) => e.tapName));
  for (const name of taps.filter((t) => !owned.has(t))) {
    await deleteLink(null, name).catch(() => undefined);
    log(`removed orphan Docker TAP ${name}`);
  }
  const inDaemonNs = new Set(taps.filter((t) => owned.has(t)));
  for (const ep of st.endpoints) {
    if (!core.deps.datapath.network(ep.networkId)) continue;
    try {
      const device = await reopen(ep, inDaemonNs, log);
      if (!device) continue;
      core.deps.datapath.attachEndpoint(ep.networkId, ep.id, device, { mac: ep.mac, ipv4: ep.ipv4, ...portSecurityOption(core.state.networks.find((n) => n.id === ep.networkId)?.options ?? {}) });
      log(`docker endpoint ${ep.id.slice(0, 12)} re-attached (${ep.ifName && !inDaemonNs.has(ep.tapName) ? `${ep.ifName} in ${ep.sandboxKey}` : ep.tapName})`);
    } catch (err) {
      log(`docker endpoint ${ep.id.slice(0, 12)} could not be re-attached: ${(err as Error).message}`);
    }
  }
  await republishDockerEndpoints(core);
  await core.save();
}
