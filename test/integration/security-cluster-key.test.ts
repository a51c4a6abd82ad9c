// A private cluster (--cluster-key): three daemons on one underlay, two with the cluster key and one
// with a different key that tries to join them. The outsider never becomes a cluster member (info
// shows no peers, the members see only each other), never learns the global networks, and the
// VXLAN packets it sends to a member's VTEP for a network's VNI are dropped as 'not-member' and
// counted (tsnet peers NETWORK shows the tunnel drops). A `tsnet switch --join` on a fourth host
// with the key finds the network and reaches a member's container. Everything is removed by
// cleanupAll.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { background, cleanupAll, inNs, makeNetns, onCleanup, trySh } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay, type Underlay } from '../helpers/underlay.js';
import { generateClusterKey } from '../../src/discovery/pnet.js';
import { until } from '../helpers/until.js';

const SWITCH_MAIN = resolve('dist/src/cli/switch-main.js');

const t = suite('private cluster');
let members: TestDaemon[] = [];
let outsider: TestDaemon;
let ul: Underlay;
/** made in before(): uvu imports every test file first, and another suite's cleanupAll would
 *  run a cleanup registered at import time */
let dir = '';


const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;
const knownHosts = (d: TestDaemon) => (d.ok('info').match(/\((up|down),/g) ?? []).length;

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-ck-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  ul = makeUnderlay(4);
  const good = join(dir, 'good.key');
  const wrong = join(dir, 'wrong.key');
  writeFileSync(good, generateClusterKey());
  writeFileSync(wrong, generateClusterKey());
  const first = ul.hosts[0]!.address;
  const args = (i: number, key: string) => ['--advertise', ul.hosts[i]!.address, '--listen', `${ul.hosts[i]!.address}:7946`, '--cluster-key', key, ...(i === 0 ? [] : ['--join', `${first}:7946`])];
  members.push(await startTestDaemon({ hostNs: ul.hosts[0]!.ns, extraArgs: args(0, good) }));
  members.push(await startTestDaemon({ hostNs: ul.hosts[1]!.ns, extraArgs: args(1, good) }));
  outsider = await startTestDaemon({ hostNs: ul.hosts[2]!.ns, extraArgs: args(2, wrong) });
  for (const d of members) await until('the members to see each other', () => upHosts(d) === 1);
});
t.after(() => cleanupAll());

t('a daemon with the wrong cluster key cannot join: no peers, no network records', async () => {
  members[0]!.ok('network', 'create', '-d', 'overlay', 'priv');
  await until('priv on member 2', () => members[1]!.ok('network', 'ls').includes('priv'));
  // the outsider retries its join every anti-entropy period (5 s): give it three of them, then
  // check that nothing got through (an absence has no event to wait for)
  const deadline = Date.now() + 16_000;
  while (Date.now() < deadline) {
    assert.is(knownHosts(outsider), 0, 'the outsider knows no host');
    assert.not.ok(outsider.ok('network', 'ls').includes('priv'), 'the outsider never learns the network');
    for (const d of members) assert.is(knownHosts(d), 1, 'members know only each other');
    await new Promise((r) => setTimeout(r, 1000));
  }
});

t('its VXLAN packets for the network are dropped as not-member and counted', async () => {
  const [net] = JSON.parse(members[0]!.ok('network', 'inspect', 'priv')) as Array<{ Tsnet: { Vni: number } }>;
  const vni = net!.Tsnet.Vni;
  members[0]!.ok('run', '-d', '--name', 'm1', '--net', 'priv', '--', 'sleep', '600');
  const before = JSON.parse(members[0]!.ok('peers', 'priv', '--format', 'json')) as { totals?: { drops: Record<string, number> } };
  const was = before.totals?.drops['not-member'] ?? 0;
  // a broadcast ARP inside VXLAN (RFC 7348 header, I flag, the network's VNI) from the outsider
  const script = `
    const dgram = require('node:dgram');
    const vx = Buffer.alloc(8); vx[0] = 0x08; vx.writeUIntBE(${vni}, 4, 3);
    const eth = Buffer.from('ffffffffffff02aabbccddee0806' + '0001080006040001' + '02aabbccddee' + '0a000163' + '000000000000' + '0a000102', 'hex');
    const s = dgram.createSocket('udp4');
    let n = 0;
    const send = () => s.send(Buffer.concat([vx, eth]), 4789, '${ul.hosts[0]!.address}', () => { if (++n < 5) send(); else s.close(); });
    send();`;
  const r = trySh('ip', ['netns', 'exec', ul.hosts[2]!.ns, process.execPath, '-e', script]);
  assert.is(r.status, 0, r.stderr);
  const after = await until('the drops counted', () => {
    const v = JSON.parse(members[0]!.ok('peers', 'priv', '--format', 'json')) as { totals?: { drops: Record<string, number>; rxFrames: number } };
    return (v.totals?.drops['not-member'] ?? 0) >= was + 5 ? v : undefined;
  });
  assert.is(after.totals!.drops['not-member'], was + 5);
});

t('tsnet switch --join with the cluster key joins the private network and reaches a member', async () => {
  const [net] = JSON.parse(members[0]!.ok('network', 'inspect', 'priv')) as Array<{ IPAM: { Config: Array<{ Subnet: string }> } }>;
  const swIp = net!.IPAM.Config[0]!.Subnet.replace(/\.0\/24$/, '.250');
  const [m1] = JSON.parse(members[0]!.ok('inspect', 'm1')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
  const target = m1!.NetworkSettings.Networks.priv!.IPAddress;
  const h4 = ul.hosts[3]!;
  const ns = makeNetns('ckj');
  const log = join(dir, 'switch.log');
  const sw = background(['nsenter', `--net=/run/netns/${h4.ns}`, process.execPath, SWITCH_MAIN, '--network', 'priv', '--join', `${ul.hosts[0]!.address}:7946`,
    '--advertise', h4.address, '--cluster-listen', `${h4.address}:7946`, '--cluster-key', join(dir, 'good.key'), '--attach', `${ns}=${swIp}/24`], log);
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  await until('the switch to be ready', () => {
    if (sw.exitCode !== null) throw new Error(`the switch exited with ${sw.exitCode}:\n${readLog()}`);
    return /^ready$/m.test(readLog());
  }, 45_000);
  await until(`${ns} -> m1 (${target})`, () => inNs(ns, 'ping', ['-c', '1', '-W', '2', target]).status === 0);
  const exited = new Promise<number | null>((r) => sw.once('exit', (c) => r(c)));
  sw.kill('SIGTERM');
  assert.is(await exited, 0, readLog());
});

t('--cluster-key without --join is refused with one sentence', () => {
  const r = trySh(process.execPath, [SWITCH_MAIN, '--network', 'priv', '--cluster-key', join(dir, 'good.key')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--cluster-key needs --join: it protects the connections to the cluster\./);
});

t.run();
