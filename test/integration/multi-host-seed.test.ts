// The seed's 3-host demo without consul: three tsnet daemons, each a "host" in its own namespace on
// one underlay, joined through the libp2p DHT. `network create multi` on one host is global and
// appears on the others; demo1..3 on different hosts ping each other by name over tsnet's userspace
// VXLAN; names are unique in the cluster; 3 hosts x 20 concurrent endpoints never share an address;
// a host killed with SIGKILL disappears with its names and comes back on restart.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay } from '../helpers/underlay.js';
import { until } from '../helpers/until.js';

const t = suite('multi-host seed demo');
let hosts: TestDaemon[] = [];


function cliAsync(d: TestDaemon, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, '--host', d.socket, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;

t.before(async () => {
  const ul = makeUnderlay(3);
  const first = ul.hosts[0]!.address;
  for (const [i, h] of ul.hosts.entries()) {
    const join = i === 0 ? [] : ['--join', `${first}:7946`];
    hosts.push(await startTestDaemon({ hostNs: h.ns, extraArgs: ['--advertise', h.address, '--listen', `${h.address}:7946`, ...join] }));
  }
  for (const d of hosts) await until('every host to see the two others', () => upHosts(d) === 2);
});
t.after(() => cleanupAll());

t('network create multi on host 1 is global and listed on every host', async () => {
  const id = hosts[0]!.ok('network', 'create', 'multi').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const [net] = JSON.parse(hosts[0]!.ok('network', 'inspect', 'multi')) as Array<Record<string, any>>;
  assert.is(net!.Scope, 'global');
  assert.is(net!.Driver, 'overlay');
  for (const d of hosts.slice(1)) await until(`multi on ${d.hostNs}`, () => d.ok('network', 'ls').includes(id.slice(0, 12)));
});

t('demo1..3 on three hosts ping each other by name', async () => {
  for (const [i, d] of hosts.entries()) d.ok('run', '-d', '--name', `demo${i + 1}`, '--net', 'multi', '--', 'sleep', '600');
  for (const [i, d] of hosts.entries()) {
    for (let j = 1; j <= 3; j++) {
      if (j === i + 1) continue;
      const r = await until(`demo${i + 1} -> demo${j}`, () => {
        const p = d.inContainer(`demo${i + 1}`, 'ping', ['-c', '1', '-W', '2', `demo${j}`]);
        return p.status === 0 ? p : undefined;
      });
      assert.match(r.stdout, new RegExp(`PING demo${j} \\(10\\.0\\.\\d+\\.\\d+\\)`));
    }
  }
});

t('container names are unique in the cluster', () => {
  const r = hosts[1]!.cli('run', '-d', '--name', 'demo1', '--net', 'multi', '--', 'sleep', '600');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /demo1/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

t('3 hosts x 20 concurrent endpoints: no address handed out twice', async () => {
  const runs = hosts.flatMap((d, h) => Array.from({ length: 20 }, (_, k) => cliAsync(d, 'run', '-d', '--name', `c${h}x${k}`, '--net', 'multi', '--', 'sleep', '600')));
  const results = await Promise.all(runs);
  for (const r of results) assert.is(r.status, 0, r.stderr);
  const addrs: string[] = [];
  for (const d of hosts) {
    const [net] = JSON.parse(d.ok('network', 'inspect', 'multi')) as Array<{ Containers: Record<string, { IPv4Address: string }> }>;
    addrs.push(...Object.values(net!.Containers).map((c) => c.IPv4Address));
  }
  assert.is(addrs.length, 63);
  assert.is(new Set(addrs).size, addrs.length, 'every address is unique across hosts');
  for (const [h, d] of hosts.entries()) for (let k = 0; k < 20; k++) d.ok('rm', '-f', `c${h}x${k}`);
});

t('a host killed with SIGKILL disappears with its names, and returns on restart', async () => {
  const h3 = hosts[2]!;
  await h3.kill('SIGKILL');
  const started = Date.now();
  await until('host 3 seen down on hosts 1 and 2', () => upHosts(hosts[0]!) === 1 && upHosts(hosts[1]!) === 1);
  await until('demo3 no longer resolving on host 1', () => hosts[0]!.inContainer('demo1', 'dig', ['+short', '+time=1', '+tries=1', 'demo3']).stdout.trim() === '');
  console.log(`    host 3 down and its names gone after ${Date.now() - started} ms`);
  await h3.start();
  await until('demo1 pings demo3 again', () => hosts[0]!.inContainer('demo1', 'ping', ['-c', '1', '-W', '2', 'demo3']).status === 0, 60_000);
  await until('host 3 up again', () => upHosts(hosts[0]!) === 2);
});

t('the cluster survives the loss of the host everyone joined through, which rejoins on restart', async () => {
  const h1 = hosts[0]!;
  await h1.kill('SIGKILL');
  await until('hosts 2 and 3 see host 1 down', () => upHosts(hosts[1]!) === 1 && upHosts(hosts[2]!) === 1);
  await until('demo2 still pings demo3', () => hosts[1]!.inContainer('demo2', 'ping', ['-c', '1', '-W', '2', 'demo3']).status === 0);
  await h1.start(); // no --join: the others redial it
  await until('host 1 sees both others again', () => upHosts(h1) === 2, 60_000);
  await until('demo3 pings demo1 again', () => hosts[2]!.inContainer('demo3', 'ping', ['-c', '1', '-W', '2', 'demo1']).status === 0, 60_000);
});

t('network rm multi is refused while endpoints remain, then removes it everywhere', async () => {
  const r = hosts[0]!.cli('network', 'rm', 'multi');
  assert.is.not(r.status, 0);
  for (const [i, d] of hosts.entries()) d.ok('rm', '-f', `demo${i + 1}`);
  await until('remote endpoints gone', () => hosts[0]!.cli('network', 'rm', 'multi').status === 0);
  for (const d of hosts) await until(`multi gone on ${d.hostNs}`, () => !d.ok('network', 'ls').includes('multi'));
});

t.run();
