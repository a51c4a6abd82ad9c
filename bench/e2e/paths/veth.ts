// Path 1, the floor: a veth pair straight from cA to cB, no host namespace, no switch at all.
import { sh } from '../proc.js';
import { INNER_A, INNER_B, INNER_MTU, addressContainer, type Topology } from '../topology.js';
import type { BenchPath, PathHandle } from './path.js';

export const vethPath: BenchPath = {
  id: 'veth',
  label: 'veth pair directly between the containers (floor)',
  unavailable: () => null,
  async setup(t: Topology): Promise<PathHandle> {
    sh('ip', ['-n', t.cA, 'link', 'add', 'eth0', 'mtu', String(INNER_MTU), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', t.cB]);
    addressContainer(t.cA, 'eth0', INNER_A);
    addressContainer(t.cB, 'eth0', INNER_B);
    return { switches: [], stop: async () => undefined };
  },
};
