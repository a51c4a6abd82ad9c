// Receive-side UDP coalescing (src/dataplane/udp-coalescer.ts) over a recording output: datagrams are
// built with complete checksums, fed in, and what comes out is checked with a reference checksum
// written here: one UDP_L4 super-frame per run of mergeable datagrams with the right virtio header,
// lengths and IPv4 header checksum, a UDP checksum field holding the pseudo-header sum for the whole
// length, and cutting it at gso_size gives back the datagrams; every rule that ends or prevents a
// merge; order kept; no allocation per frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, type Written } from './coalescer-recorder.js';
import { UdpCoalescer, UDP_GRO_MAX_SEGMENTS, mergeableUdp } from '../../src/dataplane/udp-coalescer.js';
import { VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4 } from '../../src/wire/virtio-net-hdr.js';
import { payloadAt, pseudo, refChecksum, refFold } from './tcp-frames.js';
import { UDP, datagram, stream } from './udp-frames.js';
import { allocatedBytes, collectGarbage } from '../helpers/heap-alloc.js';

/** Feeds frames (each at an offset inside a bigger buffer, like a burst) the way the TAP port does:
 *  mergeable UDP to the coalescer, anything else written after flushing it. */
function feed(frames: Buffer[], flush = true): { rec: Recorder; co: UdpCoalescer } {
  const rec = new Recorder();
  const co = new UdpCoalescer(rec);
  for (const f of frames) {
    const at = 96 + (f.length % 7); // various alignments
    const b = Buffer.alloc(at + f.length + 5);
    f.copy(b, at);
    const u = mergeableUdp(b, at, f.length);
    if (u >= 0) co.add(b, at, f.length, u);
    else {
      co.flush();
      rec.writeFrame(b, at, f.length);
    }
  }
  if (flush) co.flush();
  return { rec, co };
}

/** Asserts `w` is the super-frame made of `dgrams`, checked independently, and that cutting it the
 *  way the kernel does (gso_size payloads, lengths and checksums per datagram) gives them back. */
function checkSuper(w: Written, dgrams: Buffer[], v6 = false): void {
  assert.is(w.kind, 'gso');
  assert.is(w.segments, dgrams.length);
  assert.is(w.bytes, dgrams.reduce((n, d) => n + d.length, 0), 'datagram bytes');
  const f = w.frame;
  const ipLen = v6 ? 40 : 20;
  const hdrs = 14 + ipLen + 8;
  const payloads = dgrams.map((d) => d.subarray(hdrs));
  const total = payloads.reduce((n, p) => n + p.length, 0);
  assert.is(f.length, hdrs + total, 'super-frame length');
  assert.ok(f.subarray(hdrs).equals(Buffer.concat(payloads)), 'payloads concatenated in order');
  const h = w.hdr!;
  assert.is(h[0], VIRTIO_NET_HDR_F_NEEDS_CSUM, 'flags');
  assert.is(h[1], VIRTIO_NET_HDR_GSO_UDP_L4, 'gso_type');
  assert.is(h.readUInt16LE(2), hdrs, 'hdr_len');
  const gso = h.readUInt16LE(4);
  assert.is(gso, payloads[0].length, 'gso_size');
  assert.is(h.readUInt16LE(6), 14 + ipLen, 'csum_start');
  assert.is(h.readUInt16LE(8), 6, 'csum_offset');
  const first = dgrams[0];
  assert.ok(f.subarray(0, 14).equals(first.subarray(0, 14)), 'Ethernet header');
  const ip = f.subarray(14, 14 + ipLen);
  if (v6) assert.is(ip.readUInt16BE(4), 8 + total, 'IPv6 payload length');
  else {
    assert.is(ip.readUInt16BE(2), 20 + 8 + total, 'IPv4 total length');
    assert.is(refFold(ip), 0xffff, 'IPv4 header checksum verifies');
  }
  const udp = f.subarray(14 + ipLen, hdrs);
  assert.ok(udp.subarray(0, 4).equals(first.subarray(14 + ipLen, 14 + ipLen + 4)), 'ports');
  assert.is(udp.readUInt16BE(4), 8 + total, 'UDP length of the whole');
  assert.is(udp.readUInt16BE(6), refFold(pseudo(v6, 8 + total, UDP)), 'UDP checksum field = folded pseudo-header sum');
  // the kernel's cut (__udp_gso_segment): gso_size payloads, each with its own length and checksum
  for (let i = 0; i < dgrams.length; i++) {
    const p = f.subarray(hdrs + i * gso, Math.min(hdrs + (i + 1) * gso, f.length));
    const seg = Buffer.concat([udp.subarray(0, 8), p]);
    seg.writeUInt16BE(8 + p.length, 4);
    seg.writeUInt16BE(0, 6);
    seg.writeUInt16BE(refChecksum([...pseudo(v6, seg.length, UDP), ...seg]) || 0xffff, 6);
    assert.ok(seg.equals(dgrams[i].subarray(14 + ipLen)), `datagram ${i} comes back whole`);
  }
}

