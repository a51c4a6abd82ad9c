// Receive-side TCP coalescing (src/dataplane/tcp-coalescer.ts) over a recording output: segments are
// built with complete checksums (./tcp-frames.ts), fed in, and what comes out is checked with this
// file's own reference checksum: one super-frame per run of mergeable segments with the right virtio
// header, lengths, IPv4 id and header checksum, and a TCP checksum field holding the pseudo-header
// sum, which completed over the whole super-frame (csum_start/csum_offset) gives a valid checksum;
// every rule that ends or prevents a merge; order kept; no allocation per frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, type Written } from './coalescer-recorder.js';
import { allocatedBytes, collectGarbage } from '../helpers/heap-alloc.js';
import { TcpCoalescer, COALESCE_BUFFER_BYTES, mergeableTcp, type CoalescedOutput } from '../../src/dataplane/tcp-coalescer.js';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6,
} from '../../src/wire/virtio-net-hdr.js';
import {
  ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, payloadAt, pseudo, refChecksum, refFold, run, segment, tsOptions, type Flow,
} from './tcp-frames.js';

const MSS = 1448;
const TS: Flow = { tcpOptions: tsOptions() };

/** Feeds frames (each at an offset inside a bigger buffer, like a burst), then flushes. */
function feed(frames: Buffer[], flush = true): { rec: Recorder; co: TcpCoalescer } {
  const rec = new Recorder();
  const co = new TcpCoalescer(rec);
  for (const f of frames) {
    const at = 96 + (f.length % 7); // various alignments
    const b = Buffer.alloc(at + f.length + 5);
    f.copy(b, at);
    co.add(b, at, f.length);
  }
  if (flush) co.flush();
  return { rec, co };
}

/** Asserts `w` is the super-frame made of `segs` (consecutive, mergeable), checked independently. */
function checkSuper(w: Written, segs: Buffer[], v6 = false): void {
  assert.is(w.kind, 'gso');
  assert.is(w.segments, segs.length);
  const f = w.frame;
  const first = segs[0];
  const ipLen = v6 ? 40 : 20;
  const tcpLen = (first[14 + ipLen + 12] >>> 4) * 4;
  const hdrs = 14 + ipLen + tcpLen;
  const payloads = segs.map((s) => s.subarray(hdrs));
  const total = payloads.reduce((n, p) => n + p.length, 0);
  assert.is(w.bytes, segs.reduce((n, s) => n + s.length, 0), 'segment bytes');
  assert.is(f.length, hdrs + total, 'super-frame length');
  assert.ok(f.subarray(hdrs).equals(Buffer.concat(payloads)), 'payloads concatenated in order');
  // virtio header
  const h = w.hdr!;
  assert.is(h[0], VIRTIO_NET_HDR_F_NEEDS_CSUM, 'flags');
  assert.is(h[1], v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4, 'gso_type');
  assert.is(h.readUInt16LE(2), hdrs, 'hdr_len');
  assert.is(h.readUInt16LE(4), payloads[0].length, 'gso_size');
  assert.is(h.readUInt16LE(6), 14 + ipLen, 'csum_start');
  assert.is(h.readUInt16LE(8), 16, 'csum_offset');
  // headers: the first segment's, lengths and checksums fixed
  assert.ok(f.subarray(0, 14).equals(first.subarray(0, 14)), 'Ethernet header');
  const ip = f.subarray(14, 14 + ipLen);
  if (v6) {
    assert.is(ip.readUInt16BE(4), tcpLen + total, 'IPv6 payload length');
    assert.ok(ip.subarray(6).equals(first.subarray(14 + 6, 14 + 40)) && ip.subarray(0, 4).equals(first.subarray(14, 18)));
  } else {
    assert.is(ip.readUInt16BE(2), 20 + tcpLen + total, 'IPv4 total length');
    assert.is(ip.readUInt16BE(4), first.readUInt16BE(14 + 4), 'IPv4 id of the first segment');
    assert.is(refFold(ip), 0xffff, 'IPv4 header checksum verifies');
    assert.ok(ip.subarray(12).equals(first.subarray(26, 34)) && ip[8] === first[22] && ip[1] === first[15]);
  }
  const tcp = f.subarray(14 + ipLen, hdrs);
  const t0 = first.subarray(14 + ipLen, hdrs);
  assert.ok(tcp.subarray(0, 13).equals(t0.subarray(0, 13)), 'ports, seq of the first, ack, data offset');
  const lastFlags = segs[segs.length - 1][14 + ipLen + 13];
  assert.is(tcp[13], t0[13] | (lastFlags & PSH), 'flags (PSH of the last)');
  assert.ok(tcp.subarray(18).equals(t0.subarray(18)), 'urgent pointer and options');
  const l4Len = tcpLen + total;
  assert.is(tcp.readUInt16BE(16), refFold(pseudo(v6, l4Len)), 'TCP checksum field = folded pseudo-header sum');
  // what the kernel (or a NIC) does with NEEDS_CSUM: fold from csum_start to the end, complement, store
  const done = Buffer.from(f);
  const start = h.readUInt16LE(6);
  const c = ~refFold(done.subarray(start)) & 0xffff;
  done.writeUInt16BE(c, start + h.readUInt16LE(8));
  const zeroed = Buffer.from(done.subarray(start));
  zeroed.writeUInt16BE(0, 16);
  assert.is(c, refChecksum([...pseudo(v6, l4Len), ...zeroed]), 'completed checksum is the TCP checksum of the super-frame');
  assert.is(refFold([...pseudo(v6, l4Len), ...done.subarray(start)]), 0xffff, 'and verifies');
}

