// Name discovery: what the embedded name server answers for a client. A client (found by its source
// address) sees the names and aliases of every container that shares a network with it, on this
// host or, for global networks, on any host of the cluster, and reverse (PTR) names of their addresses
// on those networks; nothing from networks it is not on.
import type { ControllerCore } from './controller-core.js';
import { dockerClientNetworks, dockerNameEntries } from './docker-cluster.js';

export type NameAnswer = { type: 'A'; addresses: string[] } | { type: 'PTR'; names: string[] } | { type: 'REFUSED' } | null;

interface NameEntry {
  networkId: string;
  sandboxId: string | null;
  name: string;
  aliases: string[];
  ipv4: string;
}

function reverseToIpv4(qname: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(qname);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

/** Every name this host knows: local endpoints and other hosts' endpoints on global networks. */
function entries(core: ControllerCore): NameEntry[] {
  const out: NameEntry[] = [];
  for (const e of core.state.endpoints) {
    if (e.pending) continue;
    const name = core.state.sandboxes.find((s) => s.id === e.sandboxId)?.name;
    if (name) out.push({ networkId: e.networkId, sandboxId: e.sandboxId, name, aliases: e.aliases, ipv4: e.ipv4 });
  }
  out.push(...dockerNameEntries(core)); // Docker containers (the plugin learns their names)
  for (const [networkId, eps] of core.remote) {
    // a Docker endpoint is published before the plugin learns its container's name: skip it until then
    for (const r of eps.values()) if (r.name) out.push({ networkId, sandboxId: null, name: r.name, aliases: r.aliases, ipv4: r.ipv4.split('/')[0]! });
  }
  return out;
}

/** Answers for `qname` asked by `clientIp`; null means "not ours: forward upstream". */
export function lookupName(core: ControllerCore, clientIp: string, qnameRaw: string): NameAnswer {
  const qname = qnameRaw.toLowerCase().replace(/\.$/, '');
  const all = entries(core);
  const client = core.state.endpoints.find((e) => e.ipv4 === clientIp && !e.pending);
  const dockerNets = client ? undefined : dockerClientNetworks(core, clientIp); // a Docker container asking
  const sharedNets = client ? new Set(core.state.endpoints.filter((e) => e.sandboxId === client.sandboxId && !e.pending).map((e) => e.networkId)) : dockerNets ?? new Set<string>();
  const visible = all.filter((e) => sharedNets.has(e.networkId));
  const reverse = reverseToIpv4(qname);

  if (reverse) {
    if (!all.some((e) => e.ipv4 === reverse)) return null;
    if (!client && !dockerNets) return { type: 'REFUSED' };
    return { type: 'PTR', names: [...new Set(visible.filter((e) => e.ipv4 === reverse).map((e) => e.name))] };
  }
  const netName = (id: string) => core.state.networks.find((n) => n.id === id)?.name.toLowerCase();
  const matches = (e: NameEntry) => {
    const name = e.name.toLowerCase();
    return name === qname || e.aliases.some((a) => a.toLowerCase() === qname) || `${name}.${netName(e.networkId)}` === qname;
  };
  if (!all.some(matches)) return null;
  if (!client && !dockerNets) return { type: 'REFUSED' };
  return { type: 'A', addresses: [...new Set(visible.filter(matches).map((e) => e.ipv4))] };
}
