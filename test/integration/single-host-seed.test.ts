// The seed's single-host session, command for command, with tsnet instead of docker, on real
// namespaces and TAP devices: create frontend, run rose, ping rose by name from a second container,
// inspect, create backend, connect/disconnect rose (eth1 comes and goes), isolation between
// networks (no reachability, no names), and a daemon restart (SIGTERM, then kill -9) with rose
// still pingable afterwards.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll, ip, makeNetns, makeVeth, onCleanup, sh, uniqueName } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('single-host seed session');
let d: TestDaemon;

// A real upstream name server the daemon forwards to: dnsmasq in a namespace of its own, reached
// from the daemon's "host" namespace over a veth (10.253.0.1 -> 10.253.0.2).
async function startUpstreamDns(hostNs: string): Promise<string> {
  const dnsNs = makeNetns('tdns');
  makeVeth({ name: uniqueName('vd'), ns: hostNs }, { name: uniqueName('vu'), ns: dnsNs });
  const [hostIf] = JSON.parse(sh('ip', ['-n', hostNs, '-j', 'link', 'show', 'type', 'veth'])) as Array<{ ifname: string }>;
  const [dnsIf] = JSON.parse(sh('ip', ['-n', dnsNs, '-j', 'link', 'show', 'type', 'veth'])) as Array<{ ifname: string }>;
  ip('-n', hostNs, 'addr', 'add', '10.253.0.1/30', 'dev', hostIf!.ifname);
  ip('-n', hostNs, 'link', 'set', hostIf!.ifname, 'up');
  ip('-n', dnsNs, 'addr', 'add', '10.253.0.2/30', 'dev', dnsIf!.ifname);
  ip('-n', dnsNs, 'link', 'set', dnsIf!.ifname, 'up');
  const dnsmasq = spawn('ip', ['netns', 'exec', dnsNs, 'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--listen-address=10.253.0.2', '--bind-interfaces', '--address=/upstream.example/192.0.2.7'], { stdio: 'ignore' });
  onCleanup(() => dnsmasq.kill('SIGKILL'));
  return '10.253.0.2';
}

t.before(async () => {
  const hostNs = makeNetns('th');
  const upstream = await startUpstreamDns(hostNs);
  d = await startTestDaemon({ hostNs, extraArgs: ['--dns', upstream] });
});
t.after(() => cleanupAll());

const ipOf = (addrJson: string, ifname: string) =>
  (JSON.parse(addrJson) as Array<{ ifname: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>)
    .find((l) => l.ifname === ifname)
    ?.addr_info.filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);

t('network create frontend prints a 64-hex id and ls shows it', () => {
  const id = d.ok('network', 'create', 'frontend').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ls = d.ok('network', 'ls');
  assert.match(ls, /NETWORK ID\s+NAME\s+DRIVER\s+SCOPE/);
  assert.match(ls, new RegExp(`${id.slice(0, 12)}\\s+frontend\\s+bridge\\s+local`));
});

t('run -d rose on frontend, then ping -c 4 rose from a second container', () => {
  const id = d.ok('run', '-d', '--name', 'rose', '--net', 'frontend', '--', 'sleep', '600').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const r = d.cli('run', '--rm', '--net', 'frontend', '--', 'ping', '-c', '4', '-W', '2', 'rose');
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /PING rose \(172\.\d+\.0\.2\)/);
  assert.match(r.stdout, /4 packets transmitted, 4 received/);
  assert.not.match(d.ok('ps', '-a'), /tsnet_/, '--rm removed the second container');
});

t('network inspect frontend has the seed shape', () => {
  const [net] = JSON.parse(d.ok('network', 'inspect', 'frontend')) as Array<Record<string, any>>;
  assert.is(net!.Name, 'frontend');
  assert.match(net!.Id, /^[0-9a-f]{64}$/);
  assert.is(net!.Scope, 'local');
  assert.is(net!.Driver, 'bridge');
  assert.is(net!.IPAM.Driver, 'default');
  const containers = Object.values(net!.Containers) as Array<Record<string, string>>;
  assert.is(containers.length, 1);
  const rose = containers[0]!;
  assert.is(rose.Name, 'rose');
  assert.match(rose.EndpointID, /^[0-9a-f]{64}$/);
  const [a, b] = rose.IPv4Address.split('.');
  assert.is(rose.MacAddress, `02:42:${Number(a).toString(16)}:${Number(b).toString(16).padStart(2, '0')}:00:02`);
  assert.match(rose.IPv4Address, /^172\.\d+\.0\.2\/16$/);
  assert.is(rose.IPv6Address, '');
  assert.equal(net!.Options, {});
  assert.ok(net!.Tsnet.Running);
});

t('connect rose to backend: eth0 and eth1 with the right addresses; inspect shows both networks', () => {
  d.ok('network', 'create', 'backend');
  d.ok('network', 'connect', 'backend', 'rose');
  const ns = JSON.parse(d.ok('inspect', '-f', '{{json .NetworkSettings}}', 'rose')) as { Networks: Record<string, { IPAddress: string; IPPrefixLen: number; MacAddress: string; Gateway: string }> };
  const fe = ns.Networks.frontend!;
  const be = ns.Networks.backend!;
  assert.ok(fe && be, 'both networks listed');
  const addrs = d.inContainer('rose', 'ip', ['-j', 'addr']).stdout;
  assert.equal(ipOf(addrs, 'eth0'), [`${fe.IPAddress}/${fe.IPPrefixLen}`]);
  assert.equal(ipOf(addrs, 'eth1'), [`${be.IPAddress}/${be.IPPrefixLen}`]);
  assert.is.not(fe.Gateway, be.Gateway);
});

