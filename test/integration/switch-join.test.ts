// `tsnet switch --network multi --join PEER`: a foreground switch with no daemon and no static peer
// list joins a cluster of two real tsnet daemons (three "hosts" in namespaces on one underlay). The
// global network `multi` is created by daemon 1; the switch finds its VNI and subnet through the DHT,
// learns the members' VTEPs and endpoints, and publishes its attached namespace. Checks: the
// namespace pings containers on both daemons by IP, the daemons' containers resolve and ping the
// namespace by name, a switch killed with -9 and restarted at once comes back under its name, and
// the switch's endpoint and name disappear when it stops.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { background, cleanupAll, inNs, makeNetns, onCleanup } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay } from '../helpers/underlay.js';

const SWITCH_MAIN = resolve('dist/src/cli/switch-main.js');
const t = suite('switch --join');
const hosts: TestDaemon[] = [];
let h3 = '';
let h3Address = '';
let first = '';
let swNs = '';
let swIp = '';
let sw: ChildProcess | undefined;
let swLog = '';
let logDir = '';

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- switch log ---\n${readLog()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const readLog = () => (swLog && existsSync(swLog) ? readFileSync(swLog, 'utf8') : '');
const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;

t.before(async () => {
  const ul = makeUnderlay(3);
  first = ul.hosts[0]!.address;
  for (const [i, h] of ul.hosts.slice(0, 2).entries()) {
    const joinArgs = i === 0 ? [] : ['--join', `${first}:7946`];
    hosts.push(await startTestDaemon({ hostNs: h.ns, extraArgs: ['--advertise', h.address, '--listen', `${h.address}:7946`, ...joinArgs] }));
  }
  h3 = ul.hosts[2]!.ns;
  h3Address = ul.hosts[2]!.address;
  for (const d of hosts) await until('the two daemons to see each other', () => upHosts(d) === 1);
  swNs = makeNetns('swj');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-swjoin-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  logDir = dir;
  swLog = join(dir, 'switch.log');
});
t.after(() => cleanupAll());

t('a global network multi with a container on each daemon', async () => {
  hosts[0]!.ok('network', 'create', 'multi');
  await until('multi on host 2', () => hosts[1]!.ok('network', 'ls').includes('multi'));
  hosts[0]!.ok('run', '-d', '--name', 'demo1', '--net', 'multi', '--', 'sleep', '600');
  hosts[1]!.ok('run', '-d', '--name', 'demo2', '--net', 'multi', '--', 'sleep', '600');
  const [net] = JSON.parse(hosts[0]!.ok('network', 'inspect', 'multi')) as Array<{ IPAM: { Config: Array<{ Subnet: string }> } }>;
  const subnet = net!.IPAM.Config[0]!.Subnet;
  assert.match(subnet, /^\d+\.\d+\.\d+\.0\/24$/);
  swIp = subnet.replace(/\.0\/24$/, '.250');
});

t('tsnet switch --join finds multi through the DHT and attaches a namespace (no daemon)', async () => {
  sw = background(['nsenter', `--net=/run/netns/${h3}`, process.execPath, SWITCH_MAIN, '--network', 'multi', '--join', `${first}:7946`,
    '--advertise', h3Address, '--cluster-listen', `${h3Address}:7946`, '--attach', `${swNs}=${swIp}/24`], swLog);
  await until('the switch to be ready', () => {
    if (sw!.exitCode !== null) throw new Error(`the switch exited with ${sw!.exitCode}:\n${readLog()}`);
    return /^ready$/m.test(readLog());
  });
  const log = readLog();
  assert.match(log, /joined global network multi \(\d+\.\d+\.\d+\.0\/24, VNI \d+\)/);
  assert.match(log, new RegExp(`published ${swNs} ${swIp.replace(/\./g, '\\.')}`));
});

t('the namespace pings the containers on both daemons by IP', async () => {
  for (const [i, d] of hosts.entries()) {
    const [c] = JSON.parse(d.ok('inspect', `demo${i + 1}`)) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    const ip = c!.NetworkSettings.Networks.multi!.IPAddress;
    await until(`${swNs} -> demo${i + 1} (${ip})`, () => inNs(swNs, 'ping', ['-c', '1', '-W', '2', ip]).status === 0);
  }
});

t('containers on the daemons resolve and ping the namespace by name', async () => {
  for (const [i, d] of hosts.entries()) {
    const r = await until(`demo${i + 1} -> ${swNs}`, () => {
      const p = d.inContainer(`demo${i + 1}`, 'ping', ['-c', '1', '-W', '2', swNs]);
      return p.status === 0 ? p : undefined;
    });
    assert.match(r.stdout, new RegExp(`PING ${swNs} \\(${swIp.replace(/\./g, '\\.')}\\)`));
  }
});

t('killed with -9 and started again at once, the switch rejoins under its name and address', async () => {
  const killed = new Promise((r) => sw!.once('exit', r));
  sw!.kill('SIGKILL');
  await killed;
  // a new identity: the old host is down as soon as the daemons' redial fails, and its endpoint
  // record (same name, address and MAC) goes with it, so neither the claim nor the address check stops this one
  swLog = join(logDir, 'switch-again.log');
  sw = background(['nsenter', `--net=/run/netns/${h3}`, process.execPath, SWITCH_MAIN, '--network', 'multi', '--join', `${first}:7946`,
    '--advertise', h3Address, '--cluster-listen', `${h3Address}:7946`, '--attach', `${swNs}=${swIp}/24`], swLog);
  await until('the restarted switch to be ready', () => {
    if (sw!.exitCode !== null) throw new Error(`the restarted switch exited with ${sw!.exitCode}:\n${readLog()}`);
    return /^ready$/m.test(readLog());
  });
  await until(`demo1 -> ${swNs} by name again`, () => hosts[0]!.inContainer('demo1', 'ping', ['-c', '1', '-W', '2', swNs]).status === 0);
});

t('the name is unique: a daemon container cannot take it', () => {
  const r = hosts[1]!.cli('run', '-d', '--name', swNs, '--net', 'multi', '--', 'sleep', '600');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, new RegExp(swNs));
});