const plain = (w: Written, f: Buffer, what = 'plain frame'): void => {
  assert.is(w.kind, 'plain', what);
  assert.ok(w.frame.equals(f), `${what}: unchanged`);
};

test('consecutive IPv4 segments with timestamps merge into one super-frame; PSH merged and ends it', () => {
  const segs = run(TS, 0xfffff000, MSS, 6, 0xfffe, ACK | PSH); // seq and id wrap
  const { rec, co } = feed(segs, false);
  assert.is(rec.out.length, 1, 'PSH ends the super-frame: written at once');
  checkSuper(rec.out[0], segs);
  assert.is(co.pendingSegments, 0);
  co.flush();
  assert.is(rec.out.length, 1, 'nothing more at flush');
});

test('without PSH the super-frame waits for flush(); a lone segment is written unchanged', () => {
  const segs = run(TS, 1000, MSS, 3);
  const { rec, co } = feed(segs, false);
  assert.is(rec.out.length, 0);
  assert.is(co.pendingSegments, 3);
  co.flush();
  checkSuper(rec.out[0], segs);
  const one = run(TS, 1000, MSS, 1);
  const r1 = feed(one).rec;
  assert.is(r1.out.length, 1);
  plain(r1.out[0], one[0], 'a super-frame of one');
});

test('IPv6 segments merge (TCPV6, payload length, pseudo-header)', () => {
  const flow: Flow = { v6: true, tcpOptions: tsOptions(), tos: 0x28 };
  const segs = run(flow, 5, 1428, 4);
  const { rec } = feed(segs);
  assert.is(rec.out.length, 1);
  checkSuper(rec.out[0], segs, true);
  // a hop limit or traffic class change ends it
  const other = segment({ ...flow, ttl: 63 }, { seq: 5 + 4 * 1428, payload: payloadAt(0, 1428) });
  const r2 = feed([...segs, other]).rec;
  assert.is(r2.out.length, 2);
  checkSuper(r2.out[0], segs, true);
  plain(r2.out[1], other);
});

test('out-of-order seq ends the super-frame and starts a new one', () => {
  const segs = run(TS, 1000, MSS, 4);
  const { rec } = feed([segs[0], segs[1], segs[3], segs[2]]);
  assert.is(rec.out.length, 3);
  checkSuper(rec.out[0], [segs[0], segs[1]]);
  plain(rec.out[1], segs[3]);
  plain(rec.out[2], segs[2]);
});

