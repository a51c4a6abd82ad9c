// Namespace plumbing for sandboxes and endpoints: named network namespaces, resolving what the user
// gave as a sandbox target, moving a link into a namespace under a new name (eth0...), configuring it
// (MAC, MTU, addresses, up), default routes, listing and deleting links. Every call is an `ip`/`nsenter`
// child process (convention 7, see netns-exec.ts); multi-step operations undo what they did when a
// later step fails, as libnetwork's osl/ does. Used by the endpoint and sandbox code of the controller.
import { promises as fsp } from 'node:fs';
import { badRequest, conflict, notFound, TsnetError } from '../errors.js';
import { type NsRef, describeNs, execProgram, foldError, runIp, runIpJson } from './netns-exec.js';

export { writeNetnsEtc, removeNetnsEtc, NETNS_ETC_DIR } from './netns-etc.js';
export type { NsRef } from './netns-exec.js';

// --- from iproute2 (ip/ipnetns.c NETNS_RUN_DIR) ---
export const NETNS_RUN_DIR = '/var/run/netns';

// --- our choice ---
/** What `ip netns add` accepts and is safe in a path: no slash, not "." or "..". */
const NETNS_NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;
/** Linux IFNAMSIZ is 16 including the terminating NUL. */
const IFNAME_RE = /^[^\s/:]{1,15}$/;

export interface NetnsTarget {
  /** A path that opens the namespace (/var/run/netns/NAME, /proc/PID/ns/net, a bind mount...). */
  path: string;
  /** Set when it is a named namespace (`ip netns list`). */
  name?: string;
}

/** The NsRef that netns-exec commands take for a resolved target. */
export function nsRefOf(t: NetnsTarget): NsRef {
  return t.name ?? t.path;
}

function checkNetnsName(name: string): void {
  if (!NETNS_NAME_RE.test(name)) {
    throw badRequest('ENETNS_INVALID', `invalid namespace name "${name}": use up to 64 letters, digits, '.', '_' or '-'.`);
  }
}

function checkIfName(name: string): void {
  if (!IFNAME_RE.test(name)) throw badRequest('ELINK_INVALID_NAME', `invalid interface name "${name}": use 1 to 15 characters without spaces, '/' or ':'.`);
}

export async function namedNetnsExists(name: string): Promise<boolean> {
  checkNetnsName(name);
  return fsp.access(`${NETNS_RUN_DIR}/${name}`).then(
    () => true,
    () => false,
  );
}

/** Creates /var/run/netns/NAME with loopback up, unless it exists. Returns its target. */
export async function ensureNamedNetns(name: string): Promise<NetnsTarget> {
  checkNetnsName(name);
  const target = { path: `${NETNS_RUN_DIR}/${name}`, name };
  if (await namedNetnsExists(name)) return target;
  await runIp(null, ['netns', 'add', name], `creating network namespace ${name}`, 'ENETNS_CREATE');
  try {
    await runIp(name, ['link', 'set', 'dev', 'lo', 'up'], 'bringing loopback up', 'ENETNS_CREATE');
  } catch (err) {
    await runIp(null, ['netns', 'del', name], `removing network namespace ${name}`).catch(() => undefined);
    throw err;
  }
  return target;
}

/** Deletes a named namespace; false if it did not exist. */
export async function deleteNamedNetns(name: string): Promise<boolean> {
  if (!(await namedNetnsExists(name))) return false;
  await runIp(null, ['netns', 'del', name], `deleting network namespace ${name}`, 'ENETNS_DELETE');
  return true;
}

/**
 * What a user gave as a sandbox's namespace: a name from `ip netns list`, /proc/PID/ns/net, or any
 * path to a namespace file (a bind mount such as Docker's /var/run/docker/netns/ID).
 */
export async function resolveNetnsTarget(arg: string): Promise<NetnsTarget> {
  if (!arg.includes('/')) {
    checkNetnsName(arg);
    if (!(await namedNetnsExists(arg))) {
      throw notFound('ENETNS_NOT_FOUND', `network namespace ${arg} does not exist: create it with "ip netns add ${arg}" or give /proc/PID/ns/net.`);
    }
    return { path: `${NETNS_RUN_DIR}/${arg}`, name: arg };
  }
  if (!arg.startsWith('/')) throw badRequest('ENETNS_INVALID', `network namespace path ${arg} must be absolute (like /proc/1234/ns/net).`);
  try {
    await fsp.access(arg);
  } catch {
    throw notFound('ENETNS_NOT_FOUND', `network namespace path ${arg} does not exist: is the process still running?`);
  }
  try {
    // setns(2) accepts only namespace files; this fails with EINVAL for anything else.
    await execProgram('nsenter', [`--net=${arg}`, 'true']);
  } catch (err) {
    const e = foldError(err, `checking ${arg}`, 'ENETNS_INVALID');
    if (e.code === 'ETOOL_MISSING' || e.category === 'forbidden') throw e;
    throw badRequest('ENETNS_INVALID', `${arg} is not a network namespace: give a name from "ip netns list", /proc/PID/ns/net or a bind-mounted namespace file.`);
  }
  const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(arg);
  return m ? { path: arg, name: m[1]! } : { path: arg };
}

