// Sealing of overlay packets (src/dataplane/overlay-crypto.ts) on its own and inside the tunnel port
// (vxlan-port.ts) over two real VTEPs on loopback: round trip, tampering, replay, sender binding,
// key rotation with two keys accepted, no plaintext on the wire, unsealed packets refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import {
  createOverlaySealer, REPLAY_WINDOW, SEAL_AAD_LEN, SEAL_OVERHEAD, senderIdOf, type OverlayKey, type OverlaySealer,
} from '../../src/dataplane/overlay-crypto.js';
import { createSwitch, type Switch } from '../../src/dataplane/switch.js';
import { createMemoryPort, type MemoryPort } from '../../src/dataplane/memory-port.js';
import { createVtep, type Vtep } from '../../src/dataplane/vtep.js';
import { createVxlanPort, SEAL_ARENA_BYTES, type VxlanPort } from '../../src/dataplane/vxlan-port.js';
import { buildEthernet, ETHERTYPE_IPV4, writeVxlanHeader } from '../../src/wire/index.js';

const cleanups: Array<() => unknown> = [];
test.after.each(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const K1: OverlayKey = { id: 1, key: randomBytes(32), activeFrom: 0 };
const MARK = Buffer.from('PLAINTEXT-MARKER-0123456789');

/** A VXLAN packet (header + frame) in a buffer with headroom, like the tunnel port hands to seal(). */
function packet(payload: Buffer = MARK): { buf: Buffer; off: number; len: number } {
  const frame = buildEthernet({ dst: '02:00:00:00:00:0b', src: '02:00:00:00:00:0a', ethertype: ETHERTYPE_IPV4, payload });
  const buf = Buffer.alloc(64 + frame.length);
  frame.copy(buf, 64);
  writeVxlanHeader(buf, 56, 42);
  return { buf, off: 56, len: frame.length + 8 };
}

function pair(clock: () => number = () => 1_000_000): { tx: OverlaySealer; rx: OverlaySealer } {
  const tx = createOverlaySealer({ localAddress: '10.9.0.1', clock });
  const rx = createOverlaySealer({ localAddress: '10.9.0.2', clock });
  tx.setKeys([K1]);
  rx.setKeys([K1]);
  return { tx, rx };
}

/** Seals one packet and returns a copy of the sealed bytes. */
function sealOne(tx: OverlaySealer, payload?: Buffer): Buffer {
  const p = packet(payload);
  const n = tx.seal(p.buf, p.off, p.len);
  assert.ok(n > 0, `seal failed: ${n}`);
  return Buffer.from(tx.out.subarray(0, n));
}

test('round trip: ciphertext hides the frame, open restores it exactly', () => {
  const { tx, rx } = pair();
  const p = packet();
  const sealed = sealOne(tx);
  assert.is(sealed.length, p.len + SEAL_OVERHEAD);
  assert.equal(sealed.subarray(0, 8), p.buf.subarray(p.off, p.off + 8), 'the VXLAN header stays in clear');
  assert.is(sealed.indexOf(MARK), -1, 'no plaintext in the sealed packet');
  assert.is(sealed.readUInt32BE(12), senderIdOf('10.9.0.1'));
  const n = rx.open(sealed, 0, sealed.length, 0, '10.9.0.1');
  assert.is(n, p.len - 8);
  assert.equal(sealed.subarray(SEAL_AAD_LEN, SEAL_AAD_LEN + n), p.buf.subarray(p.off + 8, p.off + p.len));
  assert.is(rx.counters.opened, 1);
  assert.equal(rx.counters.drops, {});
});

test('the input frame is not modified (it may be flooded to other ports)', () => {
  const { tx } = pair();
  const p = packet();
  const before = Buffer.from(p.buf);
  tx.seal(p.buf, p.off, p.len);
  assert.equal(p.buf, before);
});

test('tampering with the ciphertext, the tag, or the authenticated header is dropped and counted', () => {
  const { tx, rx } = pair();
  for (const at of [SEAL_AAD_LEN + 3, -1, 5 /* VNI byte */, 10 /* reserved */]) {
    const s = sealOne(tx);
    const i = at < 0 ? s.length + at : at;
    s[i] ^= 0x01;
    assert.ok(rx.open(s, 0, s.length, 0, '10.9.0.1') < 0);
  }
  assert.is(rx.counters.drops['crypto-auth-failed'], 4);
  assert.is(rx.counters.opened, 0);
  // a good packet after the bad ones still opens (bad ones did not move the replay window)
  const ok = sealOne(tx);
  assert.ok(rx.open(ok, 0, ok.length, 0, '10.9.0.1') > 0);
});

test('replay: the same packet twice is dropped; reordering inside the window is accepted', () => {
  const { tx, rx } = pair();
  const a = sealOne(tx);
  const b = sealOne(tx);
  const c = sealOne(tx);
  assert.ok(rx.open(Buffer.from(c), 0, c.length, 0, '10.9.0.1') > 0);
  assert.ok(rx.open(Buffer.from(a), 0, a.length, 0, '10.9.0.1') > 0, 'older but inside the window');
  assert.ok(rx.open(Buffer.from(a), 0, a.length, 0, '10.9.0.1') < 0, 'replayed');
  assert.ok(rx.open(Buffer.from(b), 0, b.length, 0, '10.9.0.1') > 0);
  assert.ok(rx.open(Buffer.from(c), 0, c.length, 0, '10.9.0.1') < 0, 'replayed');
  assert.is(rx.counters.drops['crypto-replay'], 2);
  // a packet older than the window is refused even if never seen
  const old = sealOne(tx);
  for (let i = 0; i < REPLAY_WINDOW; i++) sealOne(tx);
  const fresh = sealOne(tx);
  assert.ok(rx.open(fresh, 0, fresh.length, 0, '10.9.0.1') > 0);
  assert.ok(rx.open(old, 0, old.length, 0, '10.9.0.1') < 0);
  assert.is(rx.counters.drops['crypto-replay'], 3);
});

test('a restarted sender continues above its old sequence numbers (clock-based start)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const { tx, rx } = pair(clock);
  const s = sealOne(tx);
  assert.ok(rx.open(s, 0, s.length, 0, '10.9.0.1') > 0);
  now += 1; // the new incarnation starts one millisecond later
  const tx2 = createOverlaySealer({ localAddress: '10.9.0.1', clock });
  tx2.setKeys([K1]);
  const s2 = sealOne(tx2);
  assert.ok(rx.open(s2, 0, s2.length, 0, '10.9.0.1') > 0);
  assert.ok(rx.open(s, 0, s.length, 0, '10.9.0.1') < 0, 'the old incarnation cannot be replayed');
});

