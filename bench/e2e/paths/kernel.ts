// Path 2: Linux bridge + kernel VXLAN in each host namespace (VNI 77, UDP 4789, unicast remote),
// a veth from the bridge into the container. The reference the userspace paths are measured against.
import { sh } from '../proc.js';
import { INNER_MTU, UNDERLAY_A, UNDERLAY_B, VNI, VXLAN_PORT, bridgeContainers, type Topology } from '../topology.js';
import type { BenchPath, PathHandle } from './path.js';

export const kernelPath: BenchPath = {
  id: 'kernel',
  label: 'Linux bridge + kernel VXLAN in each host namespace',
  unavailable: () => null,
  async setup(t: Topology): Promise<PathHandle> {
    bridgeContainers(t);
    for (const [host, local, remote] of [
      [t.hostA, UNDERLAY_A, UNDERLAY_B],
      [t.hostB, UNDERLAY_B, UNDERLAY_A],
    ] as const) {
      sh('ip', ['-n', host, 'link', 'add', 'vx77', 'type', 'vxlan', 'id', String(VNI), 'dstport', String(VXLAN_PORT),
        'local', local, 'remote', remote, 'dev', 'ul0']);
      sh('ip', ['-n', host, 'link', 'set', 'vx77', 'mtu', String(INNER_MTU), 'master', 'br0', 'up']);
    }
    return { switches: [], stop: async () => undefined };
  },
};
