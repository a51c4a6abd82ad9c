// `tsnet network connect` with namespaces tsnet did not make: a named namespace (`ip netns add`)
// and a /proc/PID/ns/net path of a process in an unnamed namespace. Each gets an interface on the
// network's switch, reaches a tsnet container, resolves its name, and loses the interface on
// disconnect (the namespace itself stays: it is the user's).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cleanupAll, inNs, makeNetns, onCleanup, trySh } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const t = suite('connect namespaces tsnet did not make');
let d: TestDaemon;

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.77.0.0/24', 'ext');
  d.ok('run', '-d', '--name', 'target', '--net', 'ext', '--ip', '10.77.0.10', '--', 'sleep', '600');
});
t.after(() => cleanupAll());

t('a named namespace joins the network, pings and resolves a container, and leaves', () => {
  const ns = makeNetns('tusr');
  d.ok('network', 'connect', '--ip', '10.77.0.50', 'ext', ns);
  const addr = JSON.parse(inNs(ns, 'ip', ['-j', 'addr', 'show', 'eth0']).stdout)[0];
  assert.is(addr.address, '02:42:0a:4d:00:32');
  assert.ok(addr.addr_info.some((a: { local: string }) => a.local === '10.77.0.50'));
  assert.is(inNs(ns, 'ping', ['-c', '2', '-W', '2', '10.77.0.10']).status, 0);
  assert.not.ok(existsSync(`/etc/netns/${ns}`), 'no /etc/netns files written for a namespace tsnet did not make');
  // names: query the network's name server on the gateway directly (the namespace has no /etc/netns files of ours)
  assert.is(inNs(ns, 'dig', ['+short', '+time=2', '+tries=1', '@10.77.0.1', 'target']).stdout.trim(), '10.77.0.10');
  d.ok('network', 'disconnect', 'ext', ns);
  assert.ok(!trySh('ip', ['-n', ns, '-br', 'link']).stdout.includes('eth0'));
  assert.ok(trySh('ip', ['netns', 'list']).stdout.includes(ns), 'the namespace is the user\'s: it stays');
});

t('a /proc/PID/ns/net path joins the network too', async () => {
  const holder = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  onCleanup(() => holder.kill('SIGKILL'));
  const pid = holder.pid!;
  const path = `/proc/${pid}/ns/net`;
  await until('the unshared process', () => trySh('readlink', [path]).stdout !== trySh('readlink', ['/proc/self/ns/net']).stdout);
  d.ok('network', 'connect', 'ext', path);
  const ping = trySh('nsenter', [`--net=${path}`, 'ping', '-c', '2', '-W', '2', '10.77.0.10']);
  assert.is(ping.status, 0, ping.stdout + ping.stderr);
  const containers = Object.values((JSON.parse(d.ok('network', 'inspect', 'ext')) as Array<any>)[0].Containers) as Array<{ Name: string }>;
  assert.is(containers.length, 2);
  d.ok('network', 'disconnect', 'ext', path);
  assert.ok(!trySh('nsenter', [`--net=${path}`, 'ip', '-br', 'link']).stdout.includes('eth0'));
});

t.run();