const plain = (w: Written, f: Buffer, what = 'plain frame'): void => {
  assert.is(w.kind, 'plain', what);
  assert.ok(w.frame.equals(f), `${what}: unchanged`);
};

test('consecutive IPv4 datagrams of one flow merge into one UDP_L4 super-frame', () => {
  const d = stream(8, 64);
  const { rec } = feed(d);
  assert.is(rec.out.length, 1);
  checkSuper(rec.out[0], d);
});

test('IPv6 datagrams merge (payload length, pseudo-header)', () => {
  const d = stream(5, 1200, { v6: true });
  const { rec } = feed(d);
  assert.is(rec.out.length, 1);
  checkSuper(rec.out[0], d, true);
});

test('a lone datagram is written unchanged; the super-frame waits for flush()', () => {
  const one = stream(1, 64);
  const a = feed(one);
  assert.is(a.rec.out.length, 1);
  plain(a.rec.out[0], one[0]);
  const b = feed(stream(3, 64), false);
  assert.is(b.rec.out.length, 0);
  assert.is(b.co.pendingSegments, 3);
  b.co.flush();
  assert.is(b.rec.out.length, 1);
});

test('a shorter datagram is merged and ends the super-frame; a longer one starts a new one', () => {
  const d = [...stream(3, 100), datagram({ payload: payloadAt(0, 40) }), ...stream(2, 100)];
  const { rec } = feed(d);
  assert.is(rec.out.length, 2);
  checkSuper(rec.out[0], d.slice(0, 4));
  checkSuper(rec.out[1], d.slice(4));
  const e = [...stream(2, 100), datagram({ payload: payloadAt(0, 200) }), datagram({ payload: payloadAt(0, 200) })];
  const r2 = feed(e).rec;
  assert.is(r2.out.length, 2);
  checkSuper(r2.out[0], e.slice(0, 2));
  checkSuper(r2.out[1], e.slice(2));
});

test('another flow (port, address, TTL, TOS) flushes the pending one first; order is kept', () => {
  for (const other of [{ srcPort: 40001 }, { dstPort: 53 }, { ttl: 63 }, { tos: 0x10 }, { v6: true }]) {
    const a = stream(3, 64);
    const b = stream(2, 64, other);
    const { rec } = feed([...a, ...b, ...stream(2, 64)]);
    assert.is(rec.out.length, 3, JSON.stringify(other));
    checkSuper(rec.out[0], a);
    checkSuper(rec.out[1], b, other.v6 === true);
  }
});

test('the IPv4 id is not compared (segmentation renumbers from the first)', () => {
  const d = [datagram({ id: 7, payload: payloadAt(0, 64) }), datagram({ id: 7, payload: payloadAt(64, 64) }), datagram({ id: 99, payload: payloadAt(128, 64) })];
  const { rec } = feed(d);
  assert.is(rec.out.length, 1);
  checkSuper(rec.out[0], d);
});

test('bad checksums are written unmerged, for the kernel to drop; no checksum passes as it is', () => {
  const good = stream(4, 64);
  const bad = datagram({ id: 9, payload: payloadAt(999, 64), badChecksum: true });
  const { rec } = feed([good[0], good[1], bad, good[2], good[3]]);
  assert.is(rec.out.length, 3);
  checkSuper(rec.out[0], good.slice(0, 2));
  plain(rec.out[1], bad, 'bad datagram');
  checkSuper(rec.out[2], good.slice(2));
  // a bad first one: found when the second comes, written alone, the second starts over
  const r2 = feed([bad, good[0], good[1]]).rec;
  assert.is(r2.out.length, 2);
  plain(r2.out[0], bad, 'bad first');
  checkSuper(r2.out[1], good.slice(0, 2));
  const none = stream(3, 64, { noChecksum: true });
  assert.is(mergeableUdp(none[0], 0, none[0].length), -1, 'IPv4 without checksum: not mergeable');
  const r3 = feed(none).rec;
  assert.is(r3.out.length, 3);
  none.forEach((f, i) => plain(r3.out[i], f));
});

