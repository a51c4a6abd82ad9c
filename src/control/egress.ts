// Egress NAT for tsnet networks, as Docker's bridge driver does by default: containers reach the
// world through their network's gateway, masqueraded behind the host's address. A network that is
// not --internal and not `-o masquerade=false` gets, in the daemon's namespace,
//   nat    TSNET-POSTROUTING: -s SUBNET ! -o ts-X -j MASQUERADE
//   filter TSNET-FORWARD:     -i ts-X -o ts-+ -j DROP (isolation: never into another tsnet network),
//                             -i ts-X -j ACCEPT, -o ts-X RELATED,ESTABLISHED -j ACCEPT, -o ts-X -j DROP
// (each rule commented tsnet:<network id>, the chains jumped to first from POSTROUTING and FORWARD)
// and IPv4 forwarding on its host port and on the host (net.ipv4.ip_forward, which Linux copies to
// every interface: the host ports of other networks are set back to 0). Every other network keeps
// forwarding off on its host port, which is what isolates it. Without iptables a network stays
// without egress and the daemon says so once. Rules are checked before they are added, so opening
// a network again (daemon restart) adds nothing twice; closing it deletes its rules. Published
// ports (publishPorts) are DNAT rules in TSNET-DNAT (from PREROUTING and OUTPUT for the host's own
// addresses) with an ACCEPT ahead of the network's rules. Used by networks.ts and docker-ports.ts.
import { readFile, writeFile } from 'node:fs/promises';
import type { ControllerCore } from './controller-core.js';
import type { NetworkRecord } from './model.js';
import { execProgram } from './netns-exec.js';
import { masqueradeOption } from './options.js';

// --- our choice ---
export const FORWARD_CHAIN = 'TSNET-FORWARD';
export const NAT_CHAIN = 'TSNET-POSTROUTING';
export const DNAT_CHAIN = 'TSNET-DNAT';
/** Matches every tsnet host port (ids.ts hostIfNameFor: ts-<12 hex>). */
const HOST_PORT_GLOB = 'ts-+';

type Table = 'filter' | 'nat';
interface Rule {
  table: Table;
  chain: string;
  spec: string[];
}

const commentOf = (net: NetworkRecord) => ['-m', 'comment', '--comment', `tsnet:${net.id.slice(0, 12)}`];

function rulesOf(net: NetworkRecord): Rule[] {
  const port = net.hostIfName;
  const c = commentOf(net);
  return [
    { table: 'nat', chain: NAT_CHAIN, spec: ['-s', net.ipam.subnet, '!', '-o', port, ...c, '-j', 'MASQUERADE'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-i', port, '-o', HOST_PORT_GLOB, ...c, '-j', 'DROP'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-i', port, ...c, '-j', 'ACCEPT'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-o', port, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...c, '-j', 'ACCEPT'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-o', port, ...c, '-j', 'DROP'] },
  ];
}

/** Does this network masquerade its containers' traffic to the world? */
export function wantsEgress(net: NetworkRecord): boolean {
  if (net.internal) return false;
  try {
    return masqueradeOption(net.options);
  } catch {
    return false; // a spelling this host does not read (another host's global network): stay closed
  }
}

const iptables = (table: Table, args: string[]) => execProgram('iptables', ['-w', '-t', table, ...args]);
const succeeds = (p: Promise<unknown>) => p.then(() => true, () => false);

async function ensureChain(table: Table, chain: string, from: string, match: string[] = []): Promise<void> {
  if (!(await succeeds(iptables(table, ['-n', '-L', chain])))) await iptables(table, ['-N', chain]);
  if (!(await succeeds(iptables(table, ['-C', from, ...match, '-j', chain])))) await iptables(table, ['-I', from, '1', ...match, '-j', chain]);
}

async function addOnce(r: Rule, position: 'first' | 'last'): Promise<void> {
  if (await succeeds(iptables(r.table, ['-C', r.chain, ...r.spec]))) return;
  await iptables(r.table, position === 'first' ? ['-I', r.chain, '1', ...r.spec] : ['-A', r.chain, ...r.spec]);
}

async function deleteAll(r: Rule): Promise<void> {
  while (await succeeds(iptables(r.table, ['-D', r.chain, ...r.spec]))) {
    /* deleted one copy; repeat until none is left */
  }
}

async function setForwarding(ifName: string, on: boolean): Promise<void> {
  await writeFile(`/proc/sys/net/ipv4/conf/${ifName}/forwarding`, on ? '1' : '0').catch(() => undefined);
}

