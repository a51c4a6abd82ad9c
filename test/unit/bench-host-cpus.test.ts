// The e2e bench's --pin-hosts (bench/e2e/host-cpus.ts): the allowed CPU list is read in the kernel's
// form, split into a first half for host A and the rest for host B, and commands in a container are
// wrapped in taskset only when hosts are pinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onHostCpus, parseCpuList, splitHostCpus } from '../../bench/e2e/host-cpus.js';
import { inContainer, type Topology } from '../../bench/e2e/topology.js';

test('CPU lists with ranges and single CPUs', () => {
  assert.equal(parseCpuList('0-1'), [0, 1]);
  assert.equal(parseCpuList('0,2-4,7\n'), [0, 2, 3, 4, 7]);
  assert.throws(() => parseCpuList('3-1'), /cannot read the CPU list/);
  assert.throws(() => parseCpuList('a'), /cannot read the CPU list/);
});

test('host A gets the first half, host B the rest', () => {
  assert.equal(splitHostCpus('0-1'), { A: '0', B: '1' });
  assert.equal(splitHostCpus('0-3'), { A: '0,1', B: '2,3' });
  assert.equal(splitHostCpus('1,3,5'), { A: '1', B: '3,5' });
  assert.throws(() => splitHostCpus('0'), /needs at least 2 CPUs/);
});

test('container commands go through taskset only when hosts are pinned', () => {
  const t: Topology = { path: 'x', hostA: 'hA', hostB: 'hB', cA: 'cA', cB: 'cB', dir: '/tmp/x' };
  assert.equal(inContainer(t, 'A', 'ping', '-c', '1'), ['netns', 'exec', 'cA', 'ping', '-c', '1']);
  const pinned: Topology = { ...t, cpus: { A: '0', B: '1' } };
  assert.equal(inContainer(pinned, 'B', 'iperf3', '-s'), ['netns', 'exec', 'cB', 'taskset', '-c', '1', 'iperf3', '-s']);
  assert.equal(onHostCpus(undefined, 'A', ['true']), ['true']);
});

test.run();
