// `--pin-hosts`: the two emulated hosts on CPUs of their own. Without it the scheduler places every
// process of both "hosts" on any CPU, so on a 2-core machine the two switches of a path often share
// one core while ping spins on the other, and every hop between them waits for a context switch: a
// placement two real hosts never have. With it, host A's switch and everything run in container A
// (ping, prober, iperf3 client) get the first half of the CPUs this process may use, host B's switch
// and container B's servers the second half; the same for every path, tinc included.
import { readFileSync } from 'node:fs';
import { badRequest } from '../../src/errors.js';
import { sh } from './proc.js';

/** CPU lists in taskset's -c form ("0", "2-3"), one per emulated host. */
export interface HostCpus {
  readonly A: string;
  readonly B: string;
}

/** Expands a kernel CPU list ("0-3,8,10-11") into CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [lo, hi = lo] = part.split('-').map(Number);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw badRequest('EBENCH_CPUS', `cannot read the CPU list "${list}".`);
    for (let c = lo; c <= hi; c++) cpus.push(c);
  }
  return cpus;
}

/** Splits the CPUs this process may run on into two halves, host A's first. */
export function splitHostCpus(allowedList = allowedCpuList()): HostCpus {
  const cpus = parseCpuList(allowedList);
  if (cpus.length < 2) throw badRequest('EBENCH_CPUS', `--pin-hosts needs at least 2 CPUs; this process may use ${cpus.length}.`);
  const half = Math.floor(cpus.length / 2);
  return { A: cpus.slice(0, half).join(','), B: cpus.slice(half).join(',') };
}

function allowedCpuList(): string {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw badRequest('EBENCH_CPUS', 'cannot read Cpus_allowed_list from /proc/self/status.');
  return m[1];
}

/** argv run on the host's CPUs when hosts are pinned, unchanged otherwise. */
export function onHostCpus(cpus: HostCpus | undefined, host: 'A' | 'B', argv: readonly string[]): string[] {
  return cpus ? ['taskset', '-c', cpus[host], ...argv] : [...argv];
}

/** Moves every thread of a running process onto the host's CPUs (threads it starts later inherit them). */
export function pinProcess(cpus: HostCpus, host: 'A' | 'B', pid: number): void {
  sh('taskset', ['-a', '-p', '-c', cpus[host], String(pid)]);
}