let missing: string | undefined; // why iptables cannot be used here, once known ('' = it can)
const open = new Set<string>(); // networks whose rules are all in place: the only ones forwarding

async function iptablesAvailable(log: (msg: string) => void): Promise<boolean> {
  if (missing === undefined) {
    try {
      await iptables('nat', ['-n', '-L', 'POSTROUTING']);
      missing = '';
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      missing = e.code === 'ENOENT' ? 'iptables is not installed' : (e.stderr || e.message).trim().split('\n')[0]!;
      log(`containers get no route to the world (egress NAT off): ${missing}`);
    }
  }
  return missing === '';
}

async function hostForwardingOn(core: ControllerCore): Promise<void> {
  if ((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8').catch(() => '1')).trim() === '1') return;
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  core.deps.log('IPv4 forwarding turned on (net.ipv4.ip_forward=1) for egress NAT');
  // Linux just set forwarding on every interface: every network without its rules stays isolated
  for (const n of core.state.networks) if (!open.has(n.id)) await setForwarding(n.hostIfName, false);
}

/** Applies a network's egress (rules and forwarding on, or forwarding off), once its host port is up. */
export async function openEgress(core: ControllerCore, net: NetworkRecord): Promise<void> {
  open.delete(net.id);
  if (!wantsEgress(net) || !(await iptablesAvailable(core.deps.log))) {
    await setForwarding(net.hostIfName, false);
    if (missing === '') await closeEgress(core, net); // e.g. a network made internal since: no rule may stay
    return;
  }
  await ensureChain('filter', FORWARD_CHAIN, 'FORWARD');
  await ensureChain('nat', NAT_CHAIN, 'POSTROUTING');
  for (const r of rulesOf(net)) await addOnce(r, 'last');
  open.add(net.id);
  await hostForwardingOn(core);
  await setForwarding(net.hostIfName, true);
}

/** Deletes a network's rules (the network is removed). */
export async function closeEgress(core: ControllerCore, net: NetworkRecord): Promise<void> {
  open.delete(net.id);
  if (!(await iptablesAvailable(core.deps.log))) return;
  for (const r of rulesOf(net)) await deleteAll(r);
}

/** One published port: connections to HOSTPORT on the host (or on hostIp only) go to the container. */
export interface PortBinding {
  proto: 'tcp' | 'udp' | 'sctp';
  port: number;
  hostPort: number;
  hostIp?: string;
}

function publishRules(net: NetworkRecord, containerIp: string, b: PortBinding, tag: string): Rule[] {
  const port = net.hostIfName;
  const c = ['-m', 'comment', '--comment', `tsnet-port:${tag}`];
  const dst = b.hostIp ? ['-d', b.hostIp] : [];
  return [
    { table: 'nat', chain: DNAT_CHAIN, spec: ['-p', b.proto, ...dst, '--dport', String(b.hostPort), '!', '-i', port, ...c, '-j', 'DNAT', '--to-destination', `${containerIp}:${b.port}`] },
    // ahead of the network's "nothing from outside" rule
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-d', `${containerIp}/32`, '!', '-i', port, '-o', port, '-p', b.proto, '--dport', String(b.port), ...c, '-j', 'ACCEPT'] },
  ];
}

/** Publishes ports of a container on a network with egress (Docker's -p HOSTPORT:PORT): DNAT from
 *  the host's addresses (also for connections the host itself makes), accepted through the filter. */
export async function publishPorts(core: ControllerCore, net: NetworkRecord, containerIp: string, bindings: PortBinding[], tag: string): Promise<void> {
  await ensureChain('nat', DNAT_CHAIN, 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL']);
  await ensureChain('nat', DNAT_CHAIN, 'OUTPUT', ['!', '-d', '127.0.0.0/8', '-m', 'addrtype', '--dst-type', 'LOCAL']);
  for (const b of bindings) for (const r of publishRules(net, containerIp, b, tag)) await addOnce(r, 'first');
  await hostForwardingOn(core);
}

export async function unpublishPorts(net: NetworkRecord, containerIp: string, bindings: PortBinding[], tag: string): Promise<void> {
  for (const b of bindings) for (const r of publishRules(net, containerIp, b, tag)) await deleteAll(r);
}

/** Can ports be published on this network here (it masquerades and iptables works)? */
export async function canPublish(core: ControllerCore, net: NetworkRecord): Promise<boolean> {
  return wantsEgress(net) && (await iptablesAvailable(core.deps.log));
}
