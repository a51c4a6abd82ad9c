// Discovery testnets in one process: real libp2p nodes (TCP on 127.0.0.1, ephemeral ports, noise,
// yamux, kad-dht) joined through one bootstrap given as host:port. Covers joining, global network
// definitions, endpoint records (versions, tombstones), liveness and rejoin, anti-entropy after a
// partition, IPAM block claims under contention, name claims and conflicting definitions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import {
  createDiscoveryNode, newPrivateKey, type DiscoveryNode, type EndpointRecord, type NetworkDefinition,
} from '../../src/discovery/index.js';
import { TsnetError } from '../../src/errors.js';

const FAST = { pingIntervalMs: 300, downAfterMs: 900, antiEntropyIntervalMs: 700 };
const nodes: DiscoveryNode[] = [];

async function startNode(name: string, join: string[], extra: Partial<Parameters<typeof createDiscoveryNode>[0]> = {}) {
  const n = await createDiscoveryNode({ listen: ['127.0.0.1:0'], join, vtep: `127.0.0.1:${4789}`, hostname: name, ...FAST, ...extra });
  await n.start();
  nodes.push(n);
  return n;
}

/** host:port of a node, without its peer id (the id is learned in the handshake). */
function hostPort(n: DiscoveryNode): string {
  const m = /\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(n.addresses()[0])!;
  return `${m[1]}:${m[2]}`;
}

async function cluster(count: number, extra: Partial<Parameters<typeof createDiscoveryNode>[0]> = {}) {
  const boot = await startNode('h0', [], extra);
  const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => startNode(`h${i + 1}`, [hostPort(boot)], extra)));
  const all = [boot, ...rest];
  await until(() => all.every((n) => n.peers().length === count - 1), 'every node sees all others');
  return all;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 15_000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function stopAll() {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
}

function netDef(name: string, vni: number, createdAt = Date.now()): NetworkDefinition {
  return {
    id: randomBytes(32).toString('hex'), name, driver: 'overlay', subnet: '10.20.0.0/16', gateway: '10.20.0.1',
    vni, options: {}, createdBy: 'test', createdAt,
  };
}

function ep(networkId: string, id: string, name: string, ipv4: string) {
  return { networkId, endpointId: id.padEnd(64, '0'), name, aliases: [], ipv4, mac: '02:42:0a:14:00:02' };
}

test.after.each(stopAll);

test('nodes join through a host:port bootstrap and a network published on A is found on C by name and id', async () => {
  const [a, , c, d] = await cluster(4);
  const def = netDef('frontend', 4001);
  const won = await a.publishNetwork(def);
  assert.is(won.id, def.id);
  await until(async () => (await c.findNetwork('frontend'))?.id === def.id, 'C finds the network by name');
  assert.equal((await c.findNetwork(def.id))?.name, 'frontend');
  await until(() => d.listNetworks().some((n) => n.id === def.id), 'D lists the network');
  const peer = c.peers().find((p) => p.hostId === a.peerId)!;
  assert.is(peer.vtep, '127.0.0.1:4789');
  assert.is(peer.host.hostname, 'h0');
  await until(() => c.peers().every((p) => p.rttMs !== undefined), 'pings measured RTT');
  await a.removeNetwork('frontend');
  await until(async () => (await c.findNetwork('frontend')) === null, 'C no longer finds the removed network');
});

test('endpoint records propagate, higher versions win, tombstones delete', async () => {
  const [a, b, c] = await cluster(3);
  const net = 'ab'.repeat(32);
  for (const n of [a, b, c]) await n.joinNetwork(net);
  await until(() => [a, b, c].every((n) => n.membersOf(net).length === 2), 'all are members');
  const seen: Array<[string, string, string]> = [];
  c.onEndpoint((_n, r, kind) => seen.push([r.name, r.ipv4, kind]));
  const rec = await a.publishEndpoint(ep(net, 'e1', 'web1', '10.20.0.2'));
  assert.is(rec.hostId, a.peerId);
  await until(() => c.endpoints(net).some((r) => r.name === 'web1'), 'C sees web1');
  await until(() => b.endpoints(net).some((r) => r.name === 'web1'), 'B sees web1');
  await a.publishEndpoint(ep(net, 'e1', 'web1', '10.20.0.9'));
  await until(() => c.endpoints(net).find((r) => r.name === 'web1')?.ipv4 === '10.20.0.9', 'update reaches C');
  assert.ok(c.endpoints(net).find((r) => r.name === 'web1')!.version > rec.version);
  await a.removeEndpoint(net, 'e1'.padEnd(64, '0'));
  await until(() => !c.endpoints(net).some((r) => r.name === 'web1'), 'tombstone reaches C');
  assert.equal(seen, [['web1', '10.20.0.2', 'upsert'], ['web1', '10.20.0.9', 'upsert'], ['web1', '10.20.0.9', 'delete']]);
  assert.is(a.addressInUse(net, '10.20.0.9'), undefined);
});

