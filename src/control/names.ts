// Name discovery: what the embedded name server answers for a client. A client (found by its source
// address) sees the names and aliases of every container that shares a network with it, on this
// host or, for global networks, on any host of the cluster, and reverse (PTR) names of their addresses
// on those networks; nothing from networks it is not on. The same view as hosts-file entries feeds
// the Docker plugin's /etc/hosts lines (hostsEntriesFor).
import type { ControllerCore } from './controller-core.js';
import { dockerClientNetworks, dockerNameEntries } from './docker-cluster.js';
import { tryParseIpv4 } from '../wire/ip-addr.js';

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

interface ClientView {
  all: NameEntry[];
  /** undefined: `clientIp` is no container of this host */
  visible?: NameEntry[];
  /** the addresses of the asking container on all its networks */
  own: Set<string>;
}

/** What a client (by its source address) may see: the entries on the networks its container shares. */
function viewOf(core: ControllerCore, clientIp: string): ClientView {
  const all = entries(core);
  const client = core.state.endpoints.find((e) => e.ipv4 === clientIp && !e.pending);
  if (client) {
    const mine = core.state.endpoints.filter((e) => e.sandboxId === client.sandboxId && !e.pending);
    const nets = new Set(mine.map((e) => e.networkId));
    return { all, visible: all.filter((e) => nets.has(e.networkId)), own: new Set(mine.map((e) => e.ipv4)) };
  }
  const docker = dockerClientNetworks(core, clientIp); // a Docker container asking
  if (!docker) return { all, own: new Set() };
  return { all, visible: all.filter((e) => docker.networks.has(e.networkId)), own: docker.addresses };
}

/** Answers for `qname` asked by `clientIp`; null means "not ours: forward upstream". */
export function lookupName(core: ControllerCore, clientIp: string, qnameRaw: string): NameAnswer {
  const qname = qnameRaw.toLowerCase().replace(/\.$/, '');
  const { all, visible } = viewOf(core, clientIp);
  const reverse = reverseToIpv4(qname);

  if (reverse) {
    if (!all.some((e) => e.ipv4 === reverse)) return null;
    if (!visible) return { type: 'REFUSED' };
    return { type: 'PTR', names: [...new Set(visible.filter((e) => e.ipv4 === reverse).map((e) => e.name))] };
  }
  const matches = (e: NameEntry) => qualifiedNames(core, e).some((n) => n.toLowerCase() === qname);
  if (!all.some(matches)) return null;
  if (!visible) return { type: 'REFUSED' };
  return { type: 'A', addresses: [...new Set(visible.filter(matches).map((e) => e.ipv4))] };
}

/** The names an entry answers to: its name, its aliases, and name.network. */
function qualifiedNames(core: ControllerCore, e: NameEntry): string[] {
  const net = core.state.networks.find((n) => n.id === e.networkId)?.name;
  return [e.name, ...e.aliases, ...(net ? [`${e.name}.${net}`] : [])];
}

/** One line of a hosts file: an address and the names it answers to. */
export interface HostsEntry {
  address: string;
  names: string[];
}

/** Everything `clientIp` could look up by name, as hosts-file entries (its own addresses left out),
 *  sorted by address: what the Docker plugin writes into a container's /etc/hosts (docker/hosts-file.ts). */
export function hostsEntriesFor(core: ControllerCore, clientIp: string): HostsEntry[] {
  const { visible, own } = viewOf(core, clientIp);
  const byAddress = new Map<string, Set<string>>();
  for (const e of visible ?? []) {
    if (own.has(e.ipv4)) continue;
    const names = byAddress.get(e.ipv4) ?? new Set<string>();
    for (const n of qualifiedNames(core, e)) names.add(n);
    byAddress.set(e.ipv4, names);
  }
  return [...byAddress].map(([address, names]) => ({ address, names: [...names] })).sort((a, b) => (tryParseIpv4(a.address) ?? 0) - (tryParseIpv4(b.address) ?? 0));
}