test('another flow flushes the pending one first; order between flows is kept', () => {
  const a = run(TS, 1000, MSS, 3);
  const b = run({ ...TS, srcPort: 40001 }, 9000, MSS, 2);
  const { rec } = feed([a[0], a[1], b[0], b[1], a[2]]);
  assert.is(rec.out.length, 3);
  checkSuper(rec.out[0], [a[0], a[1]]);
  checkSuper(rec.out[1], [b[0], b[1]]);
  plain(rec.out[2], a[2]);
  // other destination MAC, other ack: not merged
  const mac = segment({ ...TS, dstMac: [0x02, 0, 0, 0, 0, 9] }, { seq: 1000 + 3 * MSS, payload: payloadAt(0, MSS), id: 0x1003 });
  const ack = segment({ ...TS, ack: 0x11223345 }, { seq: 1000 + 3 * MSS, payload: payloadAt(0, MSS), id: 0x1003 });
  for (const x of [mac, ack]) {
    const r = feed([...a, x]).rec;
    assert.is(r.out.length, 2);
    checkSuper(r.out[0], a);
    plain(r.out[1], x);
  }
});

test('FIN, SYN, RST, URG, ECE, CWR segments are written alone after the pending super-frame', () => {
  for (const fl of [FIN, SYN, RST, URG, ECE, CWR]) {
    const segs = run(TS, 1000, MSS, 4);
    const odd = segment(TS, { seq: 1000 + 2 * MSS, payload: payloadAt(2 * MSS, MSS), id: 0x1002, flags: ACK | fl });
    const { rec } = feed([segs[0], segs[1], odd, segs[3]]);
    assert.is(rec.out.length, 3, `flag ${fl}`);
    checkSuper(rec.out[0], [segs[0], segs[1]]);
    plain(rec.out[1], odd);
    plain(rec.out[2], segs[3]);
  }
});

test('a short segment is merged and ends the super-frame; a longer one starts a new one', () => {
  const s0 = segment(TS, { seq: 1000, payload: payloadAt(0, MSS), id: 1 });
  const s1 = segment(TS, { seq: 1000 + MSS, payload: payloadAt(MSS, 700), id: 2 });
  const s2 = segment(TS, { seq: 1000 + MSS + 700, payload: payloadAt(MSS + 700, MSS), id: 3 });
  const s3 = segment(TS, { seq: 1000 + 2 * MSS + 700, payload: payloadAt(2 * MSS + 700, MSS), id: 4 });
  const { rec } = feed([s0, s1, s2, s3]);
  assert.is(rec.out.length, 2);
  checkSuper(rec.out[0], [s0, s1]);
  checkSuper(rec.out[1], [s2, s3]);
  // first 700, then 1448: no merge
  const t0 = segment(TS, { seq: 1, payload: payloadAt(0, 700), id: 1 });
  const t1 = segment(TS, { seq: 701, payload: payloadAt(700, MSS), id: 2 });
  const r = feed([t0, t1]).rec;
  assert.is(r.out.length, 2);
  plain(r.out[0], t0);
  plain(r.out[1], t1);
});

test('a segment with a bad TCP checksum is written unmerged, after the pending one', () => {
  const segs = run(TS, 1000, MSS, 4);
  const bad = segment(TS, { seq: 1000 + 2 * MSS, payload: payloadAt(2 * MSS, MSS), id: 0x1002, badChecksum: true });
  const { rec } = feed([segs[0], segs[1], bad, segs[3], segs[3]]);
  assert.is(rec.out.length, 4);
  checkSuper(rec.out[0], [segs[0], segs[1]]);
  plain(rec.out[1], bad, 'bad checksum');
  // segs[3] starts a super-frame; its duplicate does not follow (same seq)
  plain(rec.out[2], segs[3]);
  plain(rec.out[3], segs[3]);
  // a bad first segment is not kept: the next good one starts
  const b0 = segment(TS, { seq: 1000, payload: payloadAt(0, MSS), id: 0x1000, badChecksum: true });
  const r = feed([b0, segs[1], segs[2]]).rec;
  assert.is(r.out.length, 2);
  plain(r.out[0], b0);
  checkSuper(r.out[1], [segs[1], segs[2]]);
  // a bad IPv4 header checksum: never merged
  const ipBad = Buffer.from(segs[1]);
  ipBad[24] ^= 0xff;
  assert.is(mergeableTcp(ipBad, 0, ipBad.length), -1);
});

