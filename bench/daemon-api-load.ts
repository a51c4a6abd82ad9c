// What the daemon's API costs its data plane, which runs on the same thread: one tsnet daemon (in a
// host namespace of its own), a bridge network and two containers, and ping between them (COUNT at
// 2 ms after WARM warm-up) in three conditions per round: idle; while a client sends the daemon API
// requests back to back (`network inspect`, `stats`, `ps`: what a dashboard or a monitoring loop
// polls); and while the same client loads a stand-in server in another process that answers with a
// copy of the daemon's reply (the same CPU load on the machine, none of it on the daemon's thread).
// The difference between the last two is the cost of sharing the thread. Run as root after
// `npm run build`:   node dist/bench/daemon-api-load.js     (env COUNT, WARM, ROUNDS)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, makeNetns, onCleanup } from '../test/helpers/netns.js';
import { CLI, startTestDaemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/until.js';
import { percentileSorted } from './e2e/stats.js';
import { distFile } from './e2e/where.js';

// Our choice: bench/e2e's ping counts, and the `tsnet` shebang's V8 flags (src/cli/main.ts).
const COUNT = Number(process.env.COUNT ?? 2000);
const WARM = Number(process.env.WARM ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PING_INTERVAL_S = '0.002';
const NODE_FLAGS = ['--no-memory-reducer'];
/** How long the load runs before the pings start. */
const LOAD_LEAD_MS = 500;
const API_PATHS = ['/v1/networks/lab', '/v1/networks/lab/stats', '/v1/containers'];

type Condition = 'idle' | 'daemon API' | 'stand-in';

function startNode(script: string, args: string[]): ChildProcess {
  const p = spawn(process.execPath, [distFile('bench', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(() => p.kill('SIGKILL'));
  return p;
}

function output(p: ChildProcess): Promise<string> {
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.on('exit', () => resolve(out)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-api-load-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const hostNs = makeNetns('apil');
  const h = await startTestDaemon({ hostNs, nodeArgs: NODE_FLAGS });
  try {
    h.ok('network', 'create', 'lab');
    h.ok('run', '-d', '--name', 'a', '--net', 'lab', '--', 'sleep', 'infinity');
    h.ok('run', '-d', '--name', 'b', '--net', 'lab', '--', 'sleep', 'infinity');
    const target = h.ok('inspect', '-f', '{{.NetworkSettings.Networks.lab.IPAddress}}', 'b').trim();
    const ping = (n: number) => h.inContainer('a', 'ping', ['-i', PING_INTERVAL_S, '-c', String(n), '-W', '1', target], 120_000);
    await until('a first ping', () => ping(1).status === 0, 30_000);
    ping(WARM);

    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, h.ok('network', 'inspect', 'lab'));
    const standInSocket = join(dir, 'stand-in.sock');
    const standIn = startNode('api-stand-in.js', [standInSocket, bodyFile]);
    let standInOut = '';
    standIn.stdout!.on('data', (d: Buffer) => (standInOut += d.toString()));
    await until('the stand-in server', () => standInOut.includes('ready'), 15_000);

    console.log(`ping between two containers of one daemon, ${COUNT} pings at ${PING_INTERVAL_S} s (us); load: GET ${API_PATHS.join(', ')} back to back`);
    for (let r = 1; r <= ROUNDS; r++) {
      // rotate the order so that no condition always comes first
      const order: Condition[] = (['idle', 'daemon API', 'stand-in'] as Condition[]).map((_, i, all) => all[(i + r - 1) % all.length]!);
      for (const c of order) {
        const client = c === 'idle' ? null : startNode('api-load-client.js', [c === 'daemon API' ? h.socket : standInSocket, ...API_PATHS]);
        const clientOut = client ? output(client) : Promise.resolve('');
        if (client) await new Promise((res) => setTimeout(res, LOAD_LEAD_MS));
        const rtts = [...ping(COUNT).stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000).sort((x, y) => x - y);
        client?.kill('SIGTERM');
        const load = client ? (JSON.parse((await clientOut).trim() || '{}') as { requests?: number; seconds?: number; usPerRequest?: number }) : {};
        const p = (q: number) => (rtts.length ? percentileSorted(rtts, q / 100).toFixed(0) : 'n/a');
        const rate = load.requests && load.seconds ? `, ${(load.requests / load.seconds).toFixed(0)} requests/s, ${load.usPerRequest!.toFixed(0)} us each` : '';
        console.log(`round ${r} ${c.padEnd(10)}: ${rtts.length} replies, p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, p99.9 ${p(99.9)}${rate}`);
      }
    }
  } finally {
    await h.kill('SIGTERM');
    cleanupAll();
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} does not exist yet: run npm run build`);
await main();
