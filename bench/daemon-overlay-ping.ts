// Overlay ping between containers of two full tsnet daemons (discovery over libp2p on, as users run
// them), where bench/e2e measures `tsnet switch` alone. Two host namespaces on a bridged underlay
// (test/helpers/underlay.ts), one daemon in each joined into a cluster, a global overlay network
// and one container per host; after WARM warm-up pings it reports ROUNDS rounds of COUNT pings at
// 2 ms (p50 ... max). It shows what the daemon's other work (discovery, API, controller) costs the
// data plane. Run as root after `npm run build`:
//   node --no-memory-reducer dist/bench/daemon-overlay-ping.js     (env COUNT, WARM, ROUNDS)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeUnderlay } from '../test/helpers/underlay.js';
import { cleanupAll, onCleanup } from '../test/helpers/netns.js';
import { CLI } from '../test/helpers/daemon.js';
import { percentileSorted } from './e2e/stats.js';

// Our choice: the counts of bench/e2e (2000 pings at 2 ms, 4000 warm-up) and its V8 flags.
const COUNT = Number(process.env.COUNT ?? 2000);
const WARM = Number(process.env.WARM ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PING_INTERVAL_S = '0.002';
const NODE_FLAGS = ['--no-memory-reducer'];

interface Host {
  cli(...args: string[]): string;
  prefix: string;
  proc: ChildProcess;
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (cond()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startHost(i: number, ns: string, address: string, join0: string | undefined): Host {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-bench-'));
  const socket = join(dir, 'tsnet.sock');
  const prefix = `bdp${i}-`;
  const args = ['daemon', '--state-dir', join(dir, 'state'), '--socket', socket, '--netns-prefix', prefix,
    '--advertise', address, '--listen', `${address}:7946`, ...(join0 ? ['--join', `${join0}:7946`] : [])];
  const proc = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, ...NODE_FLAGS, CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    for (const n of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix))) {
      for (const pid of spawnSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      spawnSync('ip', ['netns', 'del', n]);
      rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (...a: string[]) => {
    const r = spawnSync(process.execPath, [CLI, '--host', socket, ...a], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsnet ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { cli, prefix, proc };
}

async function main(): Promise<void> {
  const ul = makeUnderlay(2, { subnet: '10.218.0' });
  const [a, b] = ul.hosts;
  const hosts = [startHost(0, a!.ns, a!.address, undefined), startHost(1, b!.ns, b!.address, a!.address)];
  try {
    await until('the daemons', () => hosts.every((h) => h.cli('info').length > 0));
    await until('the two hosts to see each other', () => /\(up,/.test(hosts[0]!.cli('info')));
    hosts[0]!.cli('network', 'create', 'pingnet');
    await until('pingnet on host 2', () => hosts[1]!.cli('network', 'ls').includes('pingnet'));
    hosts[0]!.cli('run', '-d', '--name', 'srv', '--net', 'pingnet', '--', 'sleep', 'infinity');
    hosts[1]!.cli('run', '-d', '--name', 'cli', '--net', 'pingnet', '--', 'sleep', 'infinity');
    const inspect = JSON.parse(hosts[0]!.cli('inspect', 'srv')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    const target = inspect[0]!.NetworkSettings.Networks.pingnet!.IPAddress;
    const ping = (n: number) => spawnSync('ip', ['netns', 'exec', hosts[1]!.prefix + 'cli', 'ping', '-i', PING_INTERVAL_S, '-c', String(n), '-W', '1', target], { encoding: 'utf8', maxBuffer: 1 << 26 });
    await until('a first overlay ping', () => ping(1).status === 0);
    ping(WARM);
    console.log(`overlay ping between two daemons' containers, ${COUNT} pings at ${PING_INTERVAL_S} s after ${WARM} warm-up (us)`);
    for (let r = 1; r <= ROUNDS; r++) {
      const rtts = [...ping(COUNT).stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000).sort((x, y) => x - y);
      const p = (q: number) => percentileSorted(rtts, q / 100).toFixed(0);
      console.log(`round ${r}: ${rtts.length} replies, p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, p99.9 ${p(99.9)}, max ${rtts[rtts.length - 1]!.toFixed(0)}`);
    }
  } finally {
    for (const h of hosts) {
      const exited = new Promise((r) => h.proc.once('exit', r));
      h.proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
    }
    cleanupAll();
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} does not exist yet: run npm run build`);
await main();