t('a --cluster-listen address in use: exit code 6 and one sentence naming the flag', async () => {
  const log = join(logDir, 'busy.log');
  const p = background(['nsenter', `--net=/run/netns/${h3}`, process.execPath, SWITCH_MAIN, '--network', 'multi', '--join', `${first}:7946`,
    '--advertise', h3Address, '--cluster-listen', `${h3Address}:7946`], log);
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  const out = readFileSync(log, 'utf8');
  assert.is(code, 6, out);
  assert.match(out, new RegExp(`cannot listen for the cluster on ${h3Address.replace(/\./g, '\\.')}:7946 \\(listen EADDRINUSE[^)]*\\); give --cluster-listen an address of this host and a free port\\.`));
});

t('an encrypted global network is refused with one sentence and exit code 2 (the switch does not seal)', async () => {
  hosts[0]!.ok('network', 'create', '-o', 'encrypted', 'sealed');
  const ns = makeNetns('swjs');
  const log = join(logDir, 'sealed.log');
  const p = background(['nsenter', `--net=/run/netns/${h3}`, process.execPath, SWITCH_MAIN, '--network', 'sealed', '--join', `${first}:7946`,
    '--advertise', h3Address, '--cluster-listen', `${h3Address}:7947`, '--attach', `${ns}=${swIp}/24`], log);
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  const out = readFileSync(log, 'utf8');
  assert.is(code, 2, out);
  assert.match(out, /network sealed is encrypted, and tsnet switch does not seal frames; connect to it through a tsnet daemon\./);
  assert.is(inNs(ns, 'ip', ['link', 'show', 'eth0']).status, 1, 'nothing was attached');
  hosts[0]!.ok('network', 'rm', 'sealed');
});

t('a network created with -o mtu=1400: the namespace the switch attaches gets MTU 1400 too', async () => {
  hosts[0]!.ok('network', 'create', '-o', 'mtu=1400', 'narrow');
  const [net] = JSON.parse(hosts[0]!.ok('network', 'inspect', 'narrow')) as Array<{ IPAM: { Config: Array<{ Subnet: string }> } }>;
  const ip = net!.IPAM.Config[0]!.Subnet.replace(/\.0\/24$/, '.250');
  const ns = makeNetns('swjm');
  const log = join(logDir, 'narrow.log');
  const p = background(['nsenter', `--net=/run/netns/${h3}`, process.execPath, SWITCH_MAIN, '--network', 'narrow', '--join', `${first}:7946`,
    '--advertise', `${h3Address}:7948`, '--cluster-listen', `${h3Address}:7948`, '--listen', '0.0.0.0:4790', '--attach', `${ns}=${ip}/24`], log);
  await until('the second switch to be ready', () => {
    if (p.exitCode !== null) throw new Error(`it exited with ${p.exitCode}:\n${readFileSync(log, 'utf8')}`);
    return /^ready$/m.test(readFileSync(log, 'utf8'));
  });
  const link = JSON.parse(inNs(ns, 'ip', ['-j', 'link', 'show', 'eth0']).stdout) as Array<{ mtu: number }>;
  assert.is(link[0]!.mtu, 1400);
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
  hosts[0]!.ok('network', 'rm', 'narrow');
});

t('the switch stops cleanly and its endpoint disappears from the cluster', async () => {
  const exited = new Promise<number | null>((r) => sw!.once('exit', (code) => r(code)));
  sw!.kill('SIGTERM');
  assert.is(await exited, 0);
  await until(`${swNs} no longer resolving on host 1`, () => hosts[0]!.inContainer('demo1', 'dig', ['+short', '+time=1', '+tries=1', swNs]).stdout.trim() === '');
  for (const [i, d] of hosts.entries()) d.ok('rm', '-f', `demo${i + 1}`);
});

t.run();
