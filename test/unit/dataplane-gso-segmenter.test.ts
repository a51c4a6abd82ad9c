// Software GSO and checksum completion (src/dataplane/gso-segmenter.ts). TCP super-frames are built
// here as a TAP with TSO would deliver them (virtio-net header, NEEDS_CSUM, the TCP checksum field
// holding the pseudo-header sum only), cut, and every segment is checked field by field with this
// file's own parser and a byte-by-byte reference checksum; the payloads must concatenate back to the
// original. Malformed inputs (seeded mutations, truncations) must give negative statuses, never throw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GsoSegmenter, completeChecksum, ALIGN_SLACK, SEGMENT_BAD_HEADERS, SEGMENT_TOO_MANY, SEGMENT_UNSUPPORTED, SEGMENT_TOO_BIG,
} from '../../src/dataplane/gso-segmenter.js';
import { HEADROOM } from '../../src/dataplane/port.js';
import {
  VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_GSO_ECN,
} from '../../src/wire/virtio-net-hdr.js';
import { udpChecksumOkInIp } from '../../src/wire/index.js';
import { rng, mutate, DEFAULT_SEED } from '../helpers/fault-rng.js';
import { allocatedBytes, collectGarbage } from '../helpers/heap-alloc.js';
import { buildSuperFrame as build, pseudo, refChecksum, refFold, TS_OPTS, SRC4, DST4, SRC6, DST6, type SuperFrameSpec as Spec, type SuperFrame as Built } from './tcp-frames.js';

const FIN = 0x01, PSH = 0x08, ACK = 0x10, CWR = 0x80, ECE = 0x40;
const ROOM = HEADROOM + 9216;

/** Checks every segment against the input frame; returns nothing, asserts. */
function verify(seg: GsoSegmenter, n: number, b: Built, s: Spec): void {
  const v6 = s.v6 ?? false;
  const hdrs = b.ethLen + b.ipLen + b.tcpLen;
  const inIp = b.off + b.ethLen, inTcp = inIp + b.ipLen;
  const want = Math.max(1, Math.ceil(s.payloadLen / s.mss));
  assert.is(n, want, 'segment count');
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const o = seg.offsets[i], len = seg.lengths[i];
    const slot = i * seg.segmentRoom;
    assert.ok(o >= slot + seg.headroom && o <= slot + seg.headroom + ALIGN_SLACK, `segment ${i} at ${o} inside its slot`);
    assert.ok(o + len <= slot + seg.segmentRoom, 'segment ends inside its slot');
    const plen = len - hdrs;
    assert.ok(plen >= 0 && plen <= s.mss, `segment ${i} payload ${plen}`);
    if (i < n - 1) assert.is(plen, s.mss, 'full segments before the last');
    const f = seg.buffer.subarray(o, o + len);
    assert.equal([...f.subarray(0, b.ethLen)], [...b.buf.subarray(b.off, b.off + b.ethLen)], 'Ethernet header copied');
    const ip = f.subarray(b.ethLen, b.ethLen + b.ipLen);
    const inIpHdr = b.buf.subarray(inIp, inIp + b.ipLen);
    if (v6) {
      assert.is(ip.readUInt16BE(4), b.tcpLen + plen, 'IPv6 payload length');
      assert.equal([...ip.subarray(0, 4)], [...inIpHdr.subarray(0, 4)]);
      assert.equal([...ip.subarray(6)], [...inIpHdr.subarray(6)]);
    } else {
      assert.is(ip.readUInt16BE(2), b.ipLen + b.tcpLen + plen, 'IPv4 total length');
      assert.is(ip.readUInt16BE(4), ((s.id ?? 0x1234) + i) & 0xffff, 'IPv4 id');
      assert.is(refFold(ip), 0xffff, 'IPv4 header checksum verifies');
      assert.equal([...ip.subarray(0, 2)], [...inIpHdr.subarray(0, 2)]);
      assert.equal([...ip.subarray(6, 10)], [...inIpHdr.subarray(6, 10)]);
      assert.equal([...ip.subarray(12)], [...inIpHdr.subarray(12)], 'addresses and options');
    }
    const tcp = f.subarray(b.ethLen + b.ipLen);
    const inTcpHdr = b.buf.subarray(inTcp, inTcp + b.tcpLen);
    assert.is(tcp.readUInt32BE(4), ((s.seq ?? 1_000_000) + i * s.mss) >>> 0, 'sequence number');
    let flags = s.flags;
    if (i < n - 1) flags &= ~(FIN | PSH);
    if (i > 0) flags &= ~CWR;
    assert.is(tcp[13], flags, `flags of segment ${i}`);
    assert.equal([...tcp.subarray(0, 4)], [...inTcpHdr.subarray(0, 4)], 'ports');
    assert.equal([...tcp.subarray(8, 13)], [...inTcpHdr.subarray(8, 13)], 'ack, data offset');
    assert.equal([...tcp.subarray(14, 16)], [...inTcpHdr.subarray(14, 16)], 'window');
    assert.equal([...tcp.subarray(18, b.tcpLen)], [...inTcpHdr.subarray(18)], 'urgent pointer, options');
    const zeroed = Buffer.from(tcp);
    zeroed.writeUInt16BE(0, 16);
    const expect = refChecksum([...pseudo(v6, tcp.length, 6), ...zeroed]);
    assert.is(tcp.readUInt16BE(16), expect, `TCP checksum of segment ${i}`);
    parts.push(Buffer.from(tcp.subarray(b.tcpLen)));
  }
  assert.ok(Buffer.concat(parts).equals(b.payload), 'payloads concatenate to the original');
}

