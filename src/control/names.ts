// Name discovery: what the embedded name server answers for a client. A client (found by its source
// address) sees the names and aliases of every container that shares a network with it, and reverse
// (PTR) names of their addresses on those networks; nothing from networks it is not on.
import type { ControllerCore } from './controller-core.js';

export type NameAnswer = { type: 'A'; addresses: string[] } | { type: 'PTR'; names: string[] } | { type: 'REFUSED' } | null;

function reverseToIpv4(qname: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(qname);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

/** Answers for `qname` asked by `clientIp`; null means "not ours: forward upstream". */
export function lookupName(core: ControllerCore, clientIp: string, qnameRaw: string): NameAnswer {
  const qname = qnameRaw.toLowerCase().replace(/\.$/, '');
  const client = core.state.endpoints.find((e) => e.ipv4 === clientIp && !e.pending);
  const reverse = reverseToIpv4(qname);
  const sharedNets = client ? new Set(core.state.endpoints.filter((e) => e.sandboxId === client.sandboxId && !e.pending).map((e) => e.networkId)) : new Set<string>();
  const visible = core.state.endpoints.filter((e) => !e.pending && sharedNets.has(e.networkId));
  const nameOf = (sandboxId: string) => core.state.sandboxes.find((s) => s.id === sandboxId)?.name;

  if (reverse) {
    const owned = core.state.endpoints.some((e) => e.ipv4 === reverse);
    if (!owned) return null;
    if (!client) return { type: 'REFUSED' };
    const names = visible.filter((e) => e.ipv4 === reverse).map((e) => nameOf(e.sandboxId)).filter((n): n is string => !!n);
    return { type: 'PTR', names };
  }
  const matches = (e: { sandboxId: string; aliases: string[]; networkId: string }) => {
    const name = nameOf(e.sandboxId)?.toLowerCase();
    const netName = core.state.networks.find((n) => n.id === e.networkId)?.name.toLowerCase();
    return name === qname || e.aliases.some((a) => a.toLowerCase() === qname) || (name !== undefined && netName !== undefined && `${name}.${netName}` === qname);
  };
  const ownedAnywhere = core.state.endpoints.some((e) => !e.pending && matches(e));
  if (!ownedAnywhere) return null;
  if (!client) return { type: 'REFUSED' };
  const addresses = [...new Set(visible.filter(matches).map((e) => e.ipv4))];
  return { type: 'A', addresses };
}
