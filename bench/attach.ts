// Endpoint attach time: how long `tsnet run -d --net N` and `tsnet network connect` take end to end
// (API call, IPAM, persistent TAP created inside the namespace, address/MTU/MAC/route, state saved),
// measured against a real daemon in a namespace of its own. Root only: `node dist/bench/attach.js [N]`.
// Writes bench/results/attach.json and prints percentiles in milliseconds.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const N = Number(process.argv[2] ?? 30);
const CLI = resolve('dist/src/cli/main.js');
const hostNs = `tsbench-attach-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'tsnet-attach-'));
const sock = join(dir, 'tsnet.sock');
const prefix = `ba${process.pid % 1000}-`;

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, '--host', sock, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsnet ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

spawnSync('ip', ['netns', 'add', hostNs]);
const daemon = spawn('nsenter', [`--net=/run/netns/${hostNs}`, process.execPath, CLI, 'daemon', '--state-dir', join(dir, 'state'), '--socket', sock, '--netns-prefix', prefix], { stdio: 'ignore' });
const cleanup = () => {
  daemon.kill('SIGKILL');
  for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!)) {
    if (ns.startsWith(prefix) || ns === hostNs) {
      for (const pid of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      spawnSync('ip', ['netns', 'del', ns]);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  for (let i = 0; i < 100 && !existsSync(sock); i++) spawnSync('sleep', ['0.1']);
  cli('network', 'create', 'bench');
  cli('network', 'create', 'second');
  const run: number[] = [];
  const connect: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    cli('run', '-d', '--name', `c${i}`, '--net', 'bench', '--', 'sleep', '600');
    run.push(performance.now() - t);
    t = performance.now();
    cli('network', 'connect', 'second', `c${i}`);
    connect.push(performance.now() - t);
  }
  const summary = (xs: number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), max: Math.max(...xs) });
  const result = { date: new Date().toISOString(), n: N, unit: 'ms (CLI process included)', run: summary(run), connect: summary(connect) };
  console.log(`run -d --net:     p50 ${result.run.p50.toFixed(1)} ms, p90 ${result.run.p90.toFixed(1)} ms, max ${result.run.max.toFixed(1)} ms`);
  console.log(`network connect:  p50 ${result.connect.p50.toFixed(1)} ms, p90 ${result.connect.p90.toFixed(1)} ms, max ${result.connect.max.toFixed(1)} ms`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/attach.json', JSON.stringify(result, null, 2) + '\n');
} finally {
  cleanup();
}
