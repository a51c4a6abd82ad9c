// The namespaces of one benchmark path (bench/e2e/run.ts builds one per path): two "host" namespaces
// joined by a veth underlay, and two "container" namespaces cA and cB whose inner addresses the
// measurements use. How the containers reach each other is the path's business (bench/e2e/paths/).
// Everything is created inside namespaces we made, so deleting the namespaces removes every link.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onHostCpus, type HostCpus } from './host-cpus.js';
import { onCleanup, sh, trySh } from './proc.js';

// From the spec: IANA VXLAN port (RFC 7348 section 5).
export const VXLAN_PORT = 4789;

// Our choice: addresses, VNI and MTUs of the bench topology.
export const VNI = 77;
export const UNDERLAY_A = '10.201.0.1';
export const UNDERLAY_B = '10.201.0.2';
export const UNDERLAY_PREFIX = 24;
export const INNER_A = '10.0.77.1';
export const INNER_B = '10.0.77.2';
export const INNER_PREFIX = 24;
/** Containers keep the usual 1500; the underlay is larger so no path has to fragment its encapsulation. */
export const INNER_MTU = 1500;
export const UNDERLAY_MTU = 1600;

export interface Topology {
  /** Short path id used in names (veth, kernel, tinc, tsnet). */
  readonly path: string;
  readonly hostA: string;
  readonly hostB: string;
  readonly cA: string;
  readonly cB: string;
  /** A private temp dir for config files and keys, removed at cleanup. */
  readonly dir: string;
  /** With --pin-hosts: the CPUs of each host (its switch and its container's processes). */
  readonly cpus?: HostCpus;
}

/** `ip` arguments that run argv in container A or B (on that host's CPUs with --pin-hosts). */
export function inContainer(t: Topology, host: 'A' | 'B', ...argv: string[]): string[] {
  return ['netns', 'exec', host === 'A' ? t.cA : t.cB, ...onHostCpus(t.cpus, host, argv)];
}

/** Namespace name prefix shared by every namespace of this run (pid keeps parallel runs apart). */
export function runTag(): string {
  return `tsb${process.pid.toString(36)}`;
}

function addNetns(name: string): void {
  sh('ip', ['netns', 'add', name]);
  onCleanup(() => trySh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Creates hostA, hostB (with the underlay veth and addresses) and empty container namespaces. */
export function makeTopology(path: string, cpus?: HostCpus): Topology {
  const base = `${runTag()}-${path}`;
  const dir = mkdtempSync(join(tmpdir(), `${base}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const t: Topology = { path, hostA: `${base}-hA`, hostB: `${base}-hB`, cA: `${base}-cA`, cB: `${base}-cB`, dir, ...(cpus ? { cpus } : {}) };
  for (const ns of [t.hostA, t.hostB, t.cA, t.cB]) addNetns(ns);
  const mtu = String(UNDERLAY_MTU);
  sh('ip', ['-n', t.hostA, 'link', 'add', 'ul0', 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', t.hostB, 'mtu', mtu]);
  sh('ip', ['-n', t.hostA, 'addr', 'add', `${UNDERLAY_A}/${UNDERLAY_PREFIX}`, 'dev', 'ul0']);
  sh('ip', ['-n', t.hostB, 'addr', 'add', `${UNDERLAY_B}/${UNDERLAY_PREFIX}`, 'dev', 'ul0']);
  sh('ip', ['-n', t.hostA, 'link', 'set', 'ul0', 'up']);
  sh('ip', ['-n', t.hostB, 'link', 'set', 'ul0', 'up']);
  return t;
}

/** Gives a container namespace its inner address on `dev` and brings it up. */
export function addressContainer(ns: string, dev: string, addr: string): void {
  sh('ip', ['-n', ns, 'addr', 'add', `${addr}/${INNER_PREFIX}`, 'dev', dev]);
  sh('ip', ['-n', ns, 'link', 'set', dev, 'mtu', String(INNER_MTU), 'up']);
}

/**
 * Makes a bridge br0 in each host namespace with a veth c0 <-> eth0 into that host's container,
 * addressed INNER_A / INNER_B. Paths that switch in the host namespace attach their device to br0.
 */
export function bridgeContainers(t: Topology): void {
  for (const [host, c, addr] of [
    [t.hostA, t.cA, INNER_A],
    [t.hostB, t.cB, INNER_B],
  ] as const) {
    sh('ip', ['-n', host, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', host, 'link', 'set', 'br0', 'up']);
    sh('ip', ['-n', host, 'link', 'add', 'c0', 'mtu', String(INNER_MTU), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
    sh('ip', ['-n', host, 'link', 'set', 'c0', 'master', 'br0', 'up']);
    addressContainer(c, 'eth0', addr);
  }
}
