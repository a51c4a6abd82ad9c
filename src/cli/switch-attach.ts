// Namespace plumbing for `tsnet switch` (switch-command.ts), done with `ip` child processes so the
// event loop never changes namespace (convention 7): move a TAP into a container namespace as eth0
// with its MAC, MTU and address, roll back on failure; and find the underlay MTU towards a peer so
// the overlay MTU defaults to it minus the VXLAN overhead.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { badRequest, internal, notFound } from '../errors.js';

// ---- from the system ----
const NETNS_DIR = '/var/run/netns';

// ---- our choice ----
const IP_TIMEOUT_MS = 10_000;

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const msg = (stderr || err.message).trim().split('\n')[0];
        reject(internal('EIP_COMMAND', `\`ip ${args.join(' ')}\` failed: ${msg}.`, err));
        return;
      }
      resolve(stdout);
    });
  });
}

export interface AttachSpec {
  /** named network namespace (ip netns) */
  netns: string;
  /** "10.0.42.1/24", or null for no address */
  cidr: string | null;
}

/** Parses "NETNS" or "NETNS=IP/PREFIX". */
export function parseAttach(s: string): AttachSpec {
  const eq = s.indexOf('=');
  const netns = eq < 0 ? s : s.slice(0, eq);
  const cidr = eq < 0 ? null : s.slice(eq + 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(netns)) {
    throw badRequest('EBAD_ATTACH', `"${s}" is not NETNS or NETNS=IP/PREFIX; name a namespace from \`ip netns list\`.`);
  }
  if (cidr !== null) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw badRequest('EBAD_ATTACH', `"${cidr}" is not an IPv4 address with prefix like 10.0.42.1/24.`);
    }
  }
  return { netns, cidr };
}

/** The MAC tsnet gives an interface: 02:42 + its IPv4 address (Docker's scheme), else random local. */
export function macFor(cidr: string | null): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  if (cidr !== null) {
    const o = cidr.split('/')[0].split('.').map(Number);
    return ['02', '42', ...o.map(hex)].join(':');
  }
  const r = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256));
  return ['02', '42', ...r.map(hex)].join(':');
}

/** Moves interface `dev` (in our namespace) into `spec.netns` as `ifname`, sets MAC, MTU, address and
 *  brings it up. On failure the interface is deleted (it is ours) and the error rethrown. */
export async function moveIntoNetns(dev: string, spec: AttachSpec, opts: { ifname: string; mac: string; mtu: number }): Promise<void> {
  if (!existsSync(`${NETNS_DIR}/${spec.netns}`)) {
    throw notFound('ENETNS_NOT_FOUND', `network namespace "${spec.netns}" does not exist; create it with \`ip netns add ${spec.netns}\`.`);
  }
  const ns = spec.netns;
  let moved = false;
  try {
    await ip(['link', 'set', 'dev', dev, 'netns', ns]);
    moved = true;
    await ip(['-n', ns, 'link', 'set', 'dev', dev, 'name', opts.ifname]);
    await ip(['-n', ns, 'link', 'set', 'dev', opts.ifname, 'address', opts.mac, 'mtu', String(opts.mtu)]);
    if (spec.cidr !== null) await ip(['-n', ns, 'addr', 'add', spec.cidr, 'dev', opts.ifname]);
    await ip(['-n', ns, 'link', 'set', 'dev', opts.ifname, 'up']);
  } catch (err) {
    if (moved) {
      await ip(['-n', ns, 'link', 'del', 'dev', opts.ifname]).catch(() => ip(['-n', ns, 'link', 'del', 'dev', dev]).catch(() => ''));
    }
    throw err;
  }
}

/** The MTU of the interface the kernel routes `address` through, or null if there is no route. */
export async function underlayMtuTo(address: string): Promise<number | null> {
  let route: string;
  try {
    route = await ip(['-o', 'route', 'get', address]);
  } catch {
    return null;
  }
  const routeMtu = /\bmtu (\d+)/.exec(route);
  if (routeMtu) return Number(routeMtu[1]);
  const dev = /\bdev (\S+)/.exec(route);
  if (!dev) return null;
  const link = await ip(['-o', 'link', 'show', 'dev', dev[1]]).catch(() => '');
  const m = /\bmtu (\d+)/.exec(link);
  return m ? Number(m[1]) : null;
}
