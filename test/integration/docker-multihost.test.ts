// Multi-host Docker through the tsnet plugin: two "hosts" (network + mount namespaces on one underlay),
// each with a real dockerd and a real tsnet daemon, the daemons joined through the DHT (no consul).
// One `docker network create -d tsnet -o tsnet.network=multi -o tsnet.scope=global multi` on host 1
// makes the global tsnet overlay, and host 2's plugin creates the Docker network multi mapped onto it
// (removed again when host 1 removes it), as Docker 1.9's swarm did with consul; addresses come from each host's claimed block through tsnet's IPAM
// driver, so the hosts never hand out the same address; containers on the two hosts ping each other
// by IP and by name with no --dns (`docker exec ca ping cb`, as in Docker 1.9: each plugin learns its
// containers' names from its dockerd and publishes them; each plugin writes the names its containers
// can see into their /etc/hosts; tsnet's name server on the overlay gateway answers the same names).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupAll } from '../helpers/netns.js';
import { startDockerHosts, type DockerHost } from '../helpers/dockerd-host.js';

const t = suite('docker multi-host');
let hosts: DockerHost[] = [];
const SUBNET = '10.77.0.0/24';
const GATEWAY = '10.77.0.1';
const ips: Record<string, string> = {};

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) {
      const logs = hosts.map((h, i) => `--- host ${i + 1} daemon ---\n${h.daemon.log.slice(-15).join('')}--- host ${i + 1} plugin ---\n${h.dockerd.pluginLog.slice(-10).join('')}`).join('\n');
      throw new Error(`timed out waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ipOf = (h: DockerHost, name: string) => {
  const [c] = JSON.parse(h.dockerd.ok('inspect', name)) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
  return c!.NetworkSettings.Networks.multi!.IPAddress;
};
const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

t.before(async () => {
  hosts = await startDockerHosts(2);
});
t.after(() => cleanupAll());

t('one docker network create on host 1: the global overlay multi, and a Docker network multi on host 2 too', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  h1.dockerd.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--subnet', SUBNET, '-o', 'tsnet.network=multi', '-o', 'tsnet.scope=global', 'multi');
  const [net] = JSON.parse(h1.daemon.ok('network', 'inspect', 'multi')) as Array<Record<string, any>>;
  assert.is(net!.Scope, 'global');
  assert.is(net!.Driver, 'overlay');
  assert.is(net!.Options.docker, 'true', 'made through Docker: mirrored into every host\'s Docker');
  await until('multi on host 2', () => h2.daemon.ok('network', 'ls').includes('multi'));
  // host 2's plugin creates the Docker network (as Docker 1.9's swarm had it on every node)
  const dnet = await until('Docker network multi on host 2', () => {
    const r = h2.dockerd.docker('network', 'inspect', 'multi');
    return r.status === 0 ? (JSON.parse(r.stdout) as Array<Record<string, any>>)[0] : undefined;
  });
  assert.is(dnet!.Driver, 'tsnet');
  assert.is(dnet!.IPAM.Driver, 'tsnet');
  assert.is(dnet!.IPAM.Config[0].Subnet, SUBNET);
  assert.is(dnet!.Labels['tsnet.mirror'], 'true');
  // host 1's own Docker network is the only one there: its plugin made no second one
  assert.is(h1.dockerd.ok('network', 'ls', '--filter', 'driver=tsnet', '-q').trim().split('\n').length, 1);
  // mapping by hand still explains a missing subnet
  const noSubnet = h2.dockerd.docker('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--ipam-opt', 'tsnet.network=multi', '-o', 'tsnet.network=multi', 'dmulti');
  assert.is.not(noSubnet.status, 0);
  assert.match(noSubnet.stderr, /also pass --subnet 10\.77\.0\.0\/24/);
});

t('containers on the two hosts get addresses from different blocks of the subnet', async () => {
  for (const [i, name] of ['ca', 'cb'].entries()) {
    hosts[i]!.dockerd.ok('run', '-d', '--name', name, '--net', 'multi', 'busybox', 'sleep', '600');
    ips[name] = ipOf(hosts[i]!, name);
  }
  // Docker's Join carries no name: each plugin asks its dockerd and tells its tsnet daemon
  for (const [i, name] of ['ca', 'cb'].entries()) {
    await until(`host ${i + 1} learns the name ${name}`, () => hosts[i]!.daemon.log.join('').includes(`belongs to container ${name}`));
  }
  assert.is.not(ips.ca, ips.cb);
  // per-host blocks are /28 for a /24: the two addresses are in different blocks
  assert.is.not(ipToInt(ips.ca!) >> 4, ipToInt(ips.cb!) >> 4, `${ips.ca} and ${ips.cb} come from different blocks`);
});

t('docker exec ca ping cb (and back) by IP across hosts', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  await until(`ca -> ${ips.cb}`, () => h1.dockerd.docker('exec', 'ca', 'ping', '-c', '1', '-W', '2', ips.cb!).status === 0);
  await until(`cb -> ${ips.ca}`, () => h2.dockerd.docker('exec', 'cb', 'ping', '-c', '1', '-W', '2', ips.ca!).status === 0);
});

const hostsFileOf = (h: DockerHost, name: string) => h.dockerd.ok('exec', name, 'cat', '/etc/hosts');

t('docker exec ca ping cb by name across hosts, with no --dns (tsnet keeps the names in /etc/hosts)', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  const cbLine = await until('cb in the /etc/hosts of ca', () => hostsFileOf(h1, 'ca').split('\n').find((l) => l.startsWith(`${ips.cb}\t`)));
  // its name, its Docker aliases (Docker gives each container its short id), name.network
  assert.match(cbLine, new RegExp(`^${ips.cb!.replace(/\./g, '\\.')}\tcb( [0-9a-f]{12})? cb\.multi\t# tsnet$`));
  const caHosts = hostsFileOf(h1, 'ca');
  assert.match(caHosts, /^127\.0\.0\.1\tlocalhost$/m, "Docker's lines stay");
  assert.not.match(caHosts, new RegExp(`^${ips.ca!.replace(/\./g, '\\.')}\t.*# tsnet`, 'm'), 'no line of its own');
  const ab = await until('ca pings cb by name', () => {
    const r = h1.dockerd.docker('exec', 'ca', 'ping', '-c', '1', '-W', '2', 'cb');
    return r.status === 0 ? r : undefined;
  });
  assert.match(ab.stdout, new RegExp(`PING cb \\(${ips.cb!.replace(/\./g, '\\.')}\\)`));
  const ba = await until('cb pings ca by name', () => {
    const r = h2.dockerd.docker('exec', 'cb', 'ping', '-c', '1', '-W', '2', 'ca');
    return r.status === 0 ? r : undefined;
  });
  assert.match(ba.stdout, new RegExp(`PING ca \\(${ips.ca!.replace(/\./g, '\\.')}\\)`));
});

