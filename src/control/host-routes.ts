// Reads the routes of a network namespace (the daemon's own by default) with `ip -j route show table
// all`, and returns their destinations as CIDRs so the IPAM can avoid subnets the host already reaches
// (Docker's netutils.CheckRouteOverlaps). Default routes are left out; host routes get /32 or /128.
// Used by the network manager before `allocateSubnet` / `createPool`.
import { type NsRef, runIpJson } from './netns-exec.js';

interface IpRouteJson {
  type?: string;
  dst?: string;
}

// --- our choice ---
/** Route types that do not say "this subnet is reachable from here". */
const IGNORED_TYPES = new Set(['broadcast', 'multicast', 'anycast', 'unreachable', 'prohibit', 'blackhole', 'throw']);

/** Routes of `ns` (all tables) as CIDR strings, deduplicated, without default routes. */
export async function readHostRoutes(ns: NsRef = null, family: 4 | 6 | 'all' = 4): Promise<string[]> {
  const families = family === 'all' ? ([4, 6] as const) : ([family] as const);
  const out = new Set<string>();
  for (const f of families) {
    const routes = await runIpJson<IpRouteJson>(ns, [`-${f}`, 'route', 'show', 'table', 'all'], 'reading the routes', 'EHOST_ROUTES');
    for (const r of routes) {
      if (!r.dst || r.dst === 'default' || (r.type && IGNORED_TYPES.has(r.type))) continue;
      const cidr = r.dst.includes('/') ? r.dst : `${r.dst}/${f === 4 ? 32 : 128}`;
      if (cidr === '0.0.0.0/0' || cidr === '::/0') continue;
      if (f === 6 && cidr.toLowerCase().startsWith('fe80:')) continue; // link-local, on every interface
      out.add(cidr);
    }
  }
  return [...out];
}
