// `tsnet network attach|detach NETWORK --iface DEV` end to end: a namespace tsnet did not make, with
// an address in the network's subnet, joins the network's L2 segment through a veth whose other end
// is bridged into the switch with libpcap; it pings a tsnet container, shows up in the MAC table,
// stays attached across a daemon restart, and is cut off again by detach.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupAll, ip, makeNetns, makeVeth, inNs, uniqueName } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('observe: network attach --iface');
let d: TestDaemon;
let outsider: string;
let dev: string;
let roseIp = '';

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pingRose = () => inNs(outsider, 'ping', ['-c', '1', '-W', '1', roseIp]).status === 0;

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '172.30.0.0/16', 'ext');
  d.ok('run', '-d', '--name', 'rose', '--net', 'ext', '--', 'sleep', '600');
  roseIp = (JSON.parse(d.ok('inspect', 'rose')) as Array<any>)[0].NetworkSettings.Networks.ext.IPAddress;
  outsider = makeNetns('tout');
  dev = uniqueName('tap'); // the daemon's end: any name tsnet does not own
  makeVeth({ name: dev, ns: d.hostNs }, { name: 'eth0x', ns: outsider });
  ip('-n', outsider, 'addr', 'add', '172.30.0.200/16', 'dev', 'eth0x');
  ip('-n', outsider, 'link', 'set', 'eth0x', 'up');
});
t.after(() => cleanupAll());

t('before attach, the outsider cannot reach rose', () => {
  assert.not.ok(pingRose());
});

t('attach bridges the interface in: ping works, the MAC table has the outsider', async () => {
  const out = d.ok('network', 'attach', 'ext', '--iface', dev);
  assert.match(out, new RegExp(`${dev} attached to ext \\(port iface:${dev}\\)`));
  await until('the outsider to reach rose', pingRose);
  const mac = JSON.parse(inNs(outsider, 'ip', ['-j', 'link', 'show', 'eth0x']).stdout)[0].address as string;
  assert.match(d.ok('fdb', 'ext'), new RegExp(`${mac}\\s+iface:${dev}\\s+-\\s+learned`));
  const [net] = JSON.parse(d.ok('network', 'inspect', 'ext')) as Array<any>;
  assert.equal(net.Tsnet.AttachedInterfaces, [dev]);
  assert.ok(net.Tsnet.Ports.some((p: { Name: string; Kind: string }) => p.Name === `iface:${dev}` && p.Kind === 'pcap-iface'));
});

t('the attachment is persisted across a daemon restart', async () => {
  await d.kill('SIGTERM');
  await d.start();
  inNs(outsider, 'ip', ['neigh', 'flush', 'all']);
  await until('the outsider to reach rose again', pingRose);
});

t('errors: unknown interface, attached twice, detach of an interface not attached', () => {
  let r = d.cli('network', 'attach', 'ext', '--iface', 'nosuchdev0');
  assert.is(r.status, 3);
  assert.match(r.stderr, /interface nosuchdev0 does not exist/);
  r = d.cli('network', 'attach', 'ext', '--iface', dev);
  assert.is(r.status, 4);
  assert.match(r.stderr, /already attached to network ext/);
  r = d.cli('network', 'detach', 'ext', '--iface', 'nosuchdev0');
  assert.is(r.status, 3);
  assert.match(r.stderr, /not attached to network ext/);
  r = d.cli('network', 'attach', 'ext');
  assert.is(r.status, 2);
});

t('detach cuts the outsider off again', async () => {
  assert.match(d.ok('network', 'detach', 'ext', '--iface', dev), new RegExp(`${dev} detached from ext`));
  inNs(outsider, 'ip', ['neigh', 'flush', 'all']);
  assert.not.ok(pingRose());
  const [net] = JSON.parse(d.ok('network', 'inspect', 'ext')) as Array<any>;
  assert.equal(net.Tsnet.AttachedInterfaces, []);
});

t('cleanup', () => {
  d.ok('rm', '-f', 'rose');
  d.ok('network', 'rm', 'ext');
});

t.run();