test('changed TCP options (a new timestamp) end the super-frame', () => {
  const segs = run(TS, 1000, MSS, 2);
  const later = run({ tcpOptions: tsOptions(0x00123457) }, 1000 + 2 * MSS, MSS, 2, 0x1002);
  const { rec } = feed([...segs, ...later]);
  assert.is(rec.out.length, 2);
  checkSuper(rec.out[0], segs);
  checkSuper(rec.out[1], later);
});

test('a pure ACK in between is written alone, in order', () => {
  const segs = run(TS, 1000, MSS, 4);
  const pureAck = segment(TS, { seq: 1000 + 2 * MSS, payload: Buffer.alloc(0), id: 0x1002 });
  const { rec } = feed([segs[0], segs[1], pureAck, segs[2], segs[3]]);
  assert.is(rec.out.length, 3);
  checkSuper(rec.out[0], [segs[0], segs[1]]);
  plain(rec.out[1], pureAck, 'pure ACK');
  checkSuper(rec.out[2], [segs[2], segs[3]]);
});

test('non-TCP frames (ARP, UDP, VLAN, IPv4 options, fragments) pass through in order', () => {
  const segs = run(TS, 1000, MSS, 2);
  const arp = Buffer.alloc(42);
  arp.writeUInt16BE(0x0806, 12);
  const udp = Buffer.from(segs[0]);
  udp[23] = 17;
  const vlan = Buffer.concat([segs[0].subarray(0, 12), Buffer.from([0x81, 0, 0, 5]), segs[0].subarray(12)]);
  const frag = Buffer.from(segs[0]);
  frag.writeUInt16BE(0x2000, 20);
  for (const x of [arp, udp, vlan, frag]) {
    const { rec } = feed([segs[0], x, segs[1]]);
    assert.is(rec.out.length, 3);
    plain(rec.out[0], segs[0]);
    plain(rec.out[1], x);
    plain(rec.out[2], segs[1]);
  }
  assert.is(mergeableTcp(Buffer.alloc(10), 0, 10), -1);
  // trailing padding after the IP packet: not merged
  const padded = Buffer.concat([segs[0], Buffer.alloc(4)]);
  assert.is(mergeableTcp(padded, 0, padded.length), -1);
});

test('IPv4 id: +1 per segment, or fixed with DF; fixed without DF, a jump, TTL/TOS change do not merge', () => {
  const fixed = run(TS, 1000, MSS, 3).map((_, i) => segment(TS, { seq: 1000 + i * MSS, payload: payloadAt(i * MSS, MSS), id: 77 }));
  checkSuper(feed(fixed).rec.out[0], fixed);
  const noDf: Flow = { ...TS, df: false };
  const fixedNoDf = [0, 1].map((i) => segment(noDf, { seq: 1000 + i * MSS, payload: payloadAt(i * MSS, MSS), id: 77 }));
  assert.is(feed(fixedNoDf).rec.out.length, 2);
  const incNoDf = run(noDf, 1000, MSS, 3, 500);
  checkSuper(feed(incNoDf).rec.out[0], incNoDf);
  const jump = [0, 1].map((i) => segment(TS, { seq: 1000 + i * MSS, payload: payloadAt(i * MSS, MSS), id: 10 + 2 * i }));
  assert.is(feed(jump).rec.out.length, 2);
  for (const f2 of [{ ...TS, ttl: 63 }, { ...TS, tos: 2 }]) {
    const a = segment(TS, { seq: 1000, payload: payloadAt(0, MSS), id: 1 });
    const b = segment(f2, { seq: 1000 + MSS, payload: payloadAt(MSS, MSS), id: 2 });
    assert.is(feed([a, b]).rec.out.length, 2);
  }
});

