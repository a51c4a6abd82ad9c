// A cluster over an IPv6-only underlay: two daemons whose hosts have only fd00:210::N/64 (no IPv4):
// host 1 with every address given (`--advertise ADDR --listen [ADDR]:7946 --vxlan-bind ADDR`), host 2
// with only `--advertise ADDR --join fd00:210::1` (the default port) and a `tsnet switch --join
// [fd00:210::1]:7946` on a third host, so their cluster node and VTEP listen on [::] by default. A global network created on host 1 appears on host 2, containers on the two
// hosts ping each other by name, the switch's namespace pings them both, and the underlay carried
// VXLAN over IPv6 only.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { background, cleanupAll, inNs, makeNetns, onCleanup } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay, type Underlay } from '../helpers/underlay.js';
import { until } from '../helpers/until.js';

const t = suite('cluster over an IPv6-only underlay');
const SWITCH_MAIN = resolve('dist/src/cli/switch-main.js');
const PORT = 7946;
let ul: Underlay;
const hosts: TestDaemon[] = [];

t.before(async () => {
  ul = makeUnderlay(3, { ipv6: true });
  const first = ul.hosts[0]!.address;
  const [h1, h2] = ul.hosts;
  // host 1 names every address; host 2 gives only --advertise and a bare --join address
  hosts.push(await startTestDaemon({ hostNs: h1!.ns, extraArgs: ['--advertise', first, '--listen', `[${first}]:${PORT}`, '--vxlan-bind', first] }));
  hosts.push(await startTestDaemon({ hostNs: h2!.ns, extraArgs: ['--advertise', h2!.address, '--join', first] }));
  for (const d of hosts) await until('each host to see the other', () => (d.ok('info').match(/\(up,/g) ?? []).length === 1);
});
t.after(() => cleanupAll());

t('a global network created on host 1 appears on host 2', async () => {
  const id = hosts[0]!.ok('network', 'create', 'multi6').trim();
  await until('multi6 on host 2', () => hosts[1]!.ok('network', 'ls').includes(id.slice(0, 12)));
});

t('containers on the two hosts ping each other by name', async () => {
  hosts[0]!.ok('run', '-d', '--name', 'six1', '--net', 'multi6', '--', 'sleep', '600');
  hosts[1]!.ok('run', '-d', '--name', 'six2', '--net', 'multi6', '--', 'sleep', '600');
  for (const [d, from, to] of [[hosts[0]!, 'six1', 'six2'], [hosts[1]!, 'six2', 'six1']] as const) {
    await until(`${from} -> ${to}`, () => d.inContainer(from, 'ping', ['-c', '1', '-W', '2', to]).status === 0);
  }
});

t('the network MTU leaves room for the IPv6 outer header, and full-size frames cross with DF set', async () => {
  for (const d of hosts) {
    const [net] = JSON.parse(d.ok('network', 'inspect', 'multi6')) as Array<{ Tsnet: { Mtu: number } }>;
    assert.is(net!.Tsnet.Mtu, 1500 - 70, `MTU on ${d.hostNs}`);
  }
  const size = String(1500 - 70 - 28);
  const r = await until('six1 -> six2 at full size', () => {
    const p = hosts[0]!.inContainer('six1', 'ping', ['-c', '1', '-W', '2', '-M', 'do', '-s', size, 'six2']);
    return p.status === 0 ? p : undefined;
  });
  assert.match(r.stdout, new RegExp(`${Number(size) + 8} bytes from`));
});

t('tsnet switch --join on a third IPv6 host reaches both containers', async () => {
  const h3 = ul.hosts[2]!;
  const ns = makeNetns('six3');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-sw6-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'switch.log');
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const ips = ['six1', 'six2'].map((name, i) => {
    const [c] = JSON.parse(hosts[i]!.ok('inspect', name)) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; IPPrefixLen: number }> } }>;
    return c!.NetworkSettings.Networks.multi6!;
  });
  const swIp = ips[0]!.IPAddress.replace(/\.\d+$/, '.250');
  const sw = background(['nsenter', `--net=/run/netns/${h3.ns}`, process.execPath, SWITCH_MAIN, '--network', 'multi6',
    '--join', `[${ul.hosts[0]!.address}]:${PORT}`, '--advertise', h3.address, '--attach', `${ns}=${swIp}/${ips[0]!.IPPrefixLen}`], log);
  await until('the switch to be ready', () => {
    if (sw.exitCode !== null) throw new Error(`the switch exited with ${sw.exitCode}:\n${readLog()}`);
    return /^ready$/m.test(readLog());
  }, 60_000);
  for (const c of ips) {
    await until(`the switch's namespace pings ${c.IPAddress}\n${readLog()}`, () => inNs(ns, 'ping', ['-c', '1', '-W', '2', c.IPAddress]).status === 0, 60_000);
  }
  assert.is(sw.exitCode, null, 'the switch still runs');
});

t('the underlay carried VXLAN over IPv6 only', () => {
  const r = inNs(ul.hosts[0]!.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'ul0']);
  assert.is(r.stdout.trim(), '', 'no IPv4 address on the underlay');
  const stats = JSON.parse(hosts[0]!.ok('peers', 'multi6', '--format', 'json')) as { peers?: Array<{ address?: string }> };
  assert.ok(JSON.stringify(stats).includes('fd00:210::2'), `host 2's VTEP is an IPv6 peer (${JSON.stringify(stats).slice(0, 400)})`);
});

t.run();
