// Overlay ping between containers of two full tsnet daemons (discovery over libp2p on, as users run
// them), where bench/e2e measures `tsnet switch` alone. Two host namespaces on a bridged underlay
// (test/helpers/underlay.ts), one daemon in each joined into a cluster (test/helpers/daemon.ts), a
// global overlay network and one container per host; after WARM warm-up pings it reports ROUNDS
// rounds of COUNT pings at 2 ms (p50 ... max), then each host's underlay line of `tsnet peers`
// (how many pings found its data plane polling, and why the others did not). It shows what the
// daemon's other work (discovery, API, controller) costs the data plane. Run as root after `npm run build`:
//   node dist/bench/daemon-overlay-ping.js     (env COUNT, WARM, ROUNDS)
import { existsSync } from 'node:fs';
import { makeUnderlay } from '../test/helpers/underlay.js';
import { cleanupAll } from '../test/helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/until.js';
import { percentileSorted } from './e2e/stats.js';

// Our choice: the counts of bench/e2e (2000 pings at 2 ms, 4000 warm-up) and the V8 flags of the
// `tsnet` command's shebang (src/cli/main.ts).
const COUNT = Number(process.env.COUNT ?? 2000);
const WARM = Number(process.env.WARM ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PING_INTERVAL_S = '0.002';
const NODE_FLAGS = ['--no-memory-reducer'];

async function main(): Promise<void> {
  const ul = makeUnderlay(2, { subnet: '10.218.0' });
  const [a, b] = ul.hosts;
  const hosts: TestDaemon[] = [];
  try {
    hosts.push(await startTestDaemon({ hostNs: a!.ns, nodeArgs: NODE_FLAGS, extraArgs: ['--advertise', a!.address, '--listen', `${a!.address}:7946`] }));
    hosts.push(await startTestDaemon({ hostNs: b!.ns, nodeArgs: NODE_FLAGS, extraArgs: ['--advertise', b!.address, '--listen', `${b!.address}:7946`, '--join', `${a!.address}:7946`] }));
    const [h1, h2] = hosts as [TestDaemon, TestDaemon];
    await until('the two hosts to see each other', () => /\(up,/.test(h1.ok('info')), 60_000);
    h1.ok('network', 'create', 'pingnet');
    await until('pingnet on host 2', () => h2.ok('network', 'ls').includes('pingnet'), 60_000);
    h1.ok('run', '-d', '--name', 'srv', '--net', 'pingnet', '--', 'sleep', 'infinity');
    h2.ok('run', '-d', '--name', 'cli', '--net', 'pingnet', '--', 'sleep', 'infinity');
    const inspect = JSON.parse(h1.ok('inspect', 'srv')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    const target = inspect[0]!.NetworkSettings.Networks.pingnet!.IPAddress;
    const ping = (n: number) => h2.inContainer('cli', 'ping', ['-i', PING_INTERVAL_S, '-c', String(n), '-W', '1', target], 120_000);
    await until('a first overlay ping', () => ping(1).status === 0, 60_000);
    ping(WARM);
    console.log(`overlay ping between two daemons' containers, ${COUNT} pings at ${PING_INTERVAL_S} s after ${WARM} warm-up (us)`);
    for (let r = 1; r <= ROUNDS; r++) {
      const rtts = [...ping(COUNT).stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000).sort((x, y) => x - y);
      const p = (q: number) => percentileSorted(rtts, q / 100).toFixed(0);
      console.log(`round ${r}: ${rtts.length} replies, p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, p99.9 ${p(99.9)}, max ${rtts[rtts.length - 1]!.toFixed(0)}`);
    }
    // how often the data plane was polling when a ping came (busy-poll look-ahead, and why it missed)
    for (const [i, h] of [h1, h2].entries()) {
      const line = h.ok('peers', 'pingnet').split('\n').find((l) => l.includes('look-ahead'));
      console.log(`host ${i + 1}: ${line?.trim() ?? 'no underlay line in tsnet peers'}`);
    }
  } finally {
    for (const h of hosts) await h.kill('SIGTERM');
    cleanupAll();
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} does not exist yet: run npm run build`);
await main();
