// tsnet as a Docker network + IPAM plugin against a real, private dockerd (test/helpers/dockerd.ts)
// sharing the network namespace of a real tsnet daemon (test/helpers/daemon.ts): network create with
// tsnet's IPAM, docker run and ping by name (Docker's embedded DNS), a tsnet container and a Docker
// container on one switch, connect/disconnect of a second network using Docker's default IPAM and a
// named tsnet network, inspect, a kill -9 of the tsnet daemon with connectivity back afterwards,
// rm -f and network rm leaving nothing behind, and malformed plugin requests answered with Err/Error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { cleanupAll, makeNetns, onCleanup, trySh, uniqueName } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestDockerd, type TestDockerd } from '../helpers/dockerd.js';

const t = suite('docker plugin');
let d: TestDaemon;
let dk: TestDockerd;
let hostNs: string;
let dockerNetId = '';
const second = uniqueName('tsn');

t.before(async () => {
  hostNs = makeNetns('dk');
  d = await startTestDaemon({ hostNs });
  dk = startTestDockerd({ netns: hostNs, apiSocket: d.socket });
});
t.after(() => cleanupAll());

function post(socketPath: string, path: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path, headers: { Accept: 'application/vnd.docker.plugins.v1.2+json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `fn` until it returns true or the deadline passes (no sleeps as synchronisation). */
async function eventually(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}\n--- daemon log ---\n${d.log.slice(-20).join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tunLinks = () =>
  (JSON.parse(trySh('ip', ['-n', hostNs, '-j', '-d', 'link', 'show']).stdout || '[]') as Array<{ ifname: string; linkinfo?: { info_kind?: string } }>)
    .filter((l) => l.linkinfo?.info_kind === 'tun')
    .map((l) => l.ifname);

t('the plugin activates as NetworkDriver + IpamDriver and answers bad JSON with Err/Error', async () => {
  const act = await post(dk.pluginSocket, '/Plugin.Activate', '');
  assert.equal(act.json, { Implements: ['NetworkDriver', 'IpamDriver'] });
  const caps = await post(dk.pluginSocket, '/NetworkDriver.GetCapabilities', '{}');
  assert.equal(caps.json, { Scope: 'local', ConnectivityScope: 'local' });
  const bad = await post(dk.pluginSocket, '/NetworkDriver.CreateNetwork', '{"NetworkID":');
  assert.is(bad.status, 400);
  assert.match(String(bad.json.Err), /not valid JSON/);
  const badIpam = await post(dk.pluginSocket, '/IpamDriver.RequestAddress', '{"PoolID":"0123"}');
  assert.match(String(badIpam.json.Error), /pool 0123 is not known/);
  const notObject = await post(dk.pluginSocket, '/NetworkDriver.Join', '[1,2]');
  assert.match(String(notObject.json.Err), /must be a JSON object/);
  const unknown = await post(dk.pluginSocket, '/NetworkDriver.Frobnicate', '{}');
  assert.is(unknown.status, 404);
  assert.ok(unknown.json.Err);
  assert.is(dk.plugin.exitCode, null, 'the plugin is still running');
});

t('docker network create -d tsnet --ipam-driver tsnet --subnet 10.55.0.0/24 tnet', () => {
  dockerNetId = dk.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--subnet', '10.55.0.0/24', 'tnet').trim();
  assert.match(dockerNetId, /^[0-9a-f]{64}$/);
  const [net] = JSON.parse(dk.ok('network', 'inspect', 'tnet')) as Array<Record<string, any>>;
  assert.is(net!.Driver, 'tsnet');
  assert.is(net!.IPAM.Driver, 'tsnet');
  assert.is(net!.IPAM.Config[0].Subnet, '10.55.0.0/24');
  const [ts] = JSON.parse(d.ok('network', 'inspect', `docker-${dockerNetId.slice(0, 12)}`)) as Array<Record<string, any>>;
  assert.is(ts!.IPAM.Config[0].Subnet, '10.55.0.0/24');
  assert.is(ts!.IPAM.Config[0].Gateway, '10.55.0.1');
});

t('tsnet IPAM refuses an overlapping subnet and picks a free default pool without --subnet', () => {
  const dup = dk.docker('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--subnet', '10.55.0.0/25', 'dup');
  assert.is.not(dup.status, 0);
  assert.match(dup.stderr, /overlaps subnet 10\.55\.0\.0\/24/);
  dk.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', 'tauto');
  const [net] = JSON.parse(dk.ok('network', 'inspect', 'tauto')) as Array<Record<string, any>>;
  assert.match(net!.IPAM.Config[0].Subnet, /^(172|192\.168)\./);
  dk.ok('network', 'rm', 'tauto');
});

t('docker run -d --name ca; docker run --rm busybox ping -c 2 ca (Docker embedded DNS)', () => {
  dk.ok('run', '-d', '--net', 'tnet', '--name', 'ca', 'busybox', 'sleep', '600');
  const [c] = JSON.parse(dk.ok('inspect', 'ca')) as Array<Record<string, any>>;
  const ep = c!.NetworkSettings.Networks.tnet;
  assert.is(ep.IPAddress, '10.55.0.2');
  assert.is(ep.MacAddress, '02:42:0a:37:00:02');
  assert.is(ep.Gateway, '10.55.0.1');
  assert.match(dk.ok('exec', 'ca', 'ip', 'route'), /default via 10\.55\.0\.1 dev eth0/);
  const out = dk.ok('run', '--rm', '--net', 'tnet', 'busybox', 'ping', '-c', '2', '-W', '2', 'ca');
  assert.match(out, /PING ca \(10\.55\.0\.2\)/);
  assert.match(out, /2 packets transmitted, 2 packets received/);
});

t('a tsnet container on the same network gets a free address and reaches the Docker container', () => {
  const r = d.cli('run', '--rm', '--net', `docker-${dockerNetId.slice(0, 12)}`, '--', 'ping', '-c', '1', '-W', '2', '10.55.0.2');
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /1 packets transmitted, 1 received/);
});

t('docker network connect/disconnect a second network (Docker IPAM, -o tsnet.network=NAME)', () => {
  dk.ok('network', 'create', '-d', 'tsnet', '--subnet', '10.56.0.0/24', '-o', `tsnet.network=${second}`, 'tnet2');
  assert.match(d.ok('network', 'ls'), new RegExp(`\\s${second}\\s+bridge`));
  dk.ok('network', 'connect', 'tnet2', 'ca');
  assert.match(dk.ok('exec', 'ca', 'ip', '-4', 'addr', 'show', 'eth1'), /inet 10\.56\.0\.2\/24/);
  const [net] = JSON.parse(dk.ok('network', 'inspect', 'tnet2')) as Array<Record<string, any>>;
  const members = Object.values(net!.Containers) as Array<Record<string, string>>;
  assert.is(members.length, 1);
  assert.is(members[0]!.Name, 'ca');
  assert.is(members[0]!.IPv4Address, '10.56.0.2/24');
  const out = dk.ok('run', '--rm', '--net', 'tnet2', 'busybox', 'ping', '-c', '1', '-W', '2', 'ca');
  assert.match(out, /PING ca \(10\.56\.0\.2\)/);
  dk.ok('network', 'disconnect', 'tnet2', 'ca');
  assert.is.not(dk.docker('exec', 'ca', 'ip', 'link', 'show', 'eth1').status, 0, 'eth1 is gone');
  dk.ok('network', 'rm', 'tnet2');
  assert.not.match(d.ok('network', 'ls'), new RegExp(second), 'the tsnet network made for tnet2 is removed');
});

t('kill -9 of the tsnet daemon: running containers ping each other again after the restart', async () => {
  dk.ok('run', '-d', '--net', 'tnet', '--name', 'cb', 'busybox', 'sleep', '600');
  assert.match(dk.ok('exec', 'cb', 'ping', '-c', '1', '-W', '2', 'ca'), /1 packets received/);
  await d.kill('SIGKILL');
  assert.is.not(dk.docker('exec', 'cb', 'ping', '-c', '1', '-W', '1', 'ca').status, 0, 'no switch, no ping');
  await d.start();
  await eventually('cb pings ca after the restart', () => dk.docker('exec', 'cb', 'ping', '-c', '1', '-W', '1', 'ca').status === 0);
  // the daemon's stderr arrives through a pipe: wait for the line rather than read it at once
  await eventually('the daemon logs the re-attach', () => /docker endpoint [0-9a-f]{12} re-attached \(eth0 in /.test(d.log.join('')));
});

t('docker stop and docker start: the container leaves and joins again, reachable by name; docker restart too', async () => {
  const ipOf = () => (JSON.parse(dk.ok('inspect', 'cb')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>)[0]!.NetworkSettings.Networks.tnet!.IPAddress;
  // tsnet events sees the Docker endpoint leave and join (subscribed once a throwaway network shows)
  const events = spawn(process.execPath, [CLI, '--host', d.socket, 'events', '-f', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.docker}}'], { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => events.kill('SIGKILL'));
  let seen = '';
  events.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
  await eventually('tsnet events to follow', () => {
    if (seen.includes('evwarm')) return true;
    d.ok('network', 'create', 'evwarm');
    d.ok('network', 'rm', 'evwarm');
    return false;
  });
  dk.ok('stop', '-t', '1', 'cb');
  assert.is.not(dk.docker('exec', 'ca', 'ping', '-c', '1', '-W', '1', 'cb').status, 0, 'a stopped container has no endpoint');
  dk.ok('start', 'cb');
  assert.match(ipOf(), /^10\.55\.0\.\d+$/);
  await eventually('ca pings cb by name after docker start', () => dk.docker('exec', 'ca', 'ping', '-c', '1', '-W', '1', 'cb').status === 0);
  assert.match(dk.ok('exec', 'cb', 'ping', '-c', '1', '-W', '2', 'ca'), /1 packets received/);
  dk.ok('restart', '-t', '1', 'cb');
  await eventually('ca pings cb by name after docker restart', () => dk.docker('exec', 'ca', 'ping', '-c', '1', '-W', '1', 'cb').status === 0);
  const endpoints = (JSON.parse(dk.ok('network', 'inspect', 'tnet')) as Array<{ Containers: Record<string, { Name: string }> }>)[0]!.Containers;
  assert.equal(Object.values(endpoints).map((c) => c.Name).sort(), ['ca', 'cb'], 'one endpoint each, none left over from the stops');
  const tnetName = `docker-${dockerNetId.slice(0, 12)}`;
  await eventually('the events of both stops and starts', () => seen.split(`connect ${tnetName} true`).length - 1 >= 4);
  assert.equal(seen.split('\n').filter((l) => l.includes(tnetName)), [`disconnect ${tnetName} true`, `connect ${tnetName} true`, `disconnect ${tnetName} true`, `connect ${tnetName} true`]);
  events.kill('SIGINT');
});

t('docker rm -f and docker network rm leave nothing behind', async () => {
  dk.ok('rm', '-f', 'ca', 'cb');
  // the tsnet network made for tnet is Docker's to remove: tsnet's rm refuses, prune keeps it
  const tnetName = `docker-${dockerNetId.slice(0, 12)}`;
  const rm = d.cli('network', 'rm', tnetName);
  assert.is(rm.status, 4, rm.stderr);
  assert.match(rm.stderr, new RegExp(`^tsnet: network ${tnetName} was made for Docker network ${dockerNetId.slice(0, 12)}; remove that with \`docker network rm\`\.\n$`));
  assert.not.match(d.ok('network', 'prune', '-f'), new RegExp(tnetName));
  assert.match(d.ok('network', 'ls'), new RegExp(tnetName));
  dk.ok('network', 'rm', 'tnet');
  assert.not.match(d.ok('network', 'ls'), /docker-/);
  assert.equal(tunLinks().filter((n) => n.startsWith('tsd')), []);
  const summary = await new Promise<Record<string, unknown[]>>((resolve, reject) => {
    request({ socketPath: d.socket, path: '/v1/docker' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown[]>));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(summary, { Networks: [], Pools: [], Endpoints: [] });
});

t.run();