t('isolation: a container only on backend cannot reach rose on frontend nor resolve frontend names', () => {
  d.ok('run', '-d', '--name', 'lily', '--net', 'backend', '--', 'sleep', '600');
  const fe = (JSON.parse(d.ok('inspect', 'rose')) as Array<any>)[0].NetworkSettings.Networks.frontend.IPAddress as string;
  const ping = d.inContainer('lily', 'ping', ['-c', '2', '-W', '1', fe]);
  assert.is.not(ping.status, 0, `lily reached rose's frontend address ${fe}`);
  // rose is on backend too, so the name resolves, but only to its backend address
  const be = (JSON.parse(d.ok('inspect', 'rose')) as Array<any>)[0].NetworkSettings.Networks.backend.IPAddress as string;
  const dig = d.inContainer('lily', 'dig', ['+short', '+time=2', '+tries=1', 'rose']);
  assert.is(dig.stdout.trim(), be);
  d.ok('run', '-d', '--name', 'tulip', '--net', 'frontend', '--', 'sleep', '600');
  const tulip = d.inContainer('lily', 'dig', ['+short', '+time=2', '+tries=1', 'tulip']);
  assert.is(tulip.stdout.trim(), '', 'a name of frontend only must not resolve on backend');
  assert.is(d.inContainer('rose', 'dig', ['+short', '+time=2', '+tries=1', 'tulip']).status, 0);
  d.ok('rm', '-f', 'lily', 'tulip');
});

t('names tsnet does not own are forwarded to the upstream resolver; TTL of our names is at most 5 s', async () => {
  let r = d.inContainer('rose', 'dig', ['+time=2', '+tries=2', '+noall', '+answer', 'upstream.example']);
  for (let i = 0; i < 20 && !r.stdout.includes('192.0.2.7'); i++) {
    await new Promise((res) => setTimeout(res, 250)); // dnsmasq may still be starting
    r = d.inContainer('rose', 'dig', ['+time=2', '+tries=2', '+noall', '+answer', 'upstream.example']);
  }
  assert.match(r.stdout, /upstream\.example\.\s+\d+\s+IN\s+A\s+192\.0\.2\.7/);
  const own = d.inContainer('rose', 'dig', ['+time=2', '+tries=1', '+noall', '+answer', 'rose']).stdout;
  const ttl = Number(/^rose\.\s+(\d+)/m.exec(own)?.[1]);
  assert.ok(ttl >= 0 && ttl <= 5, `TTL ${ttl}`);
  const ptr = d.inContainer('rose', 'dig', ['+short', '+time=2', '+tries=1', '-x', (JSON.parse(d.ok('inspect', 'rose')) as Array<any>)[0].NetworkSettings.Networks.frontend.IPAddress]).stdout;
  assert.match(ptr, /^rose\.?$/m);
});

t('disconnect rose from backend: eth1 is gone', () => {
  d.ok('network', 'disconnect', 'backend', 'rose');
  const links = JSON.parse(d.inContainer('rose', 'ip', ['-j', 'link']).stdout) as Array<{ ifname: string }>;
  assert.equal(links.map((l) => l.ifname).sort(), ['eth0', 'lo']);
  assert.is(Object.keys((JSON.parse(d.ok('network', 'inspect', 'backend')) as Array<any>)[0].Containers).length, 0);
});

t('daemon restart (SIGTERM, then kill -9) keeps rose running and pingable by name', async () => {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    await d.kill(sig);
    await d.start();
    const r = d.cli('run', '--rm', '--net', 'frontend', '--', 'ping', '-c', '2', '-W', '2', 'rose');
    assert.is(r.status, 0, `after ${sig}: ${r.stderr}${r.stdout}`);
    assert.match(d.ok('ps'), /rose/);
  }
});

t('bad input: one clear sentence and a non-zero exit, state untouched', () => {
  const before = d.ok('network', 'ls');
  const cases: Array<[string[], RegExp]> = [
    [['network', 'create', 'frontend'], /network with name frontend already exists/],
    [['network', 'create', '--subnet', '10.1.0/8', 'x1'], /invalid/i],
    [['network', 'create', '--subnet', '10.9.0.0/16', '--gateway', '10.10.0.1', 'x2'], /gateway/i],
    [['network', 'rm', 'nosuchnet'], /network nosuchnet not found/],
    [['network', 'rm', 'frontend'], /has active endpoints/],
    [['network', 'connect', 'frontend', 'rose'], /already connected/],
    [['run', '--name', 'rose', '--net', 'frontend', '--', 'true'], /already in use/],
    [['network', 'connect', 'nosuchnet', 'rose'], /not found/],
  ];
  for (const [args, re] of cases) {
    const r = d.cli(...args);
    assert.is.not(r.status, 0, `tsnet ${args.join(' ')} should fail`);
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, 'one sentence');
  }
  assert.is(d.ok('network', 'ls'), before);
});

t('cleanup: rm rose, rm networks', () => {
  d.ok('rm', '-f', 'rose');
  d.ok('network', 'rm', 'frontend', 'backend');
  assert.is(d.ok('network', 'ls', '-q').trim(), '');
});

t.run();