function run(s: Spec, seg = new GsoSegmenter(64, ROOM, HEADROOM)): void {
  const b = build(s);
  const n = seg.segment(b.buf, b.off, b.len, b.hdrOff);
  verify(seg, n, b, s);
}

test('IPv4 with timestamps, odd payload, PSH|FIN|CWR placement, ECN gso bit', () => {
  run({ payloadLen: 10 * 1448 + 777, mss: 1448, flags: ACK | PSH | FIN | CWR | ECE, tcpOptions: TS_OPTS, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN });
});

test('IPv4 payload an exact multiple of the MSS, no options', () => {
  run({ payloadLen: 4 * 1460, mss: 1460, flags: ACK | PSH });
  run({ payloadLen: 2 * 1000, mss: 1000, flags: ACK | FIN, tcpOptions: TS_OPTS });
});

test('IPv4 largest super-frame (total length 65535), 46 segments', () => {
  run({ payloadLen: 65535 - 20 - 32, mss: 1448, flags: ACK | PSH, tcpOptions: TS_OPTS, seed: 5 });
});

test('IPv6 with timestamps, odd payload and odd MSS', () => {
  run({ v6: true, payloadLen: 7 * 1427 + 1, mss: 1427, flags: ACK | PSH | CWR, tcpOptions: TS_OPTS });
  run({ v6: true, payloadLen: 65535 - 32, mss: 1428, flags: ACK | PSH, tcpOptions: TS_OPTS, seed: 6 });
});

test('VLAN-tagged IPv4 and IPv6 frames keep their tag', () => {
  run({ vlan: true, payloadLen: 3 * 1448 + 3, mss: 1448, flags: ACK | PSH, tcpOptions: TS_OPTS });
  run({ vlan: true, v6: true, payloadLen: 2 * 1428 + 999, mss: 1428, flags: ACK | PSH | FIN });
});

test('IPv4 options (IHL 7) and 40 bytes of TCP options are copied into every segment', () => {
  const opts = [...TS_OPTS, 1, 1, 1, 1, 4, 2, 1, 1, ...new Array(16).fill(1), 0, 0, 0, 0];
  assert.is(opts.length, 40);
  run({ ipOptionWords: 2, payloadLen: 5000, mss: 1200, flags: ACK, tcpOptions: opts });
});

test('IPv4 id and TCP sequence wrap around', () => {
  run({ payloadLen: 9 * 1448 + 10, mss: 1448, flags: ACK | PSH, id: 0xfffd, seq: 0xffffe000 });
});

test('a payload that fits one segment, and a bare header, give one full frame', () => {
  run({ payloadLen: 100, mss: 1448, flags: ACK | PSH | FIN | CWR });
  run({ v6: true, payloadLen: 1428, mss: 1428, flags: ACK | PSH });
  run({ payloadLen: 0, mss: 1448, flags: ACK | FIN });
});

test('tiny MSS: many segments, one byte each at the end', () => {
  run({ payloadLen: 63, mss: 1, flags: ACK | PSH | FIN | CWR, tcpOptions: TS_OPTS });
  run({ v6: true, payloadLen: 639, mss: 10, flags: ACK | PSH }); // 64 segments: every slot
});