/** A path naming the daemon's own namespace from any child process (for moving links back). */
function selfNsPath(): string {
  return `/proc/${process.pid}/ns/net`;
}

/** The `netns` argument of `ip link set` for a NsRef (names and paths are both understood by ip). */
function netnsArg(ns: NsRef): string {
  return ns ?? selfNsPath();
}

/**
 * Moves `link` from `fromNs` into `toNs`, renaming it to `newName` in the same netlink request
 * (`ip link set dev L netns NS name NEW`), so there is no moment with a clashing name.
 */
export async function moveLinkIntoNetns(link: string, fromNs: NsRef, toNs: NsRef, newName = link): Promise<void> {
  checkIfName(link);
  checkIfName(newName);
  await runIp(fromNs, ['link', 'set', 'dev', link, 'netns', netnsArg(toNs), 'name', newName], `moving ${link} into ${describeNs(toNs)} as ${newName}`, 'ELINK_MOVE');
}

export interface LinkConfig {
  ns: NsRef;
  name: string;
  mac?: string;
  mtu?: number;
  /** CIDRs, e.g. ['172.19.0.2/16']. */
  addresses?: string[];
  up?: boolean;
}

interface IpAddrJson {
  ifname: string;
  ifindex: number;
  mtu: number;
  address?: string;
  flags: string[];
  operstate?: string;
  link_type?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

export interface LinkInfo {
  name: string;
  index: number;
  mtu: number;
  mac?: string;
  up: boolean;
  operstate?: string;
  type?: string;
  /** CIDRs of the link (only from listAddresses). */
  addresses: string[];
}

function toLinkInfo(j: IpAddrJson): LinkInfo {
  return {
    name: j.ifname,
    index: j.ifindex,
    mtu: j.mtu,
    ...(j.address ? { mac: j.address } : {}),
    up: j.flags.includes('UP'),
    ...(j.operstate ? { operstate: j.operstate } : {}),
    ...(j.link_type ? { type: j.link_type } : {}),
    addresses: (j.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

export async function listLinks(ns: NsRef): Promise<LinkInfo[]> {
  return (await runIpJson<IpAddrJson>(ns, ['link', 'show'], 'listing links', 'ELINK_LIST')).map(toLinkInfo);
}

/** Links with their addresses (`ip -j addr show [dev NAME]`). */
export async function listAddresses(ns: NsRef, name?: string): Promise<LinkInfo[]> {
  const args = name ? ['addr', 'show', 'dev', name] : ['addr', 'show'];
  return (await runIpJson<IpAddrJson>(ns, args, 'listing addresses', 'ELINK_LIST')).map(toLinkInfo);
}

export async function linkExists(ns: NsRef, name: string): Promise<boolean> {
  try {
    await runIp(ns, ['link', 'show', 'dev', name], `looking up ${name}`, 'ELINK_LIST');
    return true;
  } catch (err) {
    if (err instanceof TsnetError && err.category === 'not-found') return false;
    throw err;
  }
}

/** Deletes a link; false if it did not exist. */
export async function deleteLink(ns: NsRef, name: string): Promise<boolean> {
  try {
    await runIp(ns, ['link', 'del', 'dev', name], `deleting ${name}`, 'ELINK_DELETE');
    return true;
  } catch (err) {
    if (err instanceof TsnetError && err.category === 'not-found') return false;
    throw err;
  }
}

/**
 * Sets MAC, MTU, addresses and up state of a link, in that order. If a step fails, the steps already
 * done are undone (addresses removed, MTU and MAC restored, link set down again) and the error thrown.
 */
export async function configureLink(cfg: LinkConfig): Promise<void> {
  const { ns, name } = cfg;
  const before = (await listAddresses(ns, name))[0];
  if (!before) throw notFound('ELINK_NOT_FOUND', `link ${name} does not exist in ${describeNs(ns)}.`);
  const undo: Array<() => Promise<unknown>> = [];
  const step = (args: string[], what: string) => runIp(ns, args, what, 'ELINK_CONFIG');
  try {
    if (cfg.mac && cfg.mac.toLowerCase() !== before.mac) {
      await step(['link', 'set', 'dev', name, 'address', cfg.mac], `setting MAC ${cfg.mac} on ${name}`);
      if (before.mac) undo.push(() => step(['link', 'set', 'dev', name, 'address', before.mac!], 'restoring the MAC'));
    }
    if (cfg.mtu !== undefined && cfg.mtu !== before.mtu) {
      await step(['link', 'set', 'dev', name, 'mtu', String(cfg.mtu)], `setting MTU ${cfg.mtu} on ${name}`);
      undo.push(() => step(['link', 'set', 'dev', name, 'mtu', String(before.mtu)], 'restoring the MTU'));
    }
    for (const cidr of cfg.addresses ?? []) {
      if (before.addresses.includes(cidr)) continue;
      await step(['addr', 'add', cidr, 'dev', name], `adding address ${cidr} to ${name}`);
      undo.push(() => step(['addr', 'del', cidr, 'dev', name], `removing address ${cidr}`));
    }
    if (cfg.up !== undefined && cfg.up !== before.up) {
      await step(['link', 'set', 'dev', name, cfg.up ? 'up' : 'down'], `setting ${name} ${cfg.up ? 'up' : 'down'}`);
      undo.push(() => step(['link', 'set', 'dev', name, before.up ? 'up' : 'down'], 'restoring the link state'));
    }
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    throw err;
  }
}

export interface AttachLinkOptions extends Omit<LinkConfig, 'ns' | 'name'> {
  /** The link's current name and namespace. */
  link: string;
  fromNs: NsRef;
  /** Where it goes and under which name (eth0, eth1...). */
  toNs: NsRef;
  name: string;
  /** When set, `default via gateway dev name` is installed (replacing any default route). */
  defaultGateway?: string;
}

/**
 * Moves a link into a sandbox and configures it; on any failure the link is moved back to `fromNs`
 * under its old name (or deleted if even that fails), so no half-configured link is left behind.
 */
export async function attachLink(o: AttachLinkOptions): Promise<void> {
  await moveLinkIntoNetns(o.link, o.fromNs, o.toNs, o.name);
  try {
    await configureLink({ ns: o.toNs, name: o.name, ...(o.mac ? { mac: o.mac } : {}), ...(o.mtu !== undefined ? { mtu: o.mtu } : {}), ...(o.addresses ? { addresses: o.addresses } : {}), ...(o.up !== undefined ? { up: o.up } : {}) });
    if (o.defaultGateway) await setDefaultRoute(o.toNs, o.defaultGateway, o.name);
  } catch (err) {
    try {
      await moveLinkIntoNetns(o.name, o.toNs, o.fromNs, o.link);
    } catch {
      await deleteLink(o.toNs, o.name).catch(() => undefined);
    }
    throw err;
  }
}

/** Installs (or replaces) the default route of `ns`: `default via gateway dev dev`. */
export async function setDefaultRoute(ns: NsRef, gateway: string, dev: string): Promise<void> {
  await runIp(ns, ['route', 'replace', 'default', 'via', gateway, 'dev', dev], `setting the default route via ${gateway} dev ${dev}`, 'EROUTE');
}

/** Removes the IPv4 default route of `ns`; false if there was none. */
export async function deleteDefaultRoute(ns: NsRef): Promise<boolean> {
  const routes = await runIpJson<{ dst: string }>(ns, ['-4', 'route', 'show', 'default'], 'reading the default route', 'EROUTE');
  if (routes.length === 0) return false;
  await runIp(ns, ['-4', 'route', 'del', 'default'], 'removing the default route', 'EROUTE');
  return true;
}

/** Renames a link inside a namespace (down first, as the kernel requires for a running link). */
export async function renameLink(ns: NsRef, from: string, to: string): Promise<void> {
  checkIfName(to);
  const links = await listLinks(ns);
  const link = links.find((l) => l.name === from);
  if (!link) throw notFound('ELINK_NOT_FOUND', `link ${from} does not exist in ${describeNs(ns)}.`);
  if (links.some((l) => l.name === to)) throw conflict('ELINK_EXISTS', `a link named ${to} already exists in ${describeNs(ns)}.`);
  if (link.up) await runIp(ns, ['link', 'set', 'dev', from, 'down'], `setting ${from} down`, 'ELINK_CONFIG');
  await runIp(ns, ['link', 'set', 'dev', from, 'name', to], `renaming ${from} to ${to}`, 'ELINK_CONFIG');
  if (link.up) await runIp(ns, ['link', 'set', 'dev', to, 'up'], `setting ${to} up`, 'ELINK_CONFIG');
}
