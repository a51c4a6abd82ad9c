// An underlay for multi-host tests: a "switch" namespace holding a Linux bridge, and N host
// namespaces each joined to it by a veth with an address 10.210.0.(i+1)/24 on `ul0` (or, with
// `ipv6`, only fd00:210::(i+1)/64, no IPv4 at all). Everything is
// removed by cleanupAll (deleting a namespace deletes its veth ends).
import { ip, makeNetns, uniqueName } from './netns.js';

export interface Underlay {
  switchNs: string;
  hosts: Array<{ ns: string; address: string }>;
}

export function makeUnderlay(count: number, opts: { mtu?: number; subnet?: string; ipv6?: boolean } = {}): Underlay {
  const base = opts.subnet ?? '10.210.0';
  const switchNs = makeNetns('tsw');
  ip('-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', switchNs, 'link', 'set', 'br0', 'up');
  const hosts: Underlay['hosts'] = [];
  for (let i = 0; i < count; i++) {
    const ns = makeNetns('thst');
    const a = uniqueName('ula');
    const address = opts.ipv6 ? `fd00:210::${i + 1}` : `${base}.${i + 1}`;
    ip('link', 'add', a, 'netns', switchNs, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns);
    ip('-n', switchNs, 'link', 'set', a, 'master', 'br0', 'up');
    if (opts.mtu) {
      ip('-n', switchNs, 'link', 'set', a, 'mtu', String(opts.mtu));
      ip('-n', ns, 'link', 'set', 'ul0', 'mtu', String(opts.mtu));
    }
    if (opts.ipv6) ip('-n', ns, 'addr', 'add', `${address}/64`, 'dev', 'ul0', 'nodad');
    else ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'ul0');
    ip('-n', ns, 'link', 'set', 'ul0', 'up');
    hosts.push({ ns, address });
  }
  return { switchNs, hosts };
}