test('statuses: unsupported types, bad headers, too many, too big', () => {
  const seg = new GsoSegmenter(8, HEADROOM + 1600, HEADROOM);
  const st = (s: Spec, edit?: (b: Built) => void, len?: (b: Built) => number): number => {
    const b = build(s);
    edit?.(b);
    return seg.segment(b.buf, b.off, len ? len(b) : b.len, b.hdrOff);
  };
  const v4: Spec = { payloadLen: 4000, mss: 1448, flags: ACK };
  assert.is(st(v4), 3);
  assert.is(st({ ...v4, gsoType: VIRTIO_NET_HDR_GSO_UDP }), SEGMENT_UNSUPPORTED);
  assert.is(st({ ...v4, gsoType: VIRTIO_NET_HDR_GSO_UDP_L4 }), SEGMENT_BAD_HEADERS, 'UDP_L4 on a TCP packet');
  assert.is(st({ ...v4, gsoType: 2 }), SEGMENT_UNSUPPORTED);
  assert.is(st({ ...v4, v6: true, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 }), SEGMENT_BAD_HEADERS, 'TCPV4 on an IPv6 frame');
  assert.is(st({ ...v4, gsoType: VIRTIO_NET_HDR_GSO_TCPV6 }), SEGMENT_BAD_HEADERS, 'TCPV6 on an IPv4 frame');
  assert.is(st({ ...v4, mss: 0 }), SEGMENT_BAD_HEADERS, 'gso_size 0');
  assert.is(st({ ...v4, v6: true }, (b) => { b.buf[b.off + 14 + 6] = 0; }), SEGMENT_UNSUPPORTED, 'IPv6 hop-by-hop header');
  assert.is(st(v4, (b) => { b.buf.writeUInt16BE(0x0806, b.off + 12); }), SEGMENT_UNSUPPORTED, 'ARP');
  assert.is(st(v4, (b) => { b.buf[b.off + 14 + 9] = 17; }), SEGMENT_BAD_HEADERS, 'TSO of a UDP packet');
  assert.is(st(v4, (b) => { b.buf.writeUInt16BE(0x2000, b.off + 14 + 6); }), SEGMENT_BAD_HEADERS, 'IPv4 fragment');
  assert.is(st(v4, (b) => { b.buf[b.off + 14] = 0x44; }), SEGMENT_BAD_HEADERS, 'IHL 4');
  assert.is(st(v4, (b) => { b.buf[b.off + 14] = 0x65; }), SEGMENT_BAD_HEADERS, 'version 6 in an IPv4 frame');
  assert.is(st(v4, (b) => { b.buf[b.off + 34 + 12] = 0x40; }), SEGMENT_BAD_HEADERS, 'TCP data offset 4');
  assert.is(st(v4, (b) => { b.buf[b.off + 34 + 12] = 0xf0; b.buf.writeUInt16BE(20 + 40, b.off + 16); }), SEGMENT_BAD_HEADERS, 'TCP header past IP end');
  assert.is(st(v4, undefined, (b) => b.len - 1), SEGMENT_BAD_HEADERS, 'IPv4 total length past the frame');
  assert.is(st({ ...v4, v6: true }, undefined, (b) => b.len - 1), SEGMENT_BAD_HEADERS, 'IPv6 payload length past the frame');
  for (const cut of [0, 5, 13, 14, 17, 33, 34, 53]) assert.is(st(v4, undefined, () => cut), SEGMENT_BAD_HEADERS, `truncated to ${cut}`);
  assert.is(st({ ...v4, payloadLen: 9 * 1448 }), SEGMENT_TOO_MANY);
  assert.is(st({ ...v4, mss: 1600 }), SEGMENT_TOO_BIG);
  // bad views never throw
  const b = build(v4);
  assert.is(seg.segment(b.buf, b.off, b.len + 4, b.hdrOff), SEGMENT_BAD_HEADERS);
  assert.is(seg.segment(b.buf, -1, 10, b.hdrOff), SEGMENT_BAD_HEADERS);
  assert.is(seg.segment(b.buf, 1.5, 10, b.hdrOff), SEGMENT_BAD_HEADERS);
  assert.is(seg.segment(b.buf, b.off, b.len, b.buf.length - 9), SEGMENT_BAD_HEADERS);
  assert.is(seg.segment(b.buf, b.off, b.len, Number.NaN), SEGMENT_BAD_HEADERS);
  assert.throws(() => new GsoSegmenter(0, ROOM, HEADROOM));
  assert.throws(() => new GsoSegmenter(4, HEADROOM + 100, HEADROOM));
});