test('not mergeable: empty payload, UDP length != IP payload, fragments, IP options, padding, TCP, ARP', () => {
  const d = datagram({ payload: payloadAt(0, 64) });
  const ok = mergeableUdp(d, 0, d.length);
  assert.is(ok, 34);
  assert.is(mergeableUdp(datagram({ payload: Buffer.alloc(0) }), 0, 42), -1, 'empty');
  const lenBad = Buffer.from(d);
  lenBad.writeUInt16BE(8 + 60, 38);
  assert.is(mergeableUdp(lenBad, 0, lenBad.length), -1, 'UDP length');
  const frag = Buffer.from(d);
  frag.writeUInt16BE(0x2000, 20); // MF
  frag.writeUInt16BE(0, 24);
  frag.writeUInt16BE(refChecksum(frag.subarray(14, 34)), 24);
  assert.is(mergeableUdp(frag, 0, frag.length), -1, 'fragment');
  const padded = Buffer.concat([d, Buffer.alloc(4)]);
  assert.is(mergeableUdp(padded, 0, padded.length), -1, 'padding');
  const tcp = Buffer.from(d);
  tcp[23] = 6;
  assert.is(mergeableUdp(tcp, 0, tcp.length), -1, 'TCP');
  const arp = Buffer.alloc(60);
  arp.writeUInt16BE(0x0806, 12);
  assert.is(mergeableUdp(arp, 0, arp.length), -1, 'ARP');
});

test(`at most ${UDP_GRO_MAX_SEGMENTS} datagrams and 65535 IP bytes per super-frame`, () => {
  const many = stream(UDP_GRO_MAX_SEGMENTS + 6, 64);
  const r = feed(many).rec;
  assert.is(r.out.length, 2);
  checkSuper(r.out[0], many.slice(0, UDP_GRO_MAX_SEGMENTS));
  checkSuper(r.out[1], many.slice(UDP_GRO_MAX_SEGMENTS));
  // 1472-byte payloads: 20 + 8 + 44 x 1472 = 64796 fits, a 45th does not
  const big = stream(46, 1472);
  const r2 = feed(big).rec;
  assert.is(r2.out.length, 2);
  checkSuper(r2.out[0], big.slice(0, 44));
  checkSuper(r2.out[1], big.slice(44));
});

test('drop() forgets the pending super-frame', () => {
  const { rec, co } = feed(stream(3, 64), false);
  co.drop();
  co.flush();
  assert.is(rec.out.length, 0);
});

test('add() and flush() allocate nothing per frame', () => {
  let n = 0;
  const co = new UdpCoalescer({ writeFrame: (_b, _o, len) => (n += len), writeSuperFrame: (_h, _ho, _b, _o, len) => (n += len) });
  const dgrams = stream(40, 64);
  const burst = Buffer.alloc(dgrams.reduce((k, d) => k + 96 + d.length, 0));
  const offs = new Int32Array(dgrams.length);
  const lens = new Int32Array(dgrams.length);
  let at = 0;
  dgrams.forEach((d, i) => {
    at += 96;
    d.copy(burst, at);
    offs[i] = at;
    lens[i] = d.length;
    at += d.length;
  });
  const loop = (k: number): void => {
    for (let r = 0; r < k; r++) {
      for (let j = 0; j < offs.length; j++) co.add(burst, offs[j], lens[j], mergeableUdp(burst, offs[j], lens[j]));
      co.flush();
    }
  };
  loop(300);
  collectGarbage();
  const rounds = 500;
  let perFrame = Infinity;
  for (let i = 0; i < 3; i++) perFrame = Math.min(perFrame, allocatedBytes(() => loop(rounds)) / (rounds * dgrams.length));
  assert.ok(n > 0);
  assert.ok(perFrame < 4, `${perFrame.toFixed(2)} bytes per frame`);
});

test.run();
