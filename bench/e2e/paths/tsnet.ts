// Paths 4 and 5: tsnet's own switch in the foreground (src/cli/switch-main.ts), one per host
// namespace: it listens for VXLAN on the underlay, has the other host as its peer and attaches a TAP
// into its container with the inner address (MTU 1500 like the other paths, not its underlay-derived
// default). `tsnet` runs it with its defaults; `tsnet-poll` with a busy-poll window longer than the
// 2 ms between pings (`--busy-poll 2500`), so it never sleeps while the pings flow: latency for a
// CPU. The harness needs nothing else from it than to keep running and forward frames; readiness is
// judged by an overlay ping.
import { existsSync } from 'node:fs';
import { unavailable } from '../../../src/errors.js';
import { startDaemon, type Daemon } from '../proc.js';
import { INNER_A, INNER_B, INNER_MTU, INNER_PREFIX, UNDERLAY_A, UNDERLAY_B, VNI, VXLAN_PORT, type Topology } from '../topology.js';
import { distFile } from '../where.js';
import type { BenchPath, BusyPollCounters, PathHandle } from './path.js';

// Our choice: the tsnet network name used by the bench.
const NETWORK = 'bench';
// Our choice: how long a switch may take to print its stats line after SIGUSR1.
const STATS_TIMEOUT_MS = 5000;
/** Extra node flags for the switches, e.g. TSNET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
 *  to profile them (node refuses --cpu-prof in NODE_OPTIONS). */
const NODE_ARGS = (process.env.TSNET_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** The V8 flags the `tsnet` command's shebang gives the data-plane processes (src/cli/main.ts): the
 *  bench runs switch-main.js with node directly, so it passes them itself. */
export const DATA_PLANE_NODE_FLAGS = ['--no-memory-reducer'];

export const SWITCH_MAIN = distFile('src', 'cli', 'switch-main.js');

/** Our choice: the tsnet-poll window, longer than the bench's ping interval (PING_INTERVAL_S, 2 ms). */
const POLL_PATH_BUSY_POLL_US = 2500;

function tsnetSwitchPath(id: 'tsnet' | 'tsnet-poll', label: string, extraArgs: readonly string[]): BenchPath {
  return {
    id,
    label,
    unavailable: () => (existsSync(SWITCH_MAIN) ? null : `${SWITCH_MAIN} does not exist yet (build src/cli/switch-main.ts)`),
    async setup(t: Topology): Promise<PathHandle> {
      const sides = [
        { host: 'A' as const, ns: t.hostA, listen: UNDERLAY_A, peer: UNDERLAY_B, container: t.cA, inner: INNER_A },
        { host: 'B' as const, ns: t.hostB, listen: UNDERLAY_B, peer: UNDERLAY_A, container: t.cB, inner: INNER_B },
      ];
      const daemons: Array<Daemon & { host: 'A' | 'B' }> = [];
      for (const s of sides) {
        const d = startDaemon(`${id} switch (host ${s.host})`, 'ip', [
          'netns', 'exec', s.ns, process.execPath, ...DATA_PLANE_NODE_FLAGS, ...NODE_ARGS, SWITCH_MAIN,
          '--network', NETWORK, '--vni', String(VNI), '--listen', `${s.listen}:${VXLAN_PORT}`, '--peer', s.peer,
          '--attach', `${s.container}=${s.inner}/${INNER_PREFIX}`, '--mtu', String(INNER_MTU), ...extraArgs,
        ]);
        daemons.push(Object.assign(d, { host: s.host }));
      }
      return {
        switches: daemons,
        busyPollCounters: () => Promise.all(daemons.map((d) => busyPollCountersOf(d))),
        stop: async () => {
          await Promise.all(daemons.map((d) => d.stop()));
        },
      };
    },
  };
}

const STATS_PREFIX = 'stats ';

function statsLines(d: Daemon): string[] {
  return d.log().split('\n').filter((l) => l.startsWith(STATS_PREFIX) && l.endsWith('}'));
}

/** Asks a switch for its counters (SIGUSR1 prints one `stats {json}` line) and picks the VTEP's
 *  busy-poll ones out of it. */
async function busyPollCountersOf(d: Daemon & { host: 'A' | 'B' }): Promise<BusyPollCounters> {
  const before = statsLines(d).at(-1);
  process.kill(d.pid, 'SIGUSR1');
  const end = Date.now() + STATS_TIMEOUT_MS;
  let line = before;
  while (line === before) {
    if (Date.now() > end || !d.alive()) throw unavailable('EBENCH_STATS', `${d.name} printed no stats line after SIGUSR1: ${d.log().trim().slice(-300)}`);
    await new Promise((r) => setTimeout(r, 20));
    line = statsLines(d).at(-1);
  }
  return busyPollCountersFrom(d.host, (JSON.parse(line!.slice(STATS_PREFIX.length)) as { vtep: { io: AheadCounters } }).vtep.io);
}

/** The VTEP's look-ahead counters as the switch's stats line and `tsnet peers --format json` name them. */
export type AheadCounters = Record<'busyPollAheadHits' | 'busyPollAheadMissHoldoff' | 'busyPollAheadMissUnpredicted' | 'busyPollAheadMissEarly' | 'busyPollAheadMissLate', number>;

export function busyPollCountersFrom(host: 'A' | 'B', c: AheadCounters): BusyPollCounters {
  const bursts = c.busyPollAheadHits + c.busyPollAheadMissHoldoff + c.busyPollAheadMissUnpredicted + c.busyPollAheadMissEarly + c.busyPollAheadMissLate;
  return { host, aheadHits: c.busyPollAheadHits, aheadMissHoldoff: c.busyPollAheadMissHoldoff, aheadBursts: bursts };
}

export const tsnetPath = tsnetSwitchPath('tsnet', 'tsnet userspace switch (TAP in container, VXLAN over the underlay), defaults', []);
export const tsnetPollPath = tsnetSwitchPath(
  'tsnet-poll',
  `the same with \`--busy-poll ${POLL_PATH_BUSY_POLL_US}\` (polls through the gaps between pings: up to a CPU per switch while traffic flows)`,
  ['--busy-poll', String(POLL_PATH_BUSY_POLL_US)],
);
