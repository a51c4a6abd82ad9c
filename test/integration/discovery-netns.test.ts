// Discovery across real network namespaces: three hosts (namespaces) joined by veths to a bridge
// that lives in a fourth namespace, one discovery agent process per host started with
// `ip netns exec`. SIGKILL one agent by PID: the others report it down and its endpoint deleted;
// restart it with the same key file: it rejoins and its endpoint returns. Needs root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cleanupAll, ip, isRoot, makeNetns, makeVeth, onCleanup } from '../helpers/netns.js';

const AGENT = join(process.cwd(), 'dist', 'src', 'discovery', 'agent.js');
const NETWORK = '7a'.repeat(32);

interface Agent {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
}

function startAgent(ns: string, addr: string, join: string, name: string, keyFile: string): Agent {
  const args = ['netns', 'exec', ns, process.execPath, AGENT, '--listen', `${addr}:7946`, '--vtep', `${addr}:4789`,
    '--hostname', name, '--key-file', keyFile, '--network', NETWORK, '--endpoint', `${name}:${addr}`, '--ping-ms', '500', '--ae-ms', '1000'];
  if (join) args.push('--join', `${join}:7946`);
  const proc = spawn('ip', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const agent: Agent = { proc, lines: [] };
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      agent.lines.push(JSON.parse(l));
    } catch {
      /* not an event line */
    }
  });
  onCleanup(() => {
    if (proc.exitCode === null && proc.pid) process.kill(proc.pid, 'SIGKILL');
  });
  return agent;
}

async function until(cond: () => boolean, what: string, deadlineMs = 20_000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const has = (a: Agent, match: Record<string, unknown>) => a.lines.some((l) => Object.entries(match).every(([k, v]) => l[k] === v));

test('a SIGKILLed host goes down on the others and comes back after a restart', async () => {
  if (!isRoot) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-disc-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const br = makeNetns('dbr');
    ip('-n', br, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', br, 'link', 'set', 'br0', 'up');
    const hosts = [1, 2, 3].map((i) => {
      const ns = makeNetns('dh');
      const [inner, outer] = makeVeth({ ns }, { ns: br });
      ip('-n', ns, 'addr', 'add', `10.213.0.${i}/24`, 'dev', inner);
      ip('-n', ns, 'link', 'set', inner, 'up');
      ip('-n', br, 'link', 'set', outer, 'master', 'br0');
      ip('-n', br, 'link', 'set', outer, 'up');
      return { ns, addr: `10.213.0.${i}`, name: `host${i}`, key: join(dir, `host${i}.key`) };
    });
    const agents = hosts.map((h, i) => startAgent(h.ns, h.addr, i === 0 ? '' : hosts[0].addr, h.name, h.key));
    await until(() => agents.every((a) => has(a, { event: 'ready' })), 'all agents ready');
    const ids = agents.map((a) => a.lines.find((l) => l.event === 'ready')!.peerId as string);
    await until(
      () => agents.every((a, i) => ids.every((id, j) => i === j || has(a, { event: 'member', hostId: id, kind: 'up' }))),
      'every agent sees the two others up',
    );
    await until(
      () => agents.every((a, i) => hosts.every((h, j) => i === j || has(a, { event: 'endpoint', name: h.name, kind: 'upsert' }))),
      'every agent sees the endpoints of the two others',
    );

    process.kill(agents[2].proc.pid!, 'SIGKILL');
    await until(
      () => [0, 1].every((i) => has(agents[i], { event: 'member', hostId: ids[2], kind: 'down' }) && has(agents[i], { event: 'endpoint', name: 'host3', kind: 'delete' })),
      'host1 and host2 report host3 down and its endpoint deleted',
    );
    for (const a of agents.slice(0, 2)) a.lines.length = 0;

    const again = startAgent(hosts[2].ns, hosts[2].addr, hosts[1].addr, hosts[2].name, hosts[2].key);
    await until(() => has(again, { event: 'ready' }), 'host3 restarted');
    assert.is(again.lines.find((l) => l.event === 'ready')!.peerId, ids[2]);
    await until(
      () => [0, 1].every((i) => has(agents[i], { event: 'member', hostId: ids[2], kind: 'up' }) && has(agents[i], { event: 'endpoint', name: 'host3', kind: 'upsert' })),
      'host3 and its endpoint are back on host1 and host2',
    );
  } finally {
    cleanupAll();
  }
});

test.run();
