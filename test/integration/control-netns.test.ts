// Integration tests of the namespace plumbing (src/control/netns.ts, netns-etc.ts, host-routes.ts)
// against real kernel objects: named namespaces, veth pairs moved and renamed into namespaces,
// addresses/MTU/MAC/routes checked with `ip -j`, rollback on failure, /proc/PID/ns/net targets of a
// real process, per-namespace /etc files. Everything made here is removed (test/helpers/netns.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TsnetError } from '../../src/errors.js';
import {
  attachLink,
  configureLink,
  deleteDefaultRoute,
  deleteLink,
  deleteNamedNetns,
  ensureNamedNetns,
  linkExists,
  listAddresses,
  listLinks,
  moveLinkIntoNetns,
  namedNetnsExists,
  nsRefOf,
  removeNetnsEtc,
  resolveNetnsTarget,
  setDefaultRoute,
  writeNetnsEtc,
} from '../../src/control/netns.js';
import { readHostRoutes } from '../../src/control/host-routes.js';
import { cleanupAll, inNs, ip, makeNetns, makeVeth, onCleanup, trySh, uniqueName } from '../helpers/netns.js';

const t = suite('control netns');
t.after(() => cleanupAll());

async function rejectsWith(p: Promise<unknown>, code: string): Promise<TsnetError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, TsnetError);
    assert.is((err as TsnetError).code, code, (err as Error).message);
    return err as TsnetError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