test('a packet replayed from another member address is refused (sender id bound to the source)', () => {
  const { tx, rx } = pair();
  const s = sealOne(tx);
  assert.ok(rx.open(Buffer.from(s), 0, s.length, 1, '10.9.0.3') < 0);
  assert.is(rx.counters.drops['crypto-sender-mismatch'], 1);
  assert.ok(rx.open(s, 0, s.length, 0, '10.9.0.1') > 0);
});

test('no key or no local address: nothing is sent, the drop is counted', () => {
  const s = createOverlaySealer({ clock: () => 5 });
  const p = packet();
  assert.ok(s.seal(p.buf, p.off, p.len) < 0);
  assert.is(s.counters.drops['crypto-no-key'], 1);
  s.setKeys([K1]);
  assert.ok(s.seal(p.buf, p.off, p.len) < 0);
  assert.is(s.counters.drops['crypto-no-sender'], 1);
  s.setLocalAddress('10.9.0.1');
  assert.ok(s.seal(p.buf, p.off, p.len) > 0);
});

test('rotation: the next key is accepted before use, the old one during the window, then refused', () => {
  let now = 1_000_000;
  const clock = () => now;
  const K2: OverlayKey = { id: 2, key: randomBytes(32), activeFrom: now + 10_000 };
  const tx = createOverlaySealer({ localAddress: '10.9.0.1', clock, rotationWindowMs: 30_000 });
  const rx = createOverlaySealer({ localAddress: '10.9.0.2', clock, rotationWindowMs: 30_000 });
  tx.setKeys([K1, K2]);
  rx.setKeys([K1, K2]);
  assert.equal(rx.keyState(), { sending: 1, accepted: [1, 2] });
  const oldKeyPacket = sealOne(tx);
  assert.is(oldKeyPacket[8], 1);
  now += 10_000;
  tx.setKeys([K1, K2]); // control-path refresh (the hot path re-reads the clock every 64 packets)
  const newKeyPacket = sealOne(tx);
  assert.is(newKeyPacket[8], 2, 'the sender switched at activeFrom');
  assert.ok(rx.open(newKeyPacket, 0, newKeyPacket.length, 0, '10.9.0.1') > 0);
  assert.ok(rx.open(oldKeyPacket, 0, oldKeyPacket.length, 0, '10.9.0.1') > 0, 'a packet sealed with the old key, in flight, still opens');
  now += 30_001;
  assert.equal(rx.keyState(), { sending: 2, accepted: [2] });
  const late = sealOne(createSealerWith(K1, clock));
  assert.ok(rx.open(late, 0, late.length, 0, '10.9.0.1') < 0);
  assert.is(rx.counters.drops['crypto-unknown-key'], 1);
});

