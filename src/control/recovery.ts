// Daemon start: roll back what a crash left half-done (records still marked pending), remove orphan
// interfaces, then re-open every network's switch and re-attach every endpoint's persistent TAP from
// inside its sandbox's namespace, so running containers keep their interfaces and connectivity comes
// back within seconds of a restart, also after kill -9.
import { portSecurityOption } from './options.js';
import { existsSync } from 'node:fs';
import { TapDevice } from '../native/tap.js';
import type { ControllerCore } from './controller-core.js';
import { configureEndpointLink, nsRefOf, refreshDefaultRoute } from './endpoints.js';
import { HOST_IF_PREFIX } from './ids.js';
import { loadPool, release, type IpamPool } from './ipam.js';
import type { SandboxRecord } from './model.js';
import { deleteLink, deleteNamedNetns, removeNetnsEtc } from './netns.js';
import { runIpJson } from './netns-exec.js';
import { openNetwork, destroyNetworkPorts } from './networks.js';
import { markExited, refreshSandboxState } from './sandbox-lifecycle.js';
import { reattachIfaces } from './attached-ifaces.js';
import { writeSandboxEtc } from './sandbox-etc.js';

interface LinkInfo {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

async function tunLinks(ns: string | null): Promise<string[]> {
  const links = await runIpJson<LinkInfo>(ns, ['-d', 'link', 'show'], 'listing interfaces').catch(() => []);
  return links.filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => l.ifname);
}

const nsAlive = (s: SandboxRecord) => existsSync(s.netnsPath);

export async function recover(core: ControllerCore): Promise<void> {
  const st = core.state;
  const log = core.deps.log;
  for (const n of st.networks) n.pool = loadPool(n.pool);

  // 1. roll back pending work
  for (const ep of st.endpoints.filter((e) => e.pending)) {
    const s = st.sandboxes.find((x) => x.id === ep.sandboxId);
    if (s && nsAlive(s) && ep.ifName && (await tunLinks(nsRefOf(s))).includes(ep.ifName)) {
      await deleteLink(nsRefOf(s), ep.ifName).catch(() => undefined);
    }
    const net = st.networks.find((n) => n.id === ep.networkId);
    if (net) release(net.pool as IpamPool, ep.ipv4);
    if (s) s.endpoints = s.endpoints.filter((id) => id !== ep.id);
    log(`rolled back an unfinished connect (${ep.ipv4})`);
  }
  st.endpoints = st.endpoints.filter((e) => !e.pending);
  for (const s of st.sandboxes.filter((x) => x.pending)) {
    for (const ep of st.endpoints.filter((e) => e.sandboxId === s.id)) {
      const net = st.networks.find((n) => n.id === ep.networkId);
      if (net) release(net.pool as IpamPool, ep.ipv4);
    }
    st.endpoints = st.endpoints.filter((e) => e.sandboxId !== s.id);
    if (!s.external && s.netnsName) {
      await deleteNamedNetns(s.netnsName).catch(() => undefined);
      await removeNetnsEtc(s.netnsName).catch(() => undefined);
    }
    log(`rolled back an unfinished run of ${s.name}`);
  }
  st.sandboxes = st.sandboxes.filter((s) => !s.pending);
  for (const n of st.networks.filter((x) => x.pending)) {
    await destroyNetworkPorts(core, n);
    log(`rolled back an unfinished create of network ${n.name}`);
  }
  st.networks = st.networks.filter((n) => !n.pending);

  // 2. orphan interfaces: our host ports that no network owns; TAPs in our sandboxes that no endpoint owns
  const hostPorts = new Set(st.networks.map((n) => n.hostIfName));
  for (const name of await tunLinks(null)) {
    if (name.startsWith(HOST_IF_PREFIX) && !hostPorts.has(name)) {
      await deleteLink(null, name).catch(() => undefined);
      log(`removed orphan host port ${name}`);
    }
  }
  // 3. sandboxes whose namespace disappeared (host reboot, user deleted it) lose their endpoints
  for (const s of st.sandboxes) {
    refreshSandboxState(s);
    if (nsAlive(s)) {
      if (!s.external) {
        const owned = new Set(core.endpointsOfSandbox(s).map((e) => e.ifName));
        for (const name of await tunLinks(nsRefOf(s))) {
          if (!owned.has(name)) {
            await deleteLink(nsRefOf(s), name).catch(() => undefined);
            log(`removed orphan interface ${name} in ${s.name}`);
          }
        }
      }
      continue;
    }
    for (const ep of core.endpointsOfSandbox(s)) {
      const net = core.networkOf(ep);
      if (net) release(net.pool as IpamPool, ep.ipv4);
    }
    st.endpoints = st.endpoints.filter((e) => e.sandboxId !== s.id);
    s.endpoints = [];
    if (s.state !== 'exited') markExited(s, s.exitCode);
    log(`container ${s.name} lost its namespace ${s.netnsPath}; its endpoints were released`);
  }
  st.sandboxes = st.sandboxes.filter((s) => !(s.external && s.endpoints.length === 0));
  await core.save();

  // 4. re-open networks and re-attach endpoints
  for (const n of st.networks) await openNetwork(core, n);
  for (const n of st.networks) await reattachIfaces(core, n);
  for (const ep of [...st.endpoints]) {
    const s = st.sandboxes.find((x) => x.id === ep.sandboxId)!;
    const net = core.networkOf(ep)!;
    const existed = (await tunLinks(nsRefOf(s))).includes(ep.ifName);
    const device = TapDevice.open({ name: ep.ifName, persist: true, netnsPath: s.netnsPath, offload: true });
    if (!existed) {
      await configureEndpointLink(nsRefOf(s), ep, net.mtu);
      log(`re-created missing interface ${ep.ifName} in ${s.name}`);
    }
    core.deps.datapath.attachEndpoint(net.id, ep.id, device, { mac: ep.mac, ipv4: ep.ipv4, ...portSecurityOption(net.options) });
  }
  for (const s of st.sandboxes) {
    if (s.endpoints.length) await refreshDefaultRoute(core, s).catch(() => undefined);
    await writeSandboxEtc(core, s).catch(() => undefined);
  }
  await core.save();
}
