// Egress NAT (src/control/egress.ts) on real namespaces: the daemon's "host" namespace has an uplink
// veth to an "outside" namespace (203.0.113.1, TEST-NET-3, with no route back to any container
// subnet), so a container reaches it only masqueraded behind the host's 203.0.113.2. Checks: a
// bridge network reaches the outside and the outside sees the host's address; --internal and
// -o masquerade=false networks do not; two masquerading networks still cannot reach each other;
// a daemon restart adds no rule twice; network rm deletes the network's rules; `tsnet run -p`
// publishes a port (curl from outside), moves it with the container's gateway network, refuses
// what it cannot do, and takes its rules away with the container.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, inNs, makeNetns, onCleanup } from '../helpers/netns.js';
import { makeUplink, OUTSIDE_IP, UPLINK_IP } from '../helpers/uplink.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('egress NAT');
let d: TestDaemon;
let outside: string;

t.before(async () => {
  const hostNs = makeNetns('th');
  outside = makeUplink(hostNs);
  d = await startTestDaemon({ hostNs });
});
t.after(() => cleanupAll());

const rules = () => inNs(d.hostNs, 'iptables-save', []).stdout.split('\n').filter((l) => l.includes('tsnet:'));
const networkId = (name: string) => (JSON.parse(d.ok('network', 'inspect', name)) as Array<{ Id: string }>)[0]!.Id;
const pingOutside = (container: string) => d.cli('exec', container, '--', 'ping', '-c', '1', '-W', '2', OUTSIDE_IP);

