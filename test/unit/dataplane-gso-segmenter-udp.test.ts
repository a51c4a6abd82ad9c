// Software GSO of UDP super-frames (src/dataplane/gso-segmenter.ts, gso_type UDP_L4): a frame is built
// as a TAP with USO hands over a UDP_SEGMENT send (virtio-net header NEEDS_CSUM, the UDP checksum
// field holding only a partial sum, UDP and IP lengths of the whole), cut, and every datagram must
// equal byte for byte the one an independent builder (udp-frames.ts) makes for that slice of the
// payload with the IPv4 id counting up, as Linux's __udp_gso_segment() sends them. Also: a checksum
// that folds to 0 is sent as 0xffff, statuses for bad frames, and no allocation per call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GsoSegmenter, segmenterFor, SEGMENT_BAD_HEADERS, SEGMENT_TOO_MANY, SEGMENT_UNSUPPORTED,
} from '../../src/dataplane/gso-segmenter.js';
import { HEADROOM } from '../../src/dataplane/port.js';
import { allocatedBytes, collectGarbage } from '../helpers/heap-alloc.js';
import { pseudo, refFold } from './tcp-frames.js';
import { UDP, udpSuperFrame as superFrame, udpSuperFrameDatagrams as expected, type UdpSuperFrameSpec as UdpSpec } from './udp-frames.js';

function cut(s: UdpSpec, seg: GsoSegmenter = segmenterFor(null, s.gsoSize, HEADROOM)): Buffer[] {
  const f = superFrame(s);
  const n = seg.segment(f.buf, f.off, f.len, f.hdrOff);
  assert.ok(n > 0, `status ${n}`);
  return Array.from({ length: n }, (_, i) => Buffer.from(seg.buffer.subarray(seg.offsets[i], seg.offsets[i] + seg.lengths[i])));
}

function same(s: UdpSpec): void {
  const got = cut(s);
  const want = expected(s);
  assert.is(got.length, want.length, 'datagram count');
  for (let i = 0; i < want.length; i++) assert.ok(got[i].equals(want[i]), `datagram ${i} of ${want.length}: ${got[i].toString('hex')} != ${want[i].toString('hex')}`);
}

test('IPv4: ten full datagrams and a short last one, the id counting up through a wrap', () => {
  same({ payloadLen: 10 * 1200 + 333, gsoSize: 1200, id: 0xfffa });
});

test('IPv6: an odd gso_size, and a payload that is an exact multiple of it', () => {
  same({ v6: true, payloadLen: 7 * 1231 + 17, gsoSize: 1231 });
  same({ v6: true, payloadLen: 4 * 1400, gsoSize: 1400 });
});

test('the most datagrams Linux sends in one UDP_SEGMENT call (128), and small ones', () => {
  same({ payloadLen: 128 * 64, gsoSize: 64 });
  same({ v6: true, payloadLen: 128 * 8 - 3, gsoSize: 8 });
  same({ payloadLen: 200, gsoSize: 1400 }); // fits one datagram
});

test('a datagram whose checksum folds to 0 is sent with 0xffff', () => {
  // steer datagram 1's last two payload bytes (at an even offset from the UDP header) so that its sum
  // is 0xffff, i.e. its computed checksum is 0
  const g = 100;
  const s: UdpSpec = { payloadLen: 3 * g, gsoSize: g, patch: { at: 2 * g - 2, bytes: [0, 0] } };
  const d = expected(s)[1];
  const l4 = 14 + 20;
  const body = Buffer.from(d.subarray(l4));
  body.writeUInt16BE(0, 6);
  const v = 0xffff - refFold([...pseudo(false, body.length, UDP), ...body]);
  s.patch = { at: 2 * g - 2, bytes: [v >>> 8, v & 0xff] };
  const got = cut(s);
  assert.is(got[1].readUInt16BE(l4 + 6), 0xffff);
  same(s);
});

test('statuses: UDP_L4 on a TCP packet, IPv6 extension headers, truncated UDP header, too many', () => {
  const seg = new GsoSegmenter(8, HEADROOM + 1600, HEADROOM);
  const st = (s: UdpSpec, edit?: (b: Buffer, off: number) => void, len?: number): number => {
    const f = superFrame(s);
    edit?.(f.buf, f.off);
    return seg.segment(f.buf, f.off, len ?? f.len, f.hdrOff);
  };
  const v4: UdpSpec = { payloadLen: 3000, gsoSize: 1000 };
  assert.is(st(v4), 3);
  assert.is(st(v4, (b, o) => { b[o + 14 + 9] = 6; }), SEGMENT_BAD_HEADERS, 'protocol TCP');
  assert.is(st({ ...v4, v6: true }, (b, o) => { b[o + 14 + 6] = 0; }), SEGMENT_UNSUPPORTED, 'IPv6 hop-by-hop header');
  assert.is(st(v4, (b, o) => { b.writeUInt16BE(20 + 7, o + 14 + 2); }), SEGMENT_BAD_HEADERS, 'IP length cuts the UDP header');
  assert.is(st(v4, undefined, 14 + 20 + 7), SEGMENT_BAD_HEADERS, 'frame ends inside the UDP header');
  assert.is(st(v4, (b, o) => { b.writeUInt16BE(0x2000, o + 14 + 6); }), SEGMENT_BAD_HEADERS, 'IPv4 fragment');
  assert.is(st({ payloadLen: 9 * 100, gsoSize: 100 }), SEGMENT_TOO_MANY);
});

test('no allocation per UDP super-frame', () => {
  const s: UdpSpec = { payloadLen: 40 * 1200 + 7, gsoSize: 1200 };
  const f = superFrame(s);
  const seg = segmenterFor(null, s.gsoSize, HEADROOM);
  let n = 0;
  const loop = (k: number) => {
    for (let i = 0; i < k; i++) n = seg.segment(f.buf, f.off, f.len, f.hdrOff);
  };
  loop(3000); // warm up: optimised code (unoptimised code boxes sums above 2^30)
  collectGarbage();
  const rounds = 3000;
  let perCall = Infinity;
  for (let i = 0; i < 3; i++) perCall = Math.min(perCall, allocatedBytes(() => loop(rounds)) / rounds);
  assert.is(n, 41);
  assert.ok(perCall < 8, `${perCall.toFixed(2)} bytes per super-frame`);
});

test.run();
