// Membership (src/discovery/membership.ts) in isolation over a real, unstarted libp2p host: which
// callbacks a host's signed records trigger, whether they arrive directly from the host or relayed
// in another host's gossip. A relayed record is as good as a direct one (both are signed by the
// host), so a live host's network changes must be reported either way; the direct copy that
// follows is no longer newer and reports nothing twice.
import '../../src/discovery/promise-with-resolvers-shim.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadIdentity, newPrivateKey } from '../../src/discovery/identity.js';
import { createLibp2pHost } from '../../src/discovery/libp2p-host.js';
import { Membership } from '../../src/discovery/membership.js';
import { sign } from '../../src/discovery/signed.js';
import type { HostRecord } from '../../src/discovery/types.js';

const silent = { debug() {}, info() {}, warn() {} };

test('a live host joining and leaving networks is reported whether its record came directly or by gossip', async () => {
  const selfKey = await loadIdentity({ privateKey: await newPrivateKey() });
  const libp2p = await createLibp2pHost(selfKey, { listen: ['127.0.0.1:0'], vtep: '127.0.0.1:4789' });
  const otherKey = await loadIdentity({ privateKey: await newPrivateKey() });
  const events: string[] = [];
  const m = new Membership({
    libp2p,
    self: libp2p.peerId.toString(),
    clock: { now: () => Date.now() },
    log: silent,
    pingIntervalMs: 60_000, // no ping runs during the test
    downAfterMs: 180_000,
    hello: async () => undefined,
    onUp: (h) => events.push(`up [${h.networks}]`),
    onDown: (h) => events.push(`down [${h.networks}]`),
    onChanged: (prev, h) => events.push(`changed [${prev.networks}] -> [${h.networks}]`),
  });
  const hostId = 'other-host';
  const base: HostRecord = { hostId, hostname: 'other', vtep: '127.0.0.2:4789', advertise: '', addrs: [], startedAt: 1000, networks: [], seq: 0 };
  const learn = async (rec: HostRecord, direct: boolean) => m.learn(rec, await sign(otherKey, hostId, rec), direct);
  m.start();
  try {
    assert.ok(await learn(base, true));
    assert.equal(events, ['up []']);
    const joined = { ...base, networks: ['n1'], seq: 1 };
    assert.ok(await learn(joined, false), 'relayed by another host');
    assert.not.ok(await learn(joined, true), 'the same record directly is not newer');
    const left = { ...base, networks: [], seq: 2 };
    assert.ok(await learn(left, true));
    assert.not.ok(await learn(left, false));
    assert.equal(events, ['up []', 'changed [] -> [n1]', 'changed [n1] -> []']);
    assert.ok(m.isLive(hostId));
    const restarted = { ...base, startedAt: 2000, networks: ['n1'], seq: 0 };
    assert.ok(await learn(restarted, false), 'a new incarnation relayed by gossip');
    assert.equal(events.slice(3), ['down []'], 'the old incarnation goes down; no change is reported across incarnations');
    assert.not.ok(m.isLive(hostId));
  } finally {
    m.stop();
    await libp2p.stop();
  }
});

test.run();