t('a bridge network reaches the outside, masqueraded behind the host address', async () => {
  d.ok('network', 'create', 'web');
  d.ok('run', '-d', '--name', 'w1', '--net', 'web', '--', 'sleep', '600');
  // what the outside sees: tcpdump there, one ping from the container
  const dump = spawn('ip', ['netns', 'exec', outside, 'tcpdump', '-l', '-n', '-c', '1', '-i', 'any', 'icmp[icmptype] == icmp-echo'], { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => dump.kill('SIGKILL'));
  let seen = '';
  dump.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
  await new Promise((r) => setTimeout(r, 1000)); // tcpdump is listening
  const r = pingOutside('w1');
  assert.is(r.status, 0, r.stdout + r.stderr);
  await new Promise((resolve) => (dump.exitCode !== null ? resolve(null) : dump.once('exit', resolve)));
  assert.match(seen, new RegExp(`${UPLINK_IP.replace(/\./g, '\\.')} > ${OUTSIDE_IP.replace(/\./g, '\\.')}`), seen);
  assert.is(inNs(outside, 'ip', ['route', 'get', '172.18.0.2']).status, 2, 'the outside has no route to any container subnet');
});

t('--internal and -o masquerade=false networks have no way out', () => {
  d.ok('network', 'create', '--internal', 'priv');
  d.ok('network', 'create', '-o', 'masquerade=false', 'closed');
  d.ok('run', '-d', '--name', 'p1', '--net', 'priv', '--', 'sleep', '600');
  d.ok('run', '-d', '--name', 'c1', '--net', 'closed', '--', 'sleep', '600');
  assert.is.not(pingOutside('p1').status, 0);
  assert.is.not(pingOutside('c1').status, 0);
  for (const n of ['priv', 'closed']) assert.is(rules().filter((l) => l.includes(`tsnet:${networkId(n).slice(0, 12)}`)).length, 0, `no rule for ${n}`);
});

t('two masquerading networks stay isolated from each other', () => {
  d.ok('network', 'create', 'web2');
  d.ok('run', '-d', '--name', 'w2', '--net', 'web2', '--', 'sleep', '600');
  assert.is(pingOutside('w2').status, 0);
  const w2Ip = d.ok('inspect', '-f', '{{.NetworkSettings.Networks.web2.IPAddress}}', 'w2').trim();
  const w1Ip = d.ok('inspect', '-f', '{{.NetworkSettings.Networks.web.IPAddress}}', 'w1').trim();
  assert.is.not(d.cli('exec', 'w1', '--', 'ping', '-c', '1', '-W', '1', w2Ip).status, 0, 'web -> web2');
  assert.is.not(d.cli('exec', 'w2', '--', 'ping', '-c', '1', '-W', '1', w1Ip).status, 0, 'web2 -> web');
  assert.is.not(d.cli('exec', 'p1', '--', 'ping', '-c', '1', '-W', '1', w1Ip).status, 0, 'priv -> web');
});

t('a daemon restart adds no rule twice; the containers still get out', async () => {
  const before = rules().sort();
  await d.kill('SIGTERM');
  await d.start();
  assert.equal(rules().sort(), before);
  assert.is(pingOutside('w1').status, 0);
});

t('network rm deletes the network\'s rules, and only those', () => {
  const id = networkId('web2').slice(0, 12);
  assert.ok(rules().some((l) => l.includes(`tsnet:${id}`)));
  d.ok('rm', '-f', 'w2');
  d.ok('network', 'rm', 'web2');
  assert.is(rules().filter((l) => l.includes(`tsnet:${id}`)).length, 0);
  assert.ok(rules().some((l) => l.includes(`tsnet:${networkId('web').slice(0, 12)}`)), 'web keeps its rules');
  assert.is(pingOutside('w1').status, 0);
});

const fetchFromOutside = (port: number) => inNs(outside, 'curl', ['-s', '-m', '2', `http://${UPLINK_IP}:${port}/`]);
const portRules = () => rules().filter((l) => l.includes('tsnet-port:'));

t('tsnet run -p 8081:80 publishes a port; it follows the container to its next network and goes with it', async () => {
  const www = mkdtempSync(join(tmpdir(), 'tsnet-www-'));
  onCleanup(() => rmSync(www, { recursive: true, force: true }));
  writeFileSync(join(www, 'index.html'), 'hello-from-srv\n');
  d.ok('run', '-d', '--name', 'srv', '--net', 'web', '-p', '8081:80', '--', 'busybox', 'httpd', '-f', '-p', '80', '-h', www);
  assert.match(d.ok('ps'), /\s0\.0\.0\.0:8081->80\/tcp\s+web\s+srv\n?$/m, 'ps shows the published port as Docker does');
  const deadline = Date.now() + 15_000;
  while (fetchFromOutside(8081).status !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.is(fetchFromOutside(8081).stdout, 'hello-from-srv\n');
  const [c] = JSON.parse(d.ok('inspect', 'srv')) as Array<{ NetworkSettings: { Ports: Record<string, unknown> } }>;
  assert.equal(c!.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }] });
  // the network that carries the ports goes: they move to the container's next network
  d.ok('network', 'create', 'web3');
  d.ok('network', 'connect', 'web3', 'srv');
  d.ok('network', 'disconnect', 'web', 'srv');
  assert.is(fetchFromOutside(8081).stdout, 'hello-from-srv\n', 'through web3 now');
  assert.ok(portRules().every((l) => !l.includes('172.17.')), 'no rule left towards the old address');
  d.ok('rm', '-f', 'srv');
  assert.equal(portRules(), []);
  assert.is.not(fetchFromOutside(8081).status, 0);
});

t('run -p refuses, with one sentence, a taken host port, a bad spec and a network without egress', () => {
  d.ok('run', '-d', '--name', 'holder', '--net', 'web', '-p', '8082:80', '--', 'sleep', '600');
  const taken = d.cli('run', '-d', '--name', 'second', '--net', 'web', '-p', '8082:80', '--', 'sleep', '600');
  assert.is.not(taken.status, 0);
  assert.match(taken.stderr, /host port 8082\/tcp is already published by container holder/);
  const bad = d.cli('run', '-d', '--name', 'third', '--net', 'web', '-p', '80', '--', 'sleep', '600');
  assert.match(bad.stderr, /-p 80: write it as HOSTPORT:PORT/);
  const closed = d.cli('run', '-d', '--name', 'fourth', '--net', 'priv', '-p', '8083:80', '--', 'sleep', '600');
  assert.match(closed.stderr, /network priv has no way out of this host/);
  for (const name of ['second', 'third', 'fourth']) assert.is.not(d.cli('inspect', name).status, 0, `no container ${name} left half-made`);
  d.ok('rm', '-f', 'holder');
  assert.equal(portRules(), []);
});

t.run();