test('a stopped host is reported down with its endpoints deleted; restarted with the same key it rejoins', async () => {
  const key = await newPrivateKey();
  const [a, b] = await cluster(2);
  const c = await startNode('h2', [hostPort(a)], { privateKey: key });
  await until(() => a.peers().length === 2 && b.peers().length === 2, 'C joined');
  const net = 'cd'.repeat(32);
  for (const n of [a, b, c]) await n.joinNetwork(net);
  await c.publishEndpoint(ep(net, 'c1', 'db1', '10.20.1.2'));
  await until(() => a.endpoints(net).some((r) => r.name === 'db1'), 'A sees db1');
  // C's endpoint push can reach A before C's host record listing the network (a debounced hello):
  // only a host A knows as a member of the network can be reported down there.
  const isMember = (n: DiscoveryNode, host: DiscoveryNode) => n.membersOf(net).some((h) => h.hostId === host.peerId);
  await until(() => isMember(a, c) && isMember(b, c), 'A and B know C as a member of the network');
  const events: string[] = [];
  a.onMember((_n, h, kind) => events.push(`${h.hostname}:${kind}`));
  a.onEndpoint((_n, r, kind) => events.push(`${r.name}:${kind}`));
  await c.stop();
  await until(() => !a.peers().some((p) => p.hostId === c.peerId) && !b.peers().some((p) => p.hostId === c.peerId), 'C is down on A and B');
  assert.ok(events.includes('h2:down') && events.includes('db1:delete'), events.join(','));
  assert.not.ok(a.endpoints(net).some((r) => r.name === 'db1'));
  nodes.splice(nodes.indexOf(c), 1);
  const c2 = await startNode('h2', [hostPort(b)], { privateKey: key });
  assert.is(c2.peerId, c.peerId);
  await c2.publishEndpoint(ep(net, 'c1', 'db1', '10.20.1.2'));
  await until(() => a.endpoints(net).some((r) => r.name === 'db1') && b.endpoints(net).some((r) => r.name === 'db1'), 'db1 is back');
  // the endpoint push and C's host record (which makes A report C up on the network) travel apart
  await until(() => events.includes('h2:up') && isMember(a, c2) && isMember(b, c2), 'A reports C up on the network again');
});

test('anti-entropy converges after a partition', async () => {
  const blocked = new Set<string>();
  const allowPeer = (self: () => string) => (peer: string) => !(blocked.has(self() + '|' + peer) || blocked.has(peer + '|' + self()));
  let aId = '';
  let bId = '';
  const a = await startNode('pa', [], { allowPeer: allowPeer(() => aId) });
  aId = a.peerId;
  const b = await startNode('pb', [hostPort(a)], { allowPeer: allowPeer(() => bId) });
  bId = b.peerId;
  await until(() => a.peers().length === 1 && b.peers().length === 1, 'A and B connected');
  const net = 'ef'.repeat(32);
  await a.joinNetwork(net);
  await b.joinNetwork(net);
  await b.publishEndpoint(ep(net, 'b1', 'old', '10.20.2.2'));
  await until(() => a.endpoints(net).some((r) => r.name === 'old'), 'A sees old');
  blocked.add(aId + '|' + bId);
  await a.libp2p.hangUp(b.libp2p.peerId);
  await until(() => a.peers().length === 0, 'A sees B down');
  await b.removeEndpoint(net, 'b1'.padEnd(64, '0'));
  await b.publishEndpoint(ep(net, 'b2', 'new', '10.20.2.3'));
  blocked.clear();
  await until(() => a.endpoints(net).map((r) => r.name).join() === 'new', 'A converges to B\'s set');
});

test('three hosts claiming blocks concurrently never share a block', async () => {
  const all = await cluster(3);
  const net = '12'.repeat(32);
  const results = await Promise.all(
    all.flatMap((n) => Array.from({ length: 20 }, () => n.claimBlock(net, '10.30.0.0/16', 24, { preferIndex: 0 }).then((cidr) => [n.peerId, cidr] as const))),
  );
  const owners = new Map<string, string>();
  for (const [host, cidr] of results) {
    assert.not.ok(owners.has(cidr), `block ${cidr} claimed by ${owners.get(cidr)} and ${host}`);
    owners.set(cidr, host);
  }
  assert.is(owners.size, 60);
  await until(() => all.every((n) => n.listBlocks(net).length === 60), 'every host lists all 60 claims');
  for (const n of all) {
    const seen = new Set(n.listBlocks(net).map((b) => b.cidr));
    assert.is(seen.size, 60);
    for (const b of n.listBlocks(net)) assert.is(owners.get(b.cidr), b.hostId);
  }
});

test('container names are unique across live hosts', async () => {
  const [a, b] = await cluster(2);
  await a.claimName('cluster', 'demo1', 'c-a');
  await a.claimName('cluster', 'demo1', 'c-a'); // idempotent for the same owner
  const err = await b.claimName('cluster', 'demo1', 'c-b').catch((e) => e);
  assert.instance(err, TsnetError);
  assert.is(err.code, 'ENAME_IN_USE');
  assert.match(err.message, 'container name demo1 is already used on host h0');
  await a.releaseName('cluster', 'demo1');
  await b.claimName('cluster', 'demo1', 'c-b');
  const results = await Promise.allSettled([a.claimName('cluster', 'race', 'x'), b.claimName('cluster', 'race', 'y')]);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
});

test('conflicting definitions of one name resolve to the same winner everywhere', async () => {
  const all = await cluster(3);
  const t = Date.now();
  const d1 = netDef('shared', 5001, t);
  const d2 = netDef('shared', 5002, t);
  const expected = d1.id < d2.id ? d1.id : d2.id;
  await Promise.allSettled([all[0].publishNetwork(d1), all[1].publishNetwork(d2)]);
  await until(
    async () => (await Promise.all(all.map((n) => n.findNetwork('shared')))).every((d) => d?.id === expected),
    'every host picks the smallest id',
  );
  for (const n of all) assert.is(n.listNetworks().filter((d) => d.name === 'shared').length, 1);
});

test.run();
