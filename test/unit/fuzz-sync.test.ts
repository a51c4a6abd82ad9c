// Fuzzing of the msgpackr control messages between hosts (SECURITY.md): two real libp2p discovery nodes
// in this process; the second one opens '/tsnet/sync/1.0.0' streams to the first and writes seeded
// random bytes, mutations of real messages (hello, endpoints, digest, claim) and well-formed messages
// with wrong field types, each as one length-prefixed frame. Also the decoders that read DHT values
// (decodeSigned, open, the validators and selectors) on random and mutated bytes. Nothing may escape
// as an uncaught exception, and afterwards the target still sees its peer and still converges: a
// network published on the other node appears in its catalogue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { lpStream } from '@libp2p/utils';
import { createDiscoveryNode, type DiscoveryNode } from '../../src/discovery/index.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { SYNC_PROTOCOL } from '../../src/discovery/constants.js';
import { decodeSigned, open, packr, sign } from '../../src/discovery/signed.js';
import { selectors, validators } from '../../src/discovery/dht-records.js';
import { DEFAULT_SEED, mutate, randomJson, rng } from '../helpers/fault-rng.js';

// --- our choice: budgets ---
const STREAM_MESSAGES = 600;
const DECODER_INPUTS = 5000;

const FAST = { pingIntervalMs: 300, downAfterMs: 900, antiEntropyIntervalMs: 700 };

async function until(cond: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const hostPort = (n: DiscoveryNode) => {
  const m = /\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(n.addresses()[0]!)!;
  return `${m[1]}:${m[2]}`;
};

const netDef = (name: string, vni: number) => ({
  id: randomBytes(32).toString('hex'), name, driver: 'overlay' as const, subnet: '10.77.0.0/16', gateway: '10.77.0.1', vni, options: {}, createdBy: 'fuzz', createdAt: Date.now(),
});

test(`sync protocol: ${STREAM_MESSAGES} hostile frames from a connected peer; the target survives and converges (seed ${DEFAULT_SEED + 3})`, async () => {
  const r = rng(DEFAULT_SEED + 3);
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const target = await createDiscoveryNode({ listen: ['127.0.0.1:0'], join: [], vtep: '127.0.0.1:4789', hostname: 'target', ...FAST });
  await target.start();
  const attacker = await createDiscoveryNode({ listen: ['127.0.0.1:0'], join: [hostPort(target)], vtep: '127.0.0.2:4789', hostname: 'attacker', ...FAST });
  await attacker.start();
  try {
    await until(() => target.peers().length === 1 && attacker.peers().length === 1, 'the two nodes see each other');
    const net = netDef('fuzznet', 5001);
    await target.publishNetwork(net);
    await target.joinNetwork(net.id);
    await attacker.joinNetwork(net.id);
    const from = attacker.libp2p.peerId.toString();
    // a host record claiming to be the attacker's, signed with another key
    const forged = await sign(await generateKeyPair('Ed25519'), from, { hostId: from, networks: [net.id], seq: 1e9 });
    // real-looking messages to mutate, and well-formed ones with the wrong types inside
    const goodRec = { networkId: net.id, endpointId: 'e'.repeat(64), name: 'x', aliases: [], ipv4: '10.77.0.9', mac: '02:42:0a:4d:00:09', vtep: '127.0.0.2:4789', hostId: from, version: 1 };
    const seeds = [
      packr.pack({ t: 'endpoints', networkId: net.id, records: [goodRec], full: false }),
      packr.pack({ t: 'digest', digests: { [net.id]: 'abc' } }),
      packr.pack({ t: 'hello', host: forged, hosts: [forged], networks: [forged], claims: [forged] }),
      packr.pack({ t: 'claim', claim: forged }),
      packr.pack({ t: 'stale', networks: [net.id] }),
    ];
    const shaped = () =>
      packr.pack(
        r.pick([
          { t: 'hello', host: randomJson(r), hosts: randomJson(r), networks: randomJson(r), claims: randomJson(r) },
          { t: 'endpoints', networkId: r.bool() ? net.id : randomJson(r), records: randomJson(r), full: randomJson(r) },
          { t: 'digest', digests: randomJson(r) },
          { t: 'claim', claim: randomJson(r) },
          { t: randomJson(r) },
          randomJson(r),
        ]),
      );
    let answered = 0;
    for (let i = 0; i < STREAM_MESSAGES; i++) {
      const kind = i % 3;
      const frame = kind === 0 ? r.bytes(r.int(200)) : kind === 1 ? mutate(r, r.pick(seeds)) : shaped();
      const stream = await attacker.libp2p.dialProtocol(target.libp2p.peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) });
      try {
        const lp = lpStream(stream);
        await lp.write(frame, { signal: AbortSignal.timeout(5000) });
        await lp.read({ signal: AbortSignal.timeout(5000) });
        answered++;
        await stream.close();
      } catch {
        stream.abort(new Error('fuzz: target refused the frame'));
      }
    }
    assert.ok(answered > 0, 'some frames were answered (the handler ran)');
    assert.equal(uncaught, [], 'no uncaught exception or unhandled rejection in the process');
    // still alive and converging
    await until(() => target.peers().length === 1, 'the target still sees the attacker as live');
    const later = netDef('after-fuzz', 5002);
    await attacker.publishNetwork(later);
    await until(() => target.listNetworks().some((n) => n.id === later.id), 'a network published after the fuzz reaches the target');
    assert.ok(target.listNetworks().some((n) => n.id === net.id), 'the target kept its own network');
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await Promise.all([attacker.stop(), target.stop()]);
  }
});

test(`DHT value decoders: ${DECODER_INPUTS} random and mutated values throw only Errors (caught by kad-dht) (seed ${DEFAULT_SEED + 4})`, async () => {
  const r = rng(DEFAULT_SEED + 4);
  const key = await generateKeyPair('Ed25519');
  const signer = peerIdFromPrivateKey(key).toString();
  const rec = netDef('dht', 5003);
  const env = await sign(key, signer, rec);
  const seed = Buffer.from(packr.pack(env));
  const keyBytes = new TextEncoder().encode('/tsnet-net/abc');
  let rejected = 0;
  for (let i = 0; i < DECODER_INPUTS; i++) {
    const v = new Uint8Array(i % 2 ? r.bytes(r.int(150)) : mutate(r, seed));
    for (const fn of [() => decodeSigned(v), () => open(decodeSigned(v)), ...Object.values(validators).map((f) => () => f(keyBytes, v))]) {
      try {
        await fn();
      } catch (e) {
        assert.instance(e, Error, 'a decoder threw a non-Error value');
        rejected++;
      }
    }
    for (const sel of Object.values(selectors)) {
      const idx = sel(keyBytes, [v, seed]);
      assert.ok(idx === 0 || idx === 1, 'a selector picks one of the values');
    }
  }
  assert.ok(rejected > 0);
});

test.run();
