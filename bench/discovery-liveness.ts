// Benchmark for the discovery layer's timers (src/discovery/constants.ts names it): on loopback,
// two in-process nodes and one agent process (src/discovery/agent.ts); the agent is SIGKILLed and
// restarted ROUNDS times. Reports how long the survivors take to see it down (target: < 5 s with
// the default 1 s ping), to see it back with its endpoint after a restart, how fast one endpoint
// record propagates, and how long 20 IPAM block claims take. Run: node dist/bench/discovery-liveness.js
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDiscoveryNode, type DiscoveryNode } from '../src/discovery/index.js';

const ROUNDS = 5;
const NET = 'b5'.repeat(32);
const AGENT = join(process.cwd(), 'dist', 'src', 'discovery', 'agent.js');

async function until(cond: () => boolean, deadlineMs = 20_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < deadlineMs) {
    if (cond()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('deadline passed');
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms`;
};

const dir = mkdtempSync(join(tmpdir(), 'tsnet-bench-'));
const nodes: DiscoveryNode[] = [];
try {
  const a = await createDiscoveryNode({ listen: ['127.0.0.1:0'], vtep: '127.0.0.1:4789', hostname: 'a' });
  await a.start();
  const port = /tcp\/(\d+)/.exec(a.addresses()[0])![1];
  const b = await createDiscoveryNode({ listen: ['127.0.0.1:0'], vtep: '127.0.0.1:4789', hostname: 'b', join: [`127.0.0.1:${port}`] });
  await b.start();
  nodes.push(a, b);
  await a.joinNetwork(NET);
  await b.joinNetwork(NET);
  await until(() => a.membersOf(NET).length === 1);

  const t0 = performance.now();
  await a.publishEndpoint({ networkId: NET, endpointId: 'e'.repeat(64), name: 'x', aliases: [], ipv4: '10.1.0.2', mac: '02:00:00:00:00:01' });
  await until(() => b.endpoints(NET).length === 1);
  console.log(`endpoint record propagation a -> b: ${(performance.now() - t0).toFixed(1)} ms`);

  const t1 = performance.now();
  for (let i = 0; i < 20; i++) await a.claimBlock(NET, '10.1.0.0/16', 24);
  console.log(`20 sequential block claims with one peer: ${(performance.now() - t1).toFixed(0)} ms`);

  const down: number[] = [];
  const back: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const proc = spawn(process.execPath, [AGENT, '--listen', '127.0.0.1:0', '--join', `127.0.0.1:${port}`, '--hostname', 'victim',
      '--key-file', join(dir, 'victim.key'), '--network', NET, '--endpoint', 'victim:10.1.9.9'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let ready = false;
    createInterface({ input: proc.stdout! }).on('line', (l) => (ready ||= l.includes('"ready"')));
    const started = performance.now();
    await until(() => ready && [a, b].every((n) => n.endpoints(NET).some((e) => e.name === 'victim')));
    if (r > 0) back.push(performance.now() - started);
    proc.kill('SIGKILL');
    down.push(await until(() => [a, b].every((n) => !n.endpoints(NET).some((e) => e.name === 'victim') && n.peers().length === 1)));
  }
  console.log(`SIGKILLed host seen down with endpoints deleted on both survivors: ${stats(down)} (target < 5000 ms: ${Math.max(...down) < 5000 ? 'met' : 'MISSED'})`);
  console.log(`restarted host (same key) back with its endpoint on both, from process start: ${stats(back)}`);
} finally {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}
