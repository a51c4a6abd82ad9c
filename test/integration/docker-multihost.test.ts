// Multi-host Docker through the tsnet plugin: two "hosts" (network + mount namespaces on one underlay),
// each with a real dockerd and a real tsnet daemon, the daemons joined through the DHT (no consul).
// `docker network create -d tsnet -o tsnet.network=multi` on each host maps both Docker networks onto
// one global tsnet overlay; addresses come from each host's claimed block through tsnet's IPAM
// driver, so the hosts never hand out the same address; containers on the two hosts ping each other
// by IP and by name (`docker exec a ping b`: Docker's embedded DNS forwards names it does not know
// to the container's --dns, tsnet's name server on the overlay gateway, which has the other host's
// containers because each plugin learns its containers' names from its dockerd and publishes them).
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
  return c!.NetworkSettings.Networks.dmulti!.IPAddress;
};
const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

t.before(async () => {
  hosts = await startDockerHosts(2);
});
t.after(() => cleanupAll());

t('docker network create -d tsnet on host 1 makes the global overlay multi; host 2 maps onto it', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  h1.dockerd.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--subnet', SUBNET, '-o', 'tsnet.network=multi', '-o', 'tsnet.scope=global', 'dmulti');
  const [net] = JSON.parse(h1.daemon.ok('network', 'inspect', 'multi')) as Array<Record<string, any>>;
  assert.is(net!.Scope, 'global');
  assert.is(net!.Driver, 'overlay');
  await until('multi on host 2', () => h2.daemon.ok('network', 'ls').includes('multi'));
  h2.dockerd.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--ipam-opt', 'tsnet.network=multi', '-o', 'tsnet.network=multi', 'dmulti');
  const [dnet] = JSON.parse(h2.dockerd.ok('network', 'inspect', 'dmulti')) as Array<Record<string, any>>;
  assert.is(dnet!.IPAM.Config[0].Subnet, SUBNET);
});

t('containers on the two hosts get addresses from different blocks of the subnet', () => {
  for (const [i, name] of ['a', 'b'].entries()) {
    hosts[i]!.dockerd.ok('run', '-d', '--name', name, '--net', 'dmulti', '--dns', GATEWAY, 'busybox', 'sleep', '600');
    ips[name] = ipOf(hosts[i]!, name);
  }
  assert.is.not(ips.a, ips.b);
  // per-host blocks are /28 for a /24: the two addresses are in different blocks
  assert.is.not(ipToInt(ips.a!) >> 4, ipToInt(ips.b!) >> 4, `${ips.a} and ${ips.b} come from different blocks`);
});

t('docker exec a ping b (and back) by IP across hosts', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  await until(`a -> ${ips.b}`, () => h1.dockerd.docker('exec', 'a', 'ping', '-c', '1', '-W', '2', ips.b!).status === 0);
  await until(`b -> ${ips.a}`, () => h2.dockerd.docker('exec', 'b', 'ping', '-c', '1', '-W', '2', ips.a!).status === 0);
});

t('docker exec a ping b by name across hosts (embedded DNS forwards to tsnet on the gateway)', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  const ab = await until('a pings b by name', () => {
    const r = h1.dockerd.docker('exec', 'a', 'ping', '-c', '1', '-W', '2', 'b');
    return r.status === 0 ? r : undefined;
  });
  assert.match(ab.stdout, new RegExp(`PING b \\(${ips.b!.replace(/\./g, '\\.')}\\)`));
  const ba = await until('b pings a by name', () => {
    const r = h2.dockerd.docker('exec', 'b', 'ping', '-c', '1', '-W', '2', 'a');
    return r.status === 0 ? r : undefined;
  });
  assert.match(ba.stdout, new RegExp(`PING a \\(${ips.a!.replace(/\./g, '\\.')}\\)`));
});

t("an address another host's container holds is refused", () => {
  const r = hosts[0]!.dockerd.docker('run', '--rm', '--net', 'dmulti', '--ip', ips.b!, 'busybox', 'true');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, new RegExp(`${ips.b!.replace(/\./g, '\\.')} is already used by b on another host`));
});

t('docker rm -f b: its name and address disappear on host 1; networks are removed on both hosts', async () => {
  const [h1, h2] = hosts as [DockerHost, DockerHost];
  h2.dockerd.ok('rm', '-f', 'b');
  await until('b no longer resolving from a', () => h1.dockerd.docker('exec', 'a', 'nslookup', 'b', GATEWAY).status !== 0);
  h2.dockerd.ok('network', 'rm', 'dmulti');
  h1.dockerd.ok('rm', '-f', 'a');
  await until('host 1 may remove multi (no endpoints left in the cluster)', () => h1.dockerd.docker('network', 'rm', 'dmulti').status === 0);
  for (const h of hosts) await until(`multi gone on ${h.ns}`, () => !h.daemon.ok('network', 'ls').includes('multi'));
});

t.run();
