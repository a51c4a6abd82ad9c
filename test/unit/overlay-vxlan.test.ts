// The VXLAN data path over loopback UDP sockets (src/dataplane/vtep.ts, vxlan-port.ts): two VTEPs on
// 127.0.0.1 with switches and memory ports on each side, header bytes on the wire, drops counted by
// reason, head-end replication, the flood rate limit, remote endpoints and peer removal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { createSwitch, type Switch } from '../../src/dataplane/switch.js';
import { createMemoryPort, type MemoryPort } from '../../src/dataplane/memory-port.js';
import { HEADROOM, REMOTE_ALL } from '../../src/dataplane/port.js';
import { createVtep, type Vtep } from '../../src/dataplane/vtep.js';
import { createVxlanPort, type VxlanPort } from '../../src/dataplane/vxlan-port.js';
import { buildArpRequest, buildEthernet, ETHERTYPE_IPV4 } from '../../src/wire/index.js';

const cleanups: Array<() => unknown> = [];
test.after.each(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function vtep(opts: { sendSockets?: number; address?: string } = {}): Promise<Vtep> {
  const v = createVtep({ address: opts.address ?? '127.0.0.1', port: 0, sendSockets: opts.sendSockets });
  await v.start();
  cleanups.push(() => v.stop());
  return v;
}

async function receiver(address = '127.0.0.1'): Promise<{ sock: dgram.Socket; port: number; got: Array<{ msg: Buffer; port: number }> }> {
  const sock = dgram.createSocket('udp4');
  const got: Array<{ msg: Buffer; port: number }> = [];
  sock.on('message', (msg, r) => got.push({ msg, port: r.port }));
  await new Promise<void>((res) => sock.bind(0, address, () => res()));
  cleanups.push(() => new Promise<void>((res) => sock.close(() => res())));
  return { sock, port: sock.address().port, got };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Side { v: Vtep; sw: Switch; tun: VxlanPort; local: MemoryPort }

async function side(name: string, vni = 42, on?: Vtep): Promise<Side> {
  const v = on ?? (await vtep());
  const sw = createSwitch({ name });
  const local = createMemoryPort(`${name}-c`);
  sw.addPort(local);
  const tun = createVxlanPort({ vtep: v, vni });
  tun.attach(sw);
  cleanups.push(() => sw.close());
  return { v, sw, tun, local };
}

const frame = (dst: string, src: string, n = 64): Buffer =>
  buildEthernet({ dst, src, ethertype: ETHERTYPE_IPV4, payload: Buffer.alloc(n, 0x5a) });

test('round trip between two VTEPs on 127.0.0.1: flood, learn, unicast back', async () => {
  const a = await side('swA');
  const b = await side('swB');
  a.tun.addPeer('127.0.0.1', b.v.localAddress().port);
  b.tun.addPeer('127.0.0.1', a.v.localAddress().port);
  const req = buildArpRequest('02:00:00:00:00:0a', '10.0.42.1', '10.0.42.2');
  a.local.inject(req);
  await until(() => b.local.sent.length === 1, 'the ARP request at B');
  assert.equal(b.local.sent[0].frame, req);
  // B learned A's MAC behind the tunnel at remote 0
  const e = b.sw.lookup('02:00:00:00:00:0a');
  assert.ok(e);
  assert.is(e!.port, b.tun);
  assert.is(e!.remote, 0);
  const reply = frame('02:00:00:00:00:0a', '02:00:00:00:00:0b', 100);
  b.local.inject(reply);
  await until(() => a.local.sent.length === 1, 'the unicast reply at A');
  assert.equal(a.local.sent[0].frame, reply);
  assert.is(b.tun.counters.txFrames, 1);
  assert.is(b.tun.stats.floods, 0, 'a learned destination is not flooded');
  assert.is(a.tun.counters.rxFrames, 1);
  assert.equal(a.v.counters.drops, {});
});

test('wire format: flags 0x08, VNI in bytes 4-6, reserved zero, inner frame intact; buffer reusable after flush', async () => {
  const v = await vtep();
  const r = await receiver();
  const tun = createVxlanPort({ vtep: v, vni: 0xabcdef });
  tun.addPeer('127.0.0.1', r.port);
  const f = frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 46);
  const buf = Buffer.alloc(HEADROOM + f.length, 0xff);
  f.copy(buf, HEADROOM);
  tun.output(buf, HEADROOM, f.length, 0);
  tun.flush(); // the end of the burst: the datagram has left
  buf.fill(0xee); // the caller reuses its buffer right after flush()
  await until(() => r.got.length === 1, 'one datagram');
  const m = r.got[0].msg;
  assert.is(m.length, 8 + f.length);
  assert.equal([...m.subarray(0, 8)], [0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0]);
  assert.equal(m.subarray(8), f);
  assert.ok(v.sourcePorts().includes(r.got[0].port), 'sent from a pool socket');
  assert.ok(r.got[0].port >= 1024);
});

test('one inner flow keeps one source port; different flows spread over the pool', async () => {
  const v = await vtep({ sendSockets: 8 });
  const r = await receiver();
  const tun = createVxlanPort({ vtep: v, vni: 7 });
  tun.addPeer('127.0.0.1', r.port);
  const buf = Buffer.alloc(HEADROOM + 200);
  const send = (srcMac: string) => {
    const f = frame('02:00:00:00:00:0b', srcMac);
    f.copy(buf, HEADROOM);
    tun.output(buf, HEADROOM, f.length, 0);
  };
  for (let i = 0; i < 3; i++) send('02:00:00:00:00:01');
  for (let i = 0; i < 40; i++) send(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`);
  await until(() => r.got.length === 43, '43 datagrams');
  assert.is(new Set(r.got.slice(0, 3).map((g) => g.port)).size, 1);
  assert.ok(new Set(r.got.slice(3).map((g) => g.port)).size >= 4, 'flows spread');
});

test('a VTEP on :: is dual-stack: IPv4 and IPv6 peers, an IPv4 sender named as IPv4 (not ::ffff:)', async () => {
  const dual = await vtep({ address: '::' });
  assert.equal([...dual.families].sort(), [4, 6]);
  assert.equal((await vtep({ address: '::1' })).families, [6]);
  assert.equal((await vtep()).families, [4]);
  const { sw, tun, local } = await side('swDual', 42, dual);
  const v4 = await receiver('127.0.0.1');
  const v6 = dgram.createSocket('udp6');
  const got6: Buffer[] = [];
  v6.on('message', (msg) => got6.push(msg));
  await new Promise<void>((res) => v6.bind(0, '::1', () => res()));
  cleanups.push(() => new Promise<void>((res) => v6.close(() => res())));
  tun.addPeer('127.0.0.1', v4.port);
  tun.addPeer('::1', v6.address().port);
  // a flood reaches both families
  local.inject(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0e'));
  await until(() => v4.got.length === 1 && got6.length === 1, 'one copy at each peer');
  // from the IPv4 member: delivered and learned behind it, not dropped as a stranger "::ffff:127.0.0.1"
  const inner = frame('02:00:00:00:00:0e', '02:00:00:00:00:0f');
  v4.sock.send(Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 42, 0]), inner]), dual.localAddress().port, '127.0.0.1');
  await until(() => local.sent.length === 1, 'the frame from the IPv4 peer');
  assert.equal(dual.counters.drops, {});
  assert.is(sw.lookup('02:00:00:00:00:0f')?.remote, tun.remoteIndexOf('127.0.0.1'));
});

test('drops counted by reason: truncated, no I flag, unknown VNI, non-member; nothing delivered', async () => {
  const { v, tun, local } = await side('swD');
  tun.addPeer('127.0.0.2', 4789); // the only member
  const member = await receiver('127.0.0.2');
  const stranger = await receiver('127.0.0.3');
  const to = v.localAddress().port;
  const inner = frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0c');
  const hdr = (flags: number, vni: number) => Buffer.from([flags, 0, 0, 0, vni >>> 16, (vni >>> 8) & 0xff, vni & 0xff, 0]);
  const send = (s: dgram.Socket, b: Buffer) => s.send(b, to, '127.0.0.1');
  send(member.sock, Buffer.alloc(10));
  send(member.sock, Buffer.concat([hdr(0x08, 42), Buffer.alloc(13)]));
  send(member.sock, Buffer.concat([hdr(0x00, 42), inner]));
  send(member.sock, Buffer.concat([hdr(0x08, 43), inner]));
  send(stranger.sock, Buffer.concat([hdr(0x08, 42), inner]));
  // reserved bits set are ignored: this one is delivered
  send(member.sock, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 42, 0xff]), inner]));
  await until(() => v.counters.rxPackets === 6, 'six packets');
  assert.equal(v.counters.drops, { truncated: 2, 'no-i-flag': 1, 'unknown-vni': 1, 'not-member': 1 });
  assert.is(tun.counters.drops['not-member'], 1);
  assert.is(local.sent.length, 1);
  assert.equal(local.sent[0].frame, inner);
});

test('head-end replication: REMOTE_ALL sends one copy to each of N peers', async () => {
  const v = await vtep();
  const tun = createVxlanPort({ vtep: v, vni: 5 });
  const rs: Array<Awaited<ReturnType<typeof receiver>>> = [];
  for (let i = 0; i < 4; i++) {
    const r = await receiver(`127.0.0.${10 + i}`);
    tun.addPeer(`127.0.0.${10 + i}`, r.port);
    rs.push(r);
  }
  const f = buildArpRequest('02:00:00:00:00:0a', '10.0.0.1', '10.0.0.9');
  const buf = Buffer.alloc(HEADROOM + f.length);
  f.copy(buf, HEADROOM);
  tun.output(buf, HEADROOM, f.length, REMOTE_ALL);
  await until(() => rs.every((r) => r.got.length === 1), 'a copy at every peer');
  for (const r of rs) assert.equal(r.got[0].msg.subarray(8), f);
  assert.is(tun.counters.txFrames, 4);
  assert.is(tun.stats.floods, 1);
});

test('flood rate limit: a burst beyond the bucket is dropped as flood-rate-limit, refills with time', async () => {
  let now = 0;
  const v = await vtep();
  const r = await receiver();
  const tun = createVxlanPort({ vtep: v, vni: 6, floodRatePerSec: 100, floodBurst: 5, clock: () => now });
  tun.addPeer('127.0.0.1', r.port);
  const f = buildArpRequest('02:00:00:00:00:0a', '10.0.0.1', '10.0.0.9');
  const buf = Buffer.alloc(HEADROOM + f.length);
  const flood = () => {
    f.copy(buf, HEADROOM);
    tun.output(buf, HEADROOM, f.length, REMOTE_ALL);
  };
  for (let i = 0; i < 12; i++) flood();
  assert.is(tun.counters.drops['flood-rate-limit'], 7);
  assert.is(v.counters.drops['flood-rate-limit'], 7);
  now += 30; // 3 tokens at 100/s
  for (let i = 0; i < 5; i++) flood();
  assert.is(tun.counters.drops['flood-rate-limit'], 9);
  // unicast to a known remote is never rate-limited
  for (let i = 0; i < 20; i++) {
    f.copy(buf, HEADROOM);
    tun.output(buf, HEADROOM, f.length, 0);
  }
  assert.is(tun.counters.drops['flood-rate-limit'], 9);
  await until(() => r.got.length === 5 + 3 + 20, 'all permitted datagrams');
});

test('remote endpoints set static FDB and proxy-ARP entries; removing the peer flushes them', async () => {
  const a = await side('swE');
  a.tun.addRemoteEndpoint('02:00:00:00:00:0b', '10.0.42.2', '127.0.0.5', 4789);
  const e = a.sw.lookup('02:00:00:00:00:0b');
  assert.is(e?.kind, 'static');
  assert.is(e?.port, a.tun);
  assert.is(e?.remote, a.tun.remoteIndexOf('127.0.0.5'));
  assert.is(a.tun.arp.size, 1);
  // a learned entry behind that peer
  a.tun.addPeer('127.0.0.6', 4789);
  a.v.receive(Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 42, 0]), frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0d')]), '127.0.0.5', 4789);
  assert.is(a.sw.lookup('02:00:00:00:00:0d')?.kind, 'learned');
  let hooked = '';
  a.tun.onPeerRemoved((p) => (hooked = p.address));
  assert.ok(a.tun.removePeer('127.0.0.5'));
  assert.is(hooked, '127.0.0.5');
  assert.is(a.sw.lookup('02:00:00:00:00:0b'), null);
  assert.is(a.sw.lookup('02:00:00:00:00:0d'), null);
  assert.is(a.tun.arp.size, 0);
  assert.equal(a.tun.peers().map((p) => p.address), ['127.0.0.6']);
  // the freed index is reused by the next peer
  assert.is(a.tun.addPeer('127.0.0.7'), 0);
});

test('errors: bad VNI, bad peer, a peer of the other address family, duplicate VNI on one VTEP, port in use', async () => {
  const v = await vtep();
  assert.throws(() => createVxlanPort({ vtep: v, vni: 1 << 24 }), (e: Error & { code?: string }) => e.code === 'EVXLAN_BAD_VNI');
  const t = createVxlanPort({ vtep: v, vni: 9 });
  assert.throws(() => t.addPeer('host.example'), (e: Error & { code?: string }) => e.code === 'EVXLAN_BAD_PEER');
  // an IPv4 VTEP cannot send to an IPv6 peer: refused when the peer is added, not dropped per frame later
  assert.throws(() => t.addPeer('fd00:78::2'), (e: Error & { code?: string }) => e.code === 'EVXLAN_PEER_FAMILY' && /IPv6 address but this host's VTEP speaks IPv4/.test(e.message));
  assert.equal(t.peers(), []);
  assert.throws(() => createVxlanPort({ vtep: v, vni: 9 }), (e: Error & { code?: string }) => e.code === 'EVNI_IN_USE');
  const clash = createVtep({ address: '127.0.0.1', port: v.localAddress().port });
  try {
    await clash.start();
    assert.unreachable('bind should fail');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'EVTEP_PORT_IN_USE');
  }
  t.close();
});


test('a burst injected through one reused receive buffer arrives intact and in order (flush before overwrite)', async () => {
  const a = await side('swA');
  const b = await side('swB');
  a.tun.addPeer('127.0.0.1', b.v.localAddress().port);
  b.tun.addPeer('127.0.0.1', a.v.localAddress().port);
  // B's MAC known behind the tunnel, so the burst is unicast (not rate-limited flooding)
  a.tun.addRemoteEndpoint('02:00:00:00:00:0b', null, '127.0.0.1', b.v.localAddress().port);
  const frames: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const f = frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 1000);
    f.writeUInt32BE(i, 20); // a sequence number inside the payload
    frames.push(f);
  }
  frames.push(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 300));
  a.local.injectBurst(frames); // every frame is copied into the same receive buffer
  await until(() => b.local.sent.length === frames.length, 'the whole burst at B');
  for (let i = 0; i < frames.length; i++) assert.equal(b.local.sent[i].frame, frames[i], `frame ${i}`);
  assert.equal(a.v.counters.drops, {});
  assert.equal(b.v.counters.drops, {});
});

test('datagrams queued from one buffer go out as one GSO send and a GRO socket splits them back', async () => {
  const a = await side('swA');
  const b = await side('swB');
  a.tun.addPeer('127.0.0.1', b.v.localAddress().port);
  b.tun.addPeer('127.0.0.1', a.v.localAddress().port);
  a.tun.addRemoteEndpoint('02:00:00:00:00:0b', null, '127.0.0.1', b.v.localAddress().port);
  // a burst laid out the way the TAP reader lays one out: frames one after the other, headroom in front
  const n = 30;
  const size = 700;
  const slot = HEADROOM + size;
  const buf = Buffer.alloc(n * slot);
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const f = frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', size - 14);
    f.writeUInt32BE(i, 20);
    frames.push(f);
    f.copy(buf, i * slot + HEADROOM);
  }
  for (let i = 0; i < n; i++) a.sw.input(a.local, buf, i * slot + HEADROOM, size, -1);
  a.sw.flush();
  buf.fill(0); // reusable after the flush
  await until(() => b.local.sent.length === n, 'the whole burst at B');
  for (let i = 0; i < n; i++) assert.equal(b.local.sent[i].frame, frames[i], `frame ${i}`);
  const sent = a.v.ioStats()!;
  const got = b.v.ioStats()!;
  assert.ok(sent.gsoSends >= 1, `sent with UDP GSO (${JSON.stringify(sent)})`);
  assert.ok(got.groPackets >= 1, `received coalesced by UDP GRO (${JSON.stringify(got)})`);
  assert.ok(got.packets < n, 'fewer receive slots than datagrams');
  assert.equal(a.v.counters.drops, {});
  assert.equal(b.v.counters.drops, {});
});

test.run();
