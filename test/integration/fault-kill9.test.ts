// kill -9 of the daemon at random points of create/connect/disconnect/run/rm (SECURITY.md): a seeded
// sequence of operations, each started with the real CLI and interrupted by SIGKILL after a seeded
// random delay (so it lands before, inside or after the operation's steps). After each restart the
// saved state and the kernel agree (test/helpers/fault-state.ts: no pending records, every endpoint's
// TAP exists in its namespace with the right address, no orphan ts-* ports, TAPs or namespaces, IPAM
// holds each address once and leaks none), and the network still works: a long-lived container stays
// reachable by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll } from '../helpers/netns.js';
import { ApiClient } from '../../src/api/client.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { stateProblems } from '../helpers/fault-state.js';
import { DEFAULT_SEED, rng } from '../helpers/fault-rng.js';

// --- our choice ---
const ITERATIONS = Number(process.env.FAULT_ITERATIONS ?? 15);
/** Upper bound of the delay before SIGKILL; operations take 50-500 ms here, so kills spread over them. */
const MAX_KILL_DELAY_MS = 400;

const t = suite('kill -9 at random points');
let d: TestDaemon;

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.61.0.0/24', 'base');
  d.ok('run', '-d', '--name', 'anchor', '--net', 'base', '--', 'sleep', '3600');
});
t.after(() => cleanupAll());

function cliAsync(...args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, '--host', d.socket, ...args], { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code ?? -1));
  });
}

t(`${ITERATIONS} operations interrupted by kill -9; state consistent and restored after each restart (seed ${DEFAULT_SEED + 10})`, async () => {
  const r = rng(DEFAULT_SEED + 10);
  const ops: string[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const api = new ApiClient(d.socket);
    const nets = (await api.get<Array<{ Name: string }>>('/v1/networks')).map((n) => n.Name).filter((n) => n !== 'base');
    const ctrs = (await api.get<Array<{ Name: string }>>('/v1/containers')).map((c) => c.Name).filter((n) => n !== 'anchor');
    const choices: Array<() => string[]> = [
      () => ['network', 'create', `k${i}`],
      () => ['run', '-d', '--name', `c${i}`, '--net', 'base', '--', 'sleep', '3600'],
    ];
    if (ctrs.length) {
      choices.push(() => ['rm', '-f', r.pick(ctrs)]);
      choices.push(() => ['stop', '-t', '1', r.pick(ctrs)]);
      choices.push(() => ['start', r.pick(ctrs)]);
    }
    if (nets.length) {
      // connect and disconnect have the most steps (IPAM, TAP, address, route, /etc/hosts): weight them up
      for (let k = 0; k < 2; k++) {
        choices.push(() => ['network', 'connect', r.pick(nets), r.pick(['anchor', ...ctrs])]);
        choices.push(() => ['network', 'disconnect', r.pick(nets), r.pick(['anchor', ...ctrs])]);
      }
      choices.push(() => ['network', 'rm', r.pick(nets)]);
    }
    const args = r.pick(choices)();
    const delay = r.int(MAX_KILL_DELAY_MS);
    ops.push(`${args.slice(0, 3).join(' ')} @${delay}ms`);
    const op = cliAsync(...args);
    await new Promise((ok) => setTimeout(ok, delay));
    await d.kill('SIGKILL');
    await op;
    await d.start();
    assert.equal(stateProblems(d), [], `after iteration ${i} (${ops.join('; ')})\n--- daemon log ---\n${d.log.slice(-15).join('')}`);
    const ping = d.cli('run', '--rm', '--net', 'base', '--', 'ping', '-c', '1', '-W', '3', 'anchor');
    assert.is(ping.status, 0, `anchor unreachable after iteration ${i} (${ops.join('; ')}): ${ping.stderr}${ping.stdout}`);
  }
  console.log(`    ${ops.length} interrupted operations: ${ops.join('; ')}`);
});

t('everything can be removed after the faults', async () => {
  const api = new ApiClient(d.socket);
  // a container left stopped or running by an interrupted stop or start can be started and stopped
  for (const c of await api.get<Array<{ Name: string }>>('/v1/containers')) {
    if (c.Name === 'anchor') continue;
    d.ok('start', c.Name);
    d.ok('stop', '-t', '1', c.Name);
  }
  for (const c of await api.get<Array<{ Name: string }>>('/v1/containers')) d.ok('rm', '-f', c.Name);
  for (const n of await api.get<Array<{ Name: string }>>('/v1/networks')) d.ok('network', 'rm', n.Name);
  assert.equal(stateProblems(d), []);
  assert.is(d.ok('network', 'ls', '-q').trim(), '');
});

t.run();
