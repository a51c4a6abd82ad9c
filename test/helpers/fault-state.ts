// Consistency check of a running test daemon after faults (test/integration/fault-*.test.ts): reads the
// daemon's state.json and the kernel's view (links, addresses, namespaces) and lists every way they
// disagree. Empty list = consistent: no pending records; every network's host port exists; every
// endpoint's interface exists in its sandbox's namespace, is a TAP, and has the endpoint's address;
// no orphan `ts-*` host ports nor TAPs in our namespaces; no namespace with the daemon's prefix that the
// state does not know; IPAM holds each endpoint's address exactly once and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trySh } from './netns.js';
import type { TestDaemon } from './daemon.js';

interface Link {
  ifname: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

interface SavedState {
  networks: Array<{ id: string; name: string; hostIfName: string; pending?: boolean; pool: { allocated: string[] }; ipam: { gateway: string } }>;
  endpoints: Array<{ id: string; networkId: string; sandboxId: string; ifName: string; ipv4: string; prefixLen: number; pending?: boolean }>;
  sandboxes: Array<{ id: string; name: string; netnsName: string | null; external: boolean; pending?: boolean }>;
}

function links(ns: string): Link[] {
  const r = trySh('ip', ['-n', ns, '-d', '-j', 'addr', 'show']);
  if (r.status !== 0) return [];
  return JSON.parse(r.stdout || '[]') as Link[];
}

export function readSavedState(d: TestDaemon): SavedState {
  return JSON.parse(readFileSync(join(d.stateDir, 'state.json'), 'utf8')) as SavedState;
}

/** Every inconsistency between the daemon's saved state and the kernel, as sentences. */
export function stateProblems(d: TestDaemon): string[] {
  const st = readSavedState(d);
  const problems: string[] = [];
  for (const kind of ['networks', 'endpoints', 'sandboxes'] as const) {
    for (const x of st[kind] as Array<{ id: string; pending?: boolean }>) if (x.pending) problems.push(`${kind} record ${x.id.slice(0, 12)} is still pending`);
  }
  // host ports
  const hostTaps = links(d.hostNs).filter((l) => l.linkinfo?.info_kind === 'tun' && l.ifname.startsWith('ts-'));
  const ports = new Set(st.networks.map((n) => n.hostIfName));
  for (const l of hostTaps) if (!ports.has(l.ifname)) problems.push(`orphan host port ${l.ifname}`);
  for (const n of st.networks) if (!hostTaps.some((l) => l.ifname === n.hostIfName)) problems.push(`network ${n.name} lost its host port ${n.hostIfName}`);
  // namespaces
  const ours = trySh('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(d.prefix));
  const known = new Set(st.sandboxes.map((s) => s.netnsName).filter((n): n is string => !!n));
  for (const ns of ours) if (!known.has(ns)) problems.push(`leftover namespace ${ns} that no container owns`);
  for (const s of st.sandboxes) {
    if (s.external || !s.netnsName) continue;
    if (!ours.includes(s.netnsName)) problems.push(`container ${s.name} has no namespace ${s.netnsName}`);
    const eps = st.endpoints.filter((e) => e.sandboxId === s.id);
    const taps = links(s.netnsName).filter((l) => l.linkinfo?.info_kind === 'tun');
    for (const t of taps) if (!eps.some((e) => e.ifName === t.ifname)) problems.push(`orphan interface ${t.ifname} in ${s.name}`);
    for (const e of eps) {
      const l = taps.find((t) => t.ifname === e.ifName);
      if (!l) problems.push(`endpoint ${e.ipv4} of ${s.name} has no interface ${e.ifName}`);
      else if (!l.addr_info?.some((a) => a.family === 'inet' && a.local === e.ipv4 && a.prefixlen === e.prefixLen)) {
        problems.push(`${s.name} ${e.ifName} lacks its address ${e.ipv4}/${e.prefixLen}`);
      }
    }
  }
  for (const e of st.endpoints) if (!st.sandboxes.some((s) => s.id === e.sandboxId)) problems.push(`endpoint ${e.ipv4} belongs to no container`);
  // IPAM: exactly the endpoints' addresses, each once
  for (const n of st.networks) {
    const alloc = n.pool.allocated;
    if (new Set(alloc).size !== alloc.length) problems.push(`network ${n.name} has an address allocated twice: ${alloc.join(' ')}`);
    const used = st.endpoints.filter((e) => e.networkId === n.id).map((e) => e.ipv4);
    for (const a of used) if (!alloc.includes(a)) problems.push(`network ${n.name}: endpoint address ${a} is not allocated`);
    for (const a of alloc) if (!used.includes(a)) problems.push(`network ${n.name}: address ${a} leaked (allocated, no endpoint)`);
    if (new Set(used).size !== used.length) problems.push(`network ${n.name}: two endpoints share an address`);
  }
  return problems;
}