t('a restarted plugin keeps the hosts files of containers joined before it started', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  // Docker does not join ca again: the new plugin finds it in the daemon's records
  await h1.dockerd.restartPlugin();
  h2.dockerd.ok('run', '-d', '--name', 'cc', '--net', 'multi', 'busybox', 'sleep', '600');
  const ccIp = ipOf(h2, 'cc');
  await until('cc in the /etc/hosts of ca', () => hostsFileOf(h1, 'ca').includes(`${ccIp}\tcc `));
  h2.dockerd.ok('rm', '-f', 'cc');
  await until('cc gone from the /etc/hosts of ca', () => !hostsFileOf(h1, 'ca').includes('\tcc '));
});

t("an address another host's container holds is refused", () => {
  const r = hosts[0]!.dockerd.docker('run', '--rm', '--net', 'multi', '--ip', ips.cb!, 'busybox', 'true');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, new RegExp(`${ips.cb!.replace(/\./g, '\\.')} is already used by cb on another host`));
});

t('kill -9 of host 2\'s tsnet daemon: after its restart ca reaches cb by name again (republished)', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  await h2.daemon.kill('SIGKILL');
  await until('cb gone from host 1 (host 2 down)', () => h1.dockerd.docker('exec', 'ca', 'nslookup', 'cb', GATEWAY).status !== 0, 60_000);
  await h2.daemon.start();
  await until('ca pings cb by name again', () => h1.dockerd.docker('exec', 'ca', 'ping', '-c', '1', '-W', '2', 'cb').status === 0, 60_000);
});

t('docker rm -f cb: its name and address disappear on host 1; one docker network rm removes multi on both hosts', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  h2.dockerd.ok('rm', '-f', 'cb');
  await until('cb no longer resolving from ca', () => h1.dockerd.docker('exec', 'ca', 'nslookup', 'cb', GATEWAY).status !== 0);
  await until('cb gone from the /etc/hosts of ca', () => !hostsFileOf(h1, 'ca').includes('\tcb '));
  assert.is(hostsFileOf(h1, 'ca').includes('# tsnet'), false, 'no tsnet line left: no other container on the network');
  h1.dockerd.ok('rm', '-f', 'ca');
  await until('host 1 may remove multi (no endpoints left in the cluster)', () => h1.dockerd.docker('network', 'rm', 'multi').status === 0);
  for (const h of hosts) await until(`multi gone on ${h.ns}`, () => !h.daemon.ok('network', 'ls').includes('multi'));
  // host 2's plugin removes the Docker network it made
  await until('Docker network multi gone on host 2', () => h2.dockerd.docker('network', 'inspect', 'multi').status !== 0);
});

t.run();