test('a frame without GSO is copied to slot 0, its checksum completed when NEEDS_CSUM', () => {
  const seg = new GsoSegmenter(4, HEADROOM + 2000, HEADROOM);
  const b = build({ payloadLen: 1000, mss: 0, flags: ACK | PSH, tcpOptions: TS_OPTS, gsoType: VIRTIO_NET_HDR_GSO_NONE });
  assert.is(seg.segment(b.buf, b.off, b.len, b.hdrOff), 1);
  verify(seg, 1, b, { payloadLen: 1000, mss: 1448, flags: ACK | PSH, tcpOptions: TS_OPTS });
  b.buf[b.hdrOff] = 0; // plain: copied as is (the partial checksum stays)
  assert.is(seg.segment(b.buf, b.off, b.len, b.hdrOff), 1);
  assert.ok(seg.buffer.subarray(seg.offsets[0], seg.offsets[0] + seg.lengths[0]).equals(b.buf.subarray(b.off, b.off + b.len)));
  b.buf[b.hdrOff] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  b.buf.writeUInt16LE(b.len, b.hdrOff + 6); // csum_start past the end
  assert.is(seg.segment(b.buf, b.off, b.len, b.hdrOff), SEGMENT_BAD_HEADERS);
  const big = build({ payloadLen: 1990, mss: 0, flags: ACK, gsoType: VIRTIO_NET_HDR_GSO_NONE });
  assert.is(seg.segment(big.buf, big.off, big.len, big.hdrOff), SEGMENT_TOO_BIG);
});

test(`fuzz: mutated super-frames give a negative status or valid segments, never throw (seed ${DEFAULT_SEED})`, () => {
  const r = rng(DEFAULT_SEED);
  const seg = new GsoSegmenter(16, HEADROOM + 2048, HEADROOM);
  const seeds: Spec[] = [
    { payloadLen: 5000, mss: 1448, flags: ACK | PSH | FIN | CWR, tcpOptions: TS_OPTS },
    { v6: true, payloadLen: 4099, mss: 1428, flags: ACK | PSH, tcpOptions: TS_OPTS },
    { vlan: true, payloadLen: 3001, mss: 1000, flags: ACK | PSH },
    { ipOptionWords: 1, payloadLen: 700, mss: 100, flags: ACK | CWR },
  ];
  const counts = { ok: 0, bad: 0 };
  for (let k = 0; k < 4000; k++) {
    const s = seeds[k % seeds.length];
    const b = build(s);
    const region = b.buf.subarray(b.hdrOff, b.off + b.len);
    // mutate mostly the headers: the virtio header and the first 90 bytes of the frame
    const head = mutate(r, region.subarray(0, VIRTIO_NET_HDR_LEN + 90), 3);
    const m = Buffer.concat([head, region.subarray(VIRTIO_NET_HDR_LEN + 90)]);
    const cut = r.bool(0.2) ? r.int(m.length + 1) : m.length;
    const len = Math.max(0, cut - VIRTIO_NET_HDR_LEN);
    let n = 0;
    try {
      n = seg.segment(m, VIRTIO_NET_HDR_LEN, Math.min(len, Math.max(0, m.length - VIRTIO_NET_HDR_LEN)), 0);
    } catch (e) {
      assert.unreachable(`threw on mutation ${k}: ${String(e)}`);
    }
    assert.ok(Number.isInteger(n) && n !== 0 && n >= -4 && n <= 16, `status ${n}`);
    if (n < 0) {
      counts.bad++;
      continue;
    }
    counts.ok++;
    for (let i = 0; i < n; i++) {
      assert.ok(seg.lengths[i] >= 14 && seg.lengths[i] <= seg.segmentRoom - seg.headroom, 'segment fits its slot');
    }
  }
  assert.ok(counts.ok > 100 && counts.bad > 100, `both outcomes exercised: ${JSON.stringify(counts)}`);
});