function createSealerWith(k: OverlayKey, clock: () => number): OverlaySealer {
  const s = createOverlaySealer({ localAddress: '10.9.0.1', clock });
  s.setKeys([{ ...k, activeFrom: 0 }]);
  return s;
}

test('the hot path picks up a scheduled key without a control-path call', () => {
  let now = 1_000_000;
  const K2: OverlayKey = { id: 2, key: randomBytes(32), activeFrom: now + 1 };
  const tx = createOverlaySealer({ localAddress: '10.9.0.1', clock: () => now });
  tx.setKeys([K1, K2]);
  now += 2;
  let last = 0;
  for (let i = 0; i < 200; i++) last = sealOne(tx)[8];
  assert.is(last, 2);
});

test('bad keys are refused with a stable code', () => {
  const s = createOverlaySealer();
  assert.throws(() => s.setKeys([{ id: 0, key: randomBytes(32), activeFrom: 0 }]), (e: Error & { code?: string }) => e.code === 'ECRYPTO_BAD_KEY');
  assert.throws(() => s.setKeys([{ id: 3, key: randomBytes(16), activeFrom: 0 }]), (e: Error & { code?: string }) => e.code === 'ECRYPTO_BAD_KEY');
});

// ---------------------------------------------------------------- through the tunnel port

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Side { v: Vtep; sw: Switch; tun: VxlanPort; local: MemoryPort; addr: string }

async function side(name: string, addr: string, sealer?: OverlaySealer): Promise<Side> {
  const v = createVtep({ address: addr, port: 0, sendSockets: 0 });
  await v.start();
  cleanups.push(() => v.stop());
  const sw = createSwitch({ name });
  const local = createMemoryPort(`${name}-c`);
  sw.addPort(local);
  const tun = createVxlanPort({ vtep: v, vni: 42, sealer });
  tun.attach(sw);
  cleanups.push(() => sw.close());
  return { v, sw, tun, local, addr };
}

function sealerFor(addr: string): OverlaySealer {
  const s = createOverlaySealer({ localAddress: addr });
  s.setKeys([K1]);
  return s;
}

const frame = (dst: string, src: string): Buffer => buildEthernet({ dst, src, ethertype: ETHERTYPE_IPV4, payload: Buffer.concat([MARK, Buffer.alloc(40)]) });