test('the IP packet stays <= 65535 bytes: 46 segments of 1448 with timestamps make 45 + 1', () => {
  const segs = run(TS, 7, MSS, 46);
  const { rec } = feed(segs);
  assert.is(rec.out.length, 2);
  checkSuper(rec.out[0], segs.slice(0, 45));
  assert.is(rec.out[0].frame.readUInt16BE(16), 20 + 32 + 45 * MSS);
  assert.ok(20 + 32 + 46 * MSS > 65535);
  plain(rec.out[1], segs[45]);
  // exactly 65535: 52 bytes of headers + 65483 bytes of payload = 11 segments of 5953
  const exact = run(TS, 7, 5953, 11);
  const r = feed(exact).rec;
  assert.is(r.out.length, 1);
  checkSuper(r.out[0], exact);
  assert.is(r.out[0].frame.readUInt16BE(16), 65535);
  assert.ok(14 + 65535 + 19 <= COALESCE_BUFFER_BYTES);
});

test("a segment left alone is written from the caller's buffer, not copied", () => {
  const segs = run(TS, 1000, MSS, 2);
  const srcs: Buffer[] = [];
  const co = new TcpCoalescer({
    writeFrame: (buf) => void srcs.push(buf),
    writeSuperFrame: () => assert.unreachable('no super-frame'),
  });
  const other = run({ ...TS, srcPort: 1 }, 5, MSS, 1)[0];
  co.add(segs[0], 0, segs[0].length);
  co.add(other, 0, other.length);
  co.flush();
  assert.is(srcs.length, 2);
  assert.ok(srcs[0] === segs[0] && srcs[1] === other, 'written from the buffers given to add()');
});

test('drop() forgets the pending super-frame', () => {
  const { rec, co } = feed(run(TS, 1000, MSS, 3), false);
  co.drop();
  co.flush();
  assert.is(rec.out.length, 0);
});

test('add() and flush() allocate nothing per frame', () => {
  class Sink implements CoalescedOutput {
    n = 0;
    writeFrame(_b: Buffer, _o: number, len: number): void {
      this.n += len;
    }
    writeSuperFrame(_h: Buffer, _ho: number, _b: Buffer, _o: number, len: number): void {
      this.n += len;
    }
  }
  const sink = new Sink();
  const co = new TcpCoalescer(sink);
  // seq and addresses above 2^30 (boxing would show), 45 segments, then a pure ACK and an ARP frame
  const segs = run(TS, 0xfffe0000, MSS, 45);
  const burst = Buffer.alloc(segs.reduce((n, s) => n + 96 + s.length, 0) + 200);
  const offs: number[] = [];
  let at = 0;
  for (const s of segs) {
    at += 96;
    s.copy(burst, at);
    offs.push(at);
    at += s.length;
  }
  const pureAck = segment(TS, { seq: 1, payload: Buffer.alloc(0) });
  pureAck.copy(burst, at);
  const offA = at;
  const lens = Int32Array.from(segs.map((s) => s.length));
  const offsets = Int32Array.from(offs);
  const loop = (k: number): void => {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < offsets.length; j++) co.add(burst, offsets[j], lens[j]);
      co.add(burst, offA, pureAck.length);
      co.flush();
    }
  };
  loop(300);
  collectGarbage();
  const rounds = 400;
  const frames = rounds * (segs.length + 1);
  let perFrame = Infinity;
  for (let round = 0; round < 3; round++) perFrame = Math.min(perFrame, allocatedBytes(() => loop(rounds)) / frames);
  assert.ok(sink.n > 0);
  if (process.env.TSNET_DEBUG) console.log(`coalescer: ${perFrame.toFixed(2)} bytes per frame`);
  assert.ok(perFrame < 4, `${perFrame.toFixed(2)} bytes per frame`);
});

test.run();