/** A veth pair made inside namespace `ns` (so nothing touches the root namespace). */
function vethIn(ns: string): [string, string] {
  const a = uniqueName('tva');
  const b = uniqueName('tvb');
  ip('-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  return [a, b];
}

t('ensure / exists / delete a named namespace', async () => {
  const name = uniqueName('tsn');
  onCleanup(() => trySh('ip', ['netns', 'del', name]));
  assert.not.ok(await namedNetnsExists(name));
  const target = await ensureNamedNetns(name);
  assert.equal(target, { path: `/var/run/netns/${name}`, name });
  assert.ok(await namedNetnsExists(name));
  assert.equal(await ensureNamedNetns(name), target); // idempotent
  const lo = (await listLinks(name)).find((l) => l.name === 'lo');
  assert.ok(lo?.up, 'loopback is up');
  assert.ok(await deleteNamedNetns(name));
  assert.not.ok(await deleteNamedNetns(name));
  await rejectsWith(ensureNamedNetns('../etc'), 'ENETNS_INVALID');
});

t('move a veth end into a namespace as eth0 and configure it', async () => {
  const src = makeNetns('tss');
  const dst = makeNetns('tsd');
  const [a, b] = vethIn(src);
  await moveLinkIntoNetns(a, src, dst, 'eth0');
  assert.not.ok(await linkExists(src, a));
  assert.ok(await linkExists(dst, 'eth0'));
  await configureLink({ ns: dst, name: 'eth0', mac: '02:42:ac:13:00:02', mtu: 1450, addresses: ['172.19.0.2/16'], up: true });
  ip('-n', src, 'link', 'set', b, 'up');
  const [eth0] = await listAddresses(dst, 'eth0');
  assert.is(eth0!.mac, '02:42:ac:13:00:02');
  assert.is(eth0!.mtu, 1450);
  assert.ok(eth0!.up);
  assert.equal(eth0!.addresses.filter((x) => !x.startsWith('fe80:')), ['172.19.0.2/16']);
  // cross-check with a raw `ip -j addr`
  const raw = JSON.parse(ip('-n', dst, '-j', 'addr', 'show', 'dev', 'eth0'))[0];
  assert.is(raw.addr_info[0].local, '172.19.0.2');
  await setDefaultRoute(dst, '172.19.0.1', 'eth0');
  const routes = JSON.parse(ip('-n', dst, '-j', 'route', 'show', 'default'));
  assert.is(routes[0].gateway, '172.19.0.1');
  assert.is(routes[0].dev, 'eth0');
  const hostRoutes = await readHostRoutes(dst);
  assert.ok(hostRoutes.includes('172.19.0.0/16'), hostRoutes.join(','));
  assert.not.ok(hostRoutes.some((r) => r === '0.0.0.0/0' || r === 'default'));
  assert.ok(await deleteDefaultRoute(dst));
  assert.not.ok(await deleteDefaultRoute(dst));
  assert.ok(await deleteLink(dst, 'eth0'));
  assert.not.ok(await deleteLink(dst, 'eth0'));
  assert.not.ok(await linkExists(src, b)); // deleting one end removes the pair
});

t('configureLink rolls back: MAC and MTU restored, no address left', async () => {
  const ns = makeNetns('tsr');
  const [a] = vethIn(ns);
  const [before] = await listAddresses(ns, a);
  const err = await rejectsWith(configureLink({ ns, name: a, mac: '02:42:0a:00:00:09', mtu: 1400, addresses: ['10.9.0.2/24', '10.9.0.300/24'], up: true }), 'ELINK_CONFIG');
  assert.ok(err.message.includes('10.9.0.300/24'), err.message);
  assert.not.ok(err.message.includes('\n'));
  const [after] = await listAddresses(ns, a);
  assert.is(after!.mac, before!.mac);
  assert.is(after!.mtu, before!.mtu);
  assert.equal(after!.addresses, []);
  assert.not.ok(after!.up);
});

t('attachLink with an invalid MTU moves the link back under its old name', async () => {
  const src = makeNetns('tsa');
  const dst = makeNetns('tsb');
  const [a] = vethIn(src);
  const err = await rejectsWith(attachLink({ link: a, fromNs: src, toNs: dst, name: 'eth0', mtu: 70000, addresses: ['10.8.0.2/24'], up: true }), 'ELINK_CONFIG');
  assert.ok(err.message.includes('MTU 70000'), err.message);
  assert.not.ok(await linkExists(dst, 'eth0'));
  assert.ok(await linkExists(src, a));
  const [back] = await listAddresses(src, a);
  assert.equal(back!.addresses, []);
  // and the happy path, with a default route
  await attachLink({ link: a, fromNs: src, toNs: dst, name: 'eth1', mtu: 1400, addresses: ['10.8.0.2/24'], up: true, defaultGateway: '10.8.0.1' });
  const [eth1] = await listAddresses(dst, 'eth1');
  assert.equal(eth1!.addresses.filter((x) => !x.startsWith('fe80:')), ['10.8.0.2/24']);
  assert.is(JSON.parse(ip('-n', dst, '-j', 'route', 'show', 'default'))[0].dev, 'eth1');
});

t('attachLink from the daemon namespace moves back there on failure', async () => {
  const dst = makeNetns('tsh');
  const [a, b] = makeVeth({}, {});
  await rejectsWith(attachLink({ link: a, fromNs: null, toNs: dst, name: 'eth0', mtu: 70000 }), 'ELINK_CONFIG');
  assert.ok(await linkExists(null, a));
  assert.not.ok(await linkExists(dst, 'eth0'));
  trySh('ip', ['link', 'del', b]);
});

t('resolveNetnsTarget: named, /proc/PID/ns/net of a real process, and errors', async () => {
  const ns = makeNetns('tsp');
  assert.equal(await resolveNetnsTarget(ns), { path: `/var/run/netns/${ns}`, name: ns });
  assert.equal(await resolveNetnsTarget(`/var/run/netns/${ns}`), { path: `/var/run/netns/${ns}`, name: ns });
  // `ip netns exec` execs the command, so the child's PID is the sleep's
  const child = spawn('ip', ['netns', 'exec', ns, 'sleep', '300'], { stdio: 'ignore' });
  const pid = child.pid!;
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const path = `/proc/${pid}/ns/net`;
  // wait until the process has entered the namespace (its ns link equals the named one)
  const want = trySh('stat', ['-L', '-c', '%i', `/var/run/netns/${ns}`]).stdout.trim();
  const deadline = Date.now() + 10_000;
  while (trySh('stat', ['-L', '-c', '%i', path]).stdout.trim() !== want) {
    assert.ok(Date.now() < deadline, 'sleep never entered the namespace');
    await new Promise((r) => setTimeout(r, 20));
  }
  const target = await resolveNetnsTarget(path);
  assert.equal(target, { path });
  // plumbing through the /proc path (nsenter) reaches the same namespace
  const [a] = vethIn(ns);
  await configureLink({ ns: nsRefOf(target), name: a, mtu: 1300, addresses: ['10.7.0.2/24'], up: true });
  const seen = JSON.parse(ip('-n', ns, '-j', 'addr', 'show', 'dev', a))[0];
  assert.is(seen.mtu, 1300);
  await moveLinkIntoNetns(a, path, ns, 'eth5');
  assert.ok(await linkExists(ns, 'eth5'));
  child.kill('SIGKILL');

  await rejectsWith(resolveNetnsTarget(uniqueName('nope')), 'ENETNS_NOT_FOUND');
  await rejectsWith(resolveNetnsTarget('/proc/999999999/ns/net'), 'ENETNS_NOT_FOUND');
  const notNs = await rejectsWith(resolveNetnsTarget('/etc/hostname'), 'ENETNS_INVALID');
  assert.ok(notNs.message.includes('is not a network namespace'));
  await rejectsWith(resolveNetnsTarget('proc/1/ns/net'), 'ENETNS_INVALID');
});

t('writeNetnsEtc files are what `ip netns exec` shows; removeNetnsEtc removes them', async () => {
  const ns = makeNetns('tse');
  onCleanup(() => trySh('rm', ['-rf', `/etc/netns/${ns}`]));
  await writeNetnsEtc(ns, { resolvConf: 'nameserver 172.19.0.1\noptions ndots:0\n', hosts: '127.0.0.1 localhost\n172.19.0.2 web\n' });
  assert.is(inNs(ns, 'cat', ['/etc/resolv.conf']).stdout, 'nameserver 172.19.0.1\noptions ndots:0\n');
  assert.ok(inNs(ns, 'cat', ['/etc/hosts']).stdout.includes('172.19.0.2 web'));
  await writeNetnsEtc(ns, { resolvConf: 'nameserver 172.20.0.1\n', hosts: '127.0.0.1 localhost\n' });
  assert.is(inNs(ns, 'cat', ['/etc/resolv.conf']).stdout, 'nameserver 172.20.0.1\n');
  await removeNetnsEtc(ns);
  assert.not.ok(existsSync(`/etc/netns/${ns}`));
  await removeNetnsEtc(ns);
});

t('readHostRoutes of the daemon namespace runs and leaves out default routes', async () => {
  const routes = await readHostRoutes(null, 'all');
  assert.not.ok(routes.some((r) => r === '0.0.0.0/0' || r === '::/0'));
  assert.ok(routes.every((r) => r.includes('/')));
});

t.run();
