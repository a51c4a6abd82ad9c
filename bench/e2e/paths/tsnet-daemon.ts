// Paths 7 and 8: the full tsnet daemon, as users run it, instead of `tsnet switch` alone. One `tsnet
// daemon` per host namespace (own state dir and API socket in the path's temp dir), an overlay network
// with the other host as static peer (`network create -d overlay -o vni=77 --peer ...`; VNI, MTU and
// subnet as the other paths, the gateway at .254), and the bench's existing container namespaces
// connected to it at the bench's addresses (`network connect --ip`). The daemon runs the API, the
// controller and the name server next to the data plane, with its defaults; no discovery (libp2p):
// bench/daemon-overlay-ping.ts measures a cluster. `tsnet-daemon-sealed` makes the network encrypted
// (`-o encrypted -o key-file=PATH`, ChaCha20-Poly1305 on every VXLAN payload, one random key file for both
// hosts): the like-for-like comparison with tinc and its default cipher and digest.
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { unavailable } from '../../../src/errors.js';
import { AEAD_KEY_LEN } from '../../../src/dataplane/overlay-crypto.js';
import { runOk, startDaemon, type Daemon } from '../proc.js';
import { INNER_A, INNER_B, INNER_MTU, INNER_PREFIX, UNDERLAY_A, UNDERLAY_B, VNI, type Topology } from '../topology.js';
import { distFile } from '../where.js';
import type { BenchPath, BusyPollCounters, PathHandle } from './path.js';
import { DATA_PLANE_NODE_FLAGS, busyPollCountersFrom, type AheadCounters } from './tsnet.js';

const CLI_MAIN = distFile('src', 'cli', 'main.js');
// Our choice: the network's name, its gateway (an address no container of the bench uses) and how
// long a daemon may take to open its API socket.
const NETWORK = 'bench';
const GATEWAY_HOST = 254;
const READY_TIMEOUT_MS = 20_000;

function subnetOf(address: string, last: number): string {
  return `${address.split('.').slice(0, 3).join('.')}.${last}`;
}

function tsnetDaemonPathOf(id: 'tsnet-daemon' | 'tsnet-daemon-sealed', label: string, sealed: boolean): BenchPath {
  return {
    id,
    label,
    unavailable: () => (existsSync(CLI_MAIN) ? null : `${CLI_MAIN} does not exist yet (npm run build)`),
    async setup(t: Topology): Promise<PathHandle> {
      // the key file holds the network key in base64 (src/control/encryption.ts)
      const keyFile = join(t.dir, 'network.key');
      if (sealed) writeFileSync(keyFile, randomBytes(AEAD_KEY_LEN).toString('base64') + '\n', { mode: 0o600 });
      const sealOptions = sealed ? ['-o', 'encrypted', '-o', `key-file=${keyFile}`] : [];
      const sides = [
        { host: 'A' as const, ns: t.hostA, peer: UNDERLAY_B, container: t.cA, inner: INNER_A },
        { host: 'B' as const, ns: t.hostB, peer: UNDERLAY_A, container: t.cB, inner: INNER_B },
      ];
      const daemons: Array<Daemon & { host: 'A' | 'B'; cli: (...args: string[]) => Promise<string> }> = [];
      const stop = async () => {
        await Promise.all(daemons.map((d) => d.stop()));
      };
      try {
        for (const s of sides) {
          const dir = join(t.dir, `daemon${s.host}`);
          const socket = join(dir, 'tsnet.sock');
          const d = startDaemon(`tsnet daemon (host ${s.host})`, 'ip', [
            'netns', 'exec', s.ns, process.execPath, ...DATA_PLANE_NODE_FLAGS, CLI_MAIN, 'daemon',
            '--state-dir', join(dir, 'state'), '--socket', socket, '--netns-prefix', `${t.path}${s.host}-`,
          ]);
          const cli = (...args: string[]) => runOk(process.execPath, [CLI_MAIN, '--host', socket, ...args], READY_TIMEOUT_MS);
          daemons.push(Object.assign(d, { host: s.host, cli }));
          await d.waitForOutput(/daemon listening on/, READY_TIMEOUT_MS);
          await cli('network', 'create', '-d', 'overlay', '-o', `vni=${VNI}`, '-o', `mtu=${INNER_MTU}`, ...sealOptions, '--peer', s.peer,
            '--subnet', `${subnetOf(s.inner, 0)}/${INNER_PREFIX}`, '--gateway', subnetOf(s.inner, GATEWAY_HOST), NETWORK);
          await cli('network', 'connect', '--ip', s.inner, NETWORK, s.container);
        }
      } catch (err) {
        await stop();
        throw err instanceof Error ? unavailable('EBENCH_DAEMON', `the tsnet daemon path could not be set up: ${err.message}`) : err;
      }
      return { switches: daemons, busyPollCounters: () => Promise.all(daemons.map((d) => busyPollCountersOf(d.host, d.cli))), stop };
    },
  };
}

export const tsnetDaemonPath = tsnetDaemonPathOf(
  'tsnet-daemon',
  'the tsnet daemon (API, controller, name server and data plane; defaults), a static-peer overlay network, the containers connected to it',
  false,
);
export const tsnetDaemonSealedPath = tsnetDaemonPathOf(
  'tsnet-daemon-sealed',
  'the same with the network encrypted (`-o encrypted -o key-file=...`: ChaCha20-Poly1305 from libsodium on every VXLAN payload), against tinc with its cipher',
  true,
);

/** The VTEP's busy-poll look-ahead counters from `tsnet peers NETWORK --format json` (its underlay part). */
async function busyPollCountersOf(host: 'A' | 'B', cli: (...args: string[]) => Promise<string>): Promise<BusyPollCounters> {
  const u = (JSON.parse(await cli('peers', NETWORK, '--format', 'json')) as { underlay?: AheadCounters }).underlay;
  if (!u) throw unavailable('EBENCH_STATS', `tsnet peers ${NETWORK} on host ${host} shows no underlay counters.`);
  return busyPollCountersFrom(host, u);
}
