// Test helper: a real TAP device whose far end is eth0 in a fresh network namespace, with an
// address and up. Both are removed by cleanupAll (helpers/netns.ts).
import { TapDevice } from '../../src/native/tap.js';
import { inNs, ip, makeNetns, onCleanup, uniqueName } from './netns.js';

/** Moves a new TAP into a new namespace as eth0 with `cidr`, up. `quiet` turns IPv6 off there,
 *  so the namespace sends nothing unasked (no router or neighbour solicitations). */
export function tapInNamespace(prefix: string, cidr: string, quiet = false): { tap: TapDevice; ns: string } {
  const ns = makeNetns(prefix);
  const tap = TapDevice.open({ name: uniqueName(prefix) });
  onCleanup(() => tap.close());
  ip('link', 'set', tap.name, 'netns', ns);
  ip('-n', ns, 'link', 'set', tap.name, 'name', 'eth0');
  if (quiet) inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
  ip('-n', ns, 'addr', 'add', cidr, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  return { tap, ns };
}
