// Docker endpoints on global (multi-host) networks: a Docker network created with
// `-o tsnet.network=<global overlay>` on several hosts maps each host's Docker network onto the same
// tsnet overlay, and this file makes the Docker endpoints cluster citizens like tsnet's own: a joined
// endpoint is published to the cluster (so the other hosts add it to their tunnel FDB, proxy ARP and
// name server, and this host becomes a member of the network), withdrawn at Leave/DeleteEndpoint; an
// address Docker's own IPAM chose is checked against every host's endpoints; the container's name,
// which Docker's plugin protocol never carries, arrives later from the plugin (it asks dockerd's API,
// src/docker/endpoint-names.ts), is claimed cluster-wide and published. The name server
// (names.ts) also answers Docker containers: dockerNameEntries and dockerClientNetworks.
// Used by docker-endpoints.ts, docker-recovery.ts, docker-routes.ts and names.ts. Callers hold the lock.
import { conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { dockerState, findDockerEndpoint, hasDockerState, type DockerEndpointRecord } from './docker-state.js';
import { NAME_RE } from './ids.js';
import type { NetworkRecord } from './model.js';

const globalNet = (core: ControllerCore, networkId: string): NetworkRecord | undefined => {
  const net = core.state.networks.find((n) => n.id === networkId);
  return net?.scope === 'global' && core.deps.cluster ? net : undefined;
};

/** Refuses an address (chosen by Docker's own IPAM) that another host's endpoint already uses. */
export function checkDockerAddress(core: ControllerCore, net: NetworkRecord, ipv4: string): void {
  if (!globalNet(core, net.id)) return;
  const other = core.deps.cluster!.addressInUse(net.id, ipv4);
  if (other) {
    throw conflict(
      'EADDR_IN_USE',
      `address ${ipv4} is already used by ${other.name || other.endpointId.slice(0, 12)} on another host; create the Docker network with --ipam-driver tsnet --ipam-opt tsnet.network=${net.name} so each host allocates from its own block.`,
    );
  }
}

/** Publishes a joined endpoint of a global network (claiming its name first when it is known). */
export async function publishDockerEndpoint(core: ControllerCore, ep: DockerEndpointRecord): Promise<void> {
  const net = globalNet(core, ep.networkId);
  if (!net || !ep.sandboxKey) return;
  const cluster = core.deps.cluster!;
  if (ep.name && !ep.nameClaimed) {
    try {
      await cluster.claimName(net.id, ep.name, ep.id);
      ep.nameClaimed = true;
    } catch (err) {
      core.deps.log(`docker endpoint ${ep.id.slice(0, 12)}: name ${ep.name} is not published: ${(err as Error).message}`);
    }
  }
  const named = ep.nameClaimed && ep.name;
  await cluster.publishEndpoint({ networkId: net.id, endpointId: ep.id, name: named ? ep.name! : '', aliases: named ? ep.aliases ?? [] : [], ipv4: ep.ipv4, mac: ep.mac });
}

/** Withdraws an endpoint from the cluster and releases its name. */
export async function unpublishDockerEndpoint(core: ControllerCore, ep: DockerEndpointRecord): Promise<void> {
  const net = globalNet(core, ep.networkId);
  if (!net) return;
  const cluster = core.deps.cluster!;
  await cluster.removeEndpoint(net.id, ep.id).catch(() => undefined);
  if (ep.nameClaimed && ep.name) await cluster.releaseName(net.id, ep.name).catch(() => undefined);
  ep.nameClaimed = false;
}

/** Records the container name (and network aliases) of a Docker endpoint and publishes it. */
export async function setDockerEndpointName(core: ControllerCore, endpointId: string, name: string, aliases: string[]): Promise<void> {
  const ep = findDockerEndpoint(core, endpointId);
  const clean = name.replace(/^\//, '');
  const good = aliases.filter((a) => NAME_RE.test(a) && a !== clean);
  if (ep.name === clean && JSON.stringify(ep.aliases ?? []) === JSON.stringify(good)) return;
  if (ep.nameClaimed && ep.name && ep.name !== clean) {
    await core.deps.cluster?.releaseName(ep.networkId, ep.name).catch(() => undefined);
    ep.nameClaimed = false;
  }
  ep.name = clean;
  ep.aliases = good;
  await core.save();
  core.deps.log(`docker endpoint ${ep.id.slice(0, 12)} belongs to container ${clean}`);
  await publishDockerEndpoint(core, ep);
  await core.save();
}

/** After a restart: the joined endpoints of global networks are published again. */
export async function republishDockerEndpoints(core: ControllerCore): Promise<void> {
  if (!hasDockerState(core)) return;
  for (const ep of dockerState(core).endpoints) {
    if (!ep.sandboxKey || !globalNet(core, ep.networkId)) continue;
    ep.nameClaimed = false;
    await publishDockerEndpoint(core, ep).catch((err: Error) => core.deps.log(`docker endpoint ${ep.id.slice(0, 12)}: ${err.message}`));
  }
}

/** Named, joined Docker endpoints of this host, for the name server. */
export function dockerNameEntries(core: ControllerCore): Array<{ networkId: string; sandboxId: null; name: string; aliases: string[]; ipv4: string }> {
  if (!hasDockerState(core)) return [];
  return dockerState(core)
    .endpoints.filter((e) => e.sandboxKey && e.name)
    .map((e) => ({ networkId: e.networkId, sandboxId: null, name: e.name!, aliases: e.aliases ?? [], ipv4: e.ipv4 }));
}

/** The tsnet networks and addresses of the Docker container whose endpoint has `clientIp`, or undefined. */
export function dockerClientNetworks(core: ControllerCore, clientIp: string): { networks: Set<string>; addresses: Set<string> } | undefined {
  if (!hasDockerState(core)) return undefined;
  const eps = dockerState(core).endpoints;
  const client = eps.find((e) => e.ipv4 === clientIp && e.sandboxKey);
  if (!client) return undefined;
  const mine = eps.filter((e) => e.sandboxKey === client.sandboxKey);
  return { networks: new Set(mine.map((e) => e.networkId)), addresses: new Set(mine.map((e) => e.ipv4)) };
}
