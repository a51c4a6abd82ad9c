// Overlay ping between containers of two full tsnet daemons (discovery over libp2p on, as users run
// them), where bench/e2e measures `tsnet switch` alone. Two host namespaces on a bridged underlay
// (test/helpers/underlay.ts), one daemon in each joined into a cluster (test/helpers/daemon.ts), a
// global overlay network and one container per host; after WARM warm-up pings it reports ROUNDS
// rounds of COUNT pings at 2 ms (p50 ... max), then each host's underlay line of `tsnet peers`
// (how many pings found its data plane polling, and why the others did not). It shows what the
// daemon's other work (discovery, API, controller) costs the data plane. With --switch, host 2 runs
// `tsnet switch --join` (no daemon: discovery and the data plane in one process) with a namespace
// attached, and the pings go from that namespace. Run as root after `npm run build`:
//   node dist/bench/daemon-overlay-ping.js [--switch]     (env COUNT, WARM, ROUNDS, EXTRA_NODE_FLAGS)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { makeUnderlay } from '../test/helpers/underlay.js';
import { background, cleanupAll, inNs, makeNetns, onCleanup } from '../test/helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/until.js';
import { percentileSorted } from './e2e/stats.js';
import { distFile } from './e2e/where.js';
import type { UdpEndpointStats } from '../src/native/udp.js';

// Our choice: the counts of bench/e2e (2000 pings at 2 ms, 4000 warm-up) and the V8 flags of the
// `tsnet` command's shebang (src/cli/main.ts).
const COUNT = Number(process.env.COUNT ?? 2000);
const WARM = Number(process.env.WARM ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PING_INTERVAL_S = '0.002';
/** env EXTRA_NODE_FLAGS: more flags for the daemons and the switch, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" */
const NODE_FLAGS = ['--no-memory-reducer', ...(process.env.EXTRA_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];
const SWITCH_SIDE = process.argv.includes('--switch');
const SWITCH_MAIN = distFile('src', 'cli', 'switch-main.js');

/** Host 2 as `tsnet switch --join`: a namespace with ADDRESS attached; resolves once it is ready. */
async function startJoinSwitch(hostNs: string, address: string, first: string, attachCidr: string): Promise<{ ns: string; proc: ChildProcess; log: () => string }> {
  const ns = makeNetns('opsw');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-opsw-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'switch.log');
  const proc = background(['nsenter', `--net=/run/netns/${hostNs}`, process.execPath, ...NODE_FLAGS, SWITCH_MAIN, '--network', 'pingnet',
    '--join', `${first}:7946`, '--advertise', address, '--cluster-listen', `${address}:7946`, '--attach', `${ns}=${attachCidr}`], logFile);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  await until('the switch to be ready', () => {
    if (proc.exitCode !== null) throw new Error(`the switch exited with ${proc.exitCode}:\n${log()}`);
    return /^ready$/m.test(log());
  }, 60_000);
  return { ns, proc, log };
}

async function main(): Promise<void> {
  const ul = makeUnderlay(2, { subnet: '10.218.0' });
  const [a, b] = ul.hosts;
  const hosts: TestDaemon[] = [];
  let sw: { ns: string; proc: ChildProcess; log: () => string } | undefined;
  try {
    hosts.push(await startTestDaemon({ hostNs: a!.ns, nodeArgs: NODE_FLAGS, extraArgs: ['--advertise', a!.address, '--listen', `${a!.address}:7946`] }));
    if (!SWITCH_SIDE) hosts.push(await startTestDaemon({ hostNs: b!.ns, nodeArgs: NODE_FLAGS, extraArgs: ['--advertise', b!.address, '--listen', `${b!.address}:7946`, '--join', `${a!.address}:7946`] }));
    const [h1, h2] = hosts as [TestDaemon, TestDaemon | undefined];
    if (h2) await until('the two hosts to see each other', () => /\(up,/.test(h1.ok('info')), 60_000);
    h1.ok('network', 'create', 'pingnet');
    if (h2) await until('pingnet on host 2', () => h2.ok('network', 'ls').includes('pingnet'), 60_000);
    h1.ok('run', '-d', '--name', 'srv', '--net', 'pingnet', '--', 'sleep', 'infinity');
    const inspect = JSON.parse(h1.ok('inspect', 'srv')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    const target = inspect[0]!.NetworkSettings.Networks.pingnet!.IPAddress;
    let ping: (n: number) => { status: number | null; stdout: string };
    if (h2) {
      h2.ok('run', '-d', '--name', 'cli', '--net', 'pingnet', '--', 'sleep', 'infinity');
      ping = (n) => h2.inContainer('cli', 'ping', ['-i', PING_INTERVAL_S, '-c', String(n), '-W', '1', target], 120_000);
    } else {
      const s = (sw = await startJoinSwitch(b!.ns, b!.address, a!.address, `${target.replace(/\.\d+$/, '.250')}/24`));
      ping = (n) => inNs(s.ns, 'ping', ['-i', PING_INTERVAL_S, '-c', String(n), '-W', '1', target], 120_000);
    }
    await until('a first overlay ping', () => ping(1).status === 0, 60_000);
    ping(WARM);
    const between = SWITCH_SIDE ? 'a daemon\'s container and a `tsnet switch --join` namespace' : 'two daemons\' containers';
    console.log(`overlay ping between ${between}, ${COUNT} pings at ${PING_INTERVAL_S} s after ${WARM} warm-up (us)`);
    for (let r = 1; r <= ROUNDS; r++) {
      const rtts = [...ping(COUNT).stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000).sort((x, y) => x - y);
      const p = (q: number) => percentileSorted(rtts, q / 100).toFixed(0);
      console.log(`round ${r}: ${rtts.length} replies, p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, p99.9 ${p(99.9)}, max ${rtts[rtts.length - 1]!.toFixed(0)}`);
    }
    // how often the data plane was polling when a ping came (busy-poll look-ahead, and why it missed)
    if (sw) {
      const seen = sw.log().length;
      sw.proc.kill('SIGUSR1');
      const stats = await until('the switch\'s stats', () => /^stats (.*)$/m.exec(sw!.log().slice(seen))?.[1], 10_000);
      const u = (JSON.parse(stats) as { vtep: { io: UdpEndpointStats } }).vtep.io;
      console.log(`switch: busy-poll ${u.busyPollWindows} windows (${u.busyPollContended} cut), look-ahead ${u.busyPollAheadWindows} windows met ` +
        `${u.busyPollAheadHits} bursts, missed ${u.busyPollAheadMissHoldoff} in hold-off, ${u.busyPollAheadMissUnpredicted} unpredicted, ` +
        `${u.busyPollAheadMissEarly} early, ${u.busyPollAheadMissLate} late`);
    }
    for (const [i, h] of hosts.entries()) {
      const line = h.ok('peers', 'pingnet').split('\n').find((l) => l.includes('look-ahead'));
      console.log(`host ${i + 1}: ${line?.trim() ?? 'no underlay line in tsnet peers'}`);
    }
  } finally {
    if (sw && sw.proc.exitCode === null) {
      const exited = new Promise((r) => sw!.proc.once('exit', r));
      sw.proc.kill('SIGTERM');
      await exited;
    }
    for (const h of hosts) await h.kill('SIGTERM');
    cleanupAll();
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} does not exist yet: run npm run build`);
await main();