test('two encrypted tunnel ports: frames cross both ways, the wire carries no plaintext', async () => {
  const a = await side('encA', '127.0.0.1', sealerFor('127.0.0.1'));
  const b = await side('encB', '127.0.0.2', sealerFor('127.0.0.2'));
  // a sniffer peer on A's tunnel sees exactly what goes on the wire
  const sniff = dgram.createSocket('udp4');
  const wire: Buffer[] = [];
  sniff.on('message', (m) => wire.push(m));
  await new Promise<void>((r) => sniff.bind(0, '127.0.0.3', () => r()));
  cleanups.push(() => new Promise<void>((r) => sniff.close(() => r())));
  a.tun.addPeer('127.0.0.2', b.v.localAddress().port);
  a.tun.addPeer('127.0.0.3', sniff.address().port);
  b.tun.addPeer('127.0.0.1', a.v.localAddress().port);
  const f = frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a');
  a.local.inject(f);
  await until(() => b.local.sent.length === 1 && wire.length === 1, 'the flooded frame at B and at the sniffer');
  assert.equal(b.local.sent[0].frame, f);
  assert.is(wire[0].indexOf(MARK), -1, 'no plaintext on the wire');
  assert.is(wire[0].length, 8 + f.length + SEAL_OVERHEAD);
  const back = frame('02:00:00:00:00:0a', '02:00:00:00:00:0b');
  b.local.inject(back);
  await until(() => a.local.sent.length === 1, 'the unicast reply at A');
  assert.equal(a.local.sent[0].frame, back);
  assert.equal(a.tun.counters.drops, {});
  assert.equal(b.tun.counters.drops, {});
  // the sniffer replays what it captured to B: refused, counted at the port and the VTEP
  const replay = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((r) => replay.close(() => r())));
  await new Promise<void>((r) => replay.bind(0, '127.0.0.1', () => r()));
  replay.send(wire[0], b.v.localAddress().port, '127.0.0.2');
  await until(() => (b.tun.counters.drops['crypto-replay'] ?? 0) === 1, 'the replay drop');
  assert.is(b.v.counters.drops['crypto-replay'], 1);
  assert.is(b.local.sent.length, 1);
});

test('a burst of sealed frames leaves together (UDP GSO), wraps the send arena, and arrives whole and in order', async () => {
  const a = await side('encF', '127.0.0.1', sealerFor('127.0.0.1'));
  const b = await side('encG', '127.0.0.2', sealerFor('127.0.0.2'));
  a.tun.addPeer('127.0.0.2', b.v.localAddress().port);
  b.tun.addPeer('127.0.0.1', a.v.localAddress().port);
  // 120 full-size frames, then jumbo ones: together more than the arena holds, so it wraps mid-burst
  const burst: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; bytes < SEAL_ARENA_BYTES * 1.5; i++) {
    const payload = Buffer.alloc(i < 120 ? 1500 : 9000, i & 0xff);
    payload.writeUInt32BE(i, 0);
    burst.push(buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:0f', ethertype: ETHERTYPE_IPV4, payload }));
    bytes += payload.length + 40;
  }
  const gsoBefore = a.v.ioStats()!.gsoSends;
  a.local.injectBurst(burst);
  await until(() => b.local.sent.length === burst.length, `${burst.length} frames at B`);
  for (let i = 0; i < burst.length; i++) assert.equal(b.local.sent[i].frame, burst[i], `frame ${i}`);
  assert.ok(a.v.ioStats()!.gsoSends > gsoBefore, 'equal-sized sealed packets left as UDP GSO runs, not one sendto each');
  assert.equal(a.tun.counters.drops, {});
  assert.equal(b.tun.counters.drops, {});
});

test('an encrypted port refuses unsealed packets from a member, and a keyless peer sends nothing', async () => {
  const enc = await side('encC', '127.0.0.1', sealerFor('127.0.0.1'));
  const plain = await side('plainD', '127.0.0.2');
  plain.tun.addPeer('127.0.0.1', enc.v.localAddress().port);
  enc.tun.addPeer('127.0.0.2', plain.v.localAddress().port);
  plain.local.inject(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0d'));
  await until(() => Object.keys(enc.tun.counters.drops).length > 0, 'the drop at the encrypted port');
  assert.is(enc.local.sent.length, 0);
  const reasons = Object.keys(enc.tun.counters.drops);
  assert.ok(reasons.every((r) => r.startsWith('crypto-')), reasons.join());
  const keyless = createOverlaySealer({ localAddress: '127.0.0.1' });
  const e = await side('encE', '127.0.0.1', keyless);
  e.tun.addPeer('127.0.0.2', plain.v.localAddress().port);
  e.local.inject(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0e'));
  assert.is(e.tun.counters.drops['crypto-no-key'], 1);
  assert.is(e.v.counters.drops['crypto-no-key'], 1);
});

test.run();