test('completeChecksum: TCP and UDP over IPv4 and IPv6, a UDP zero becomes 0xffff, bounds', () => {
  const r = rng(31);
  for (const v6 of [false, true]) {
    for (const proto of [6, 17]) {
      for (const plen of [0, 1, 57, 1448, 1449]) {
        const ipLen = v6 ? 40 : 20;
        const l4h = proto === 6 ? 32 : 8;
        const l4Len = l4h + plen;
        const f = Buffer.alloc(14 + ipLen + l4Len);
        f.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
        if (v6) {
          f[14] = 0x60;
          f.writeUInt16BE(l4Len, 18);
          f[20] = proto;
          f[21] = 64;
          f.set(SRC6, 22);
          f.set(DST6, 38);
        } else {
          f[14] = 0x45;
          f.writeUInt16BE(20 + l4Len, 16);
          f[22] = 64;
          f[23] = proto;
          f.set(SRC4, 26);
          f.set(DST4, 30);
        }
        const l4 = 14 + ipLen;
        r.bytes(l4Len).copy(f, l4);
        if (proto === 17) f.writeUInt16BE(l4Len, l4 + 4);
        else f[l4 + 12] = (l4h / 4) << 4;
        const csumOff = proto === 6 ? 16 : 6;
        f.writeUInt16BE(0, l4 + csumOff);
        const expect = refChecksum([...pseudo(v6, l4Len, proto), ...f.subarray(l4)]) || (proto === 17 ? 0xffff : 0);
        f.writeUInt16BE(refFold(pseudo(v6, l4Len, proto)), l4 + csumOff);
        assert.ok(completeChecksum(f, 0, f.length, l4, csumOff));
        const got = f.readUInt16BE(l4 + csumOff);
        // Linux stores a computed 0 as 0xffff for TCP too (skb_checksum_help); both verify
        assert.is(got === 0xffff && expect === 0 ? 0 : got, expect, `v6 ${v6} proto ${proto} len ${plen}`);
        if (proto === 17) assert.ok(udpChecksumOkInIp(f, 14, f.length - 14));
      }
    }
  }
  // a UDP datagram over IPv4 whose checksum computes to 0: two payload bytes make the sum 0xffff
  const f = Buffer.alloc(14 + 20 + 8 + 10);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(38, 16);
  f[23] = 17;
  f.set(SRC4, 26);
  f.set(DST4, 30);
  f.writeUInt16BE(5353, 34);
  f.writeUInt16BE(4789, 36);
  f.writeUInt16BE(18, 38);
  f.write('zero-sum', 42, 'latin1');
  const rest = refFold([...pseudo(false, 18, 17), ...f.subarray(34)]);
  f.writeUInt16BE(0xffff - rest, 50);
  assert.is(refChecksum([...pseudo(false, 18, 17), ...f.subarray(34)]), 0, 'the crafted datagram sums to 0xffff');
  f.writeUInt16BE(refFold(pseudo(false, 18, 17)), 40);
  assert.ok(completeChecksum(f, 0, f.length, 34, 6));
  assert.is(f.readUInt16BE(40), 0xffff);
  assert.ok(udpChecksumOkInIp(f, 14, f.length - 14));
  // bounds: the field must lie inside the frame; nothing is written otherwise
  const copy = Buffer.from(f);
  assert.not.ok(completeChecksum(f, 0, f.length, f.length - 1, 0));
  assert.not.ok(completeChecksum(f, 0, f.length, 34, f.length - 34 - 1));
  assert.not.ok(completeChecksum(f, 0, f.length + 1, 34, 6));
  assert.not.ok(completeChecksum(f, 2, f.length, 34, 6));
  assert.not.ok(completeChecksum(f, 0, f.length, -2, 6));
  assert.not.ok(completeChecksum(f, 0, f.length, 34, Number.NaN));
  assert.ok(f.equals(copy));
});

test('segment() and completeChecksum() allocate nothing per call', () => {
  const seg = new GsoSegmenter(64, ROOM, HEADROOM);
  // a sequence number above 2^30 would be boxed (16 bytes) if it crossed a call as a number
  const b = build({ payloadLen: 65535 - 20 - 32, mss: 1448, flags: ACK | PSH, tcpOptions: TS_OPTS, seq: 0xfffff000 });
  const c = build({ payloadLen: 1448, mss: 0, flags: ACK, gsoType: VIRTIO_NET_HDR_GSO_NONE });
  const cs = c.off + 34;
  const loop = (k: number): void => {
    for (let i = 0; i < k; i++) {
      seg.segment(b.buf, b.off, b.len, b.hdrOff);
      completeChecksum(c.buf, c.off, c.len, 34, 16);
      c.buf[cs + 16] = 0;
    }
  };
  loop(3000); // warm up: optimised code, word views made
  // collect the earlier tests' garbage first, or the GCs below would count it as ours
  collectGarbage();
  // the least of three rounds: a real per-call allocation shows in every round, while a GC that
  // happens to free bytecode or earlier garbage mid-round inflates only one (seen: 2-10 bytes per call)
  let perCall = Infinity;
  for (let round = 0; round < 3; round++) perCall = Math.min(perCall, allocatedBytes(() => loop(8000)) / 8000);
  // one stray object per call would be >= 16 bytes (a boxed number)
  assert.ok(perCall < 8, `${perCall.toFixed(1)} bytes per call`);
});

test.run();
