// TCP and UDP super-frames in the switch (port.ts `vnet`, switch.ts sendSegments): a super-frame goes whole,
// with its virtio-net header, to a port that accepts offloads, and is cut once into plain segments
// (software GSO) for every other port, a flood included; a second super-frame in one burst flushes
// the ports the first one's segments went to before the segmenter's buffer is reused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createMemoryPort } from '../../src/dataplane/memory-port.js';
import { newCounters, REMOTE_NONE, type FrameSink, type Port } from '../../src/dataplane/port.js';
import { buildSuperFrame, TS_OPTS, ACK, PSH } from './tcp-frames.js';
import { udpSuperFrame, udpSuperFrameDatagrams } from './udp-frames.js';

const DST = '02:00:00:00:00:02'; // buildSuperFrame's destination
const MSS = 1448;

/** A port that takes super-frames and records what it got (the frame and its vnet offset). */
class OffloadPort implements Port {
  readonly kind = 'tap' as const;
  readonly counters = newCounters();
  readonly acceptsOffload = true;
  readonly got: Array<{ len: number; vnet: number; hdr: Buffer }> = [];
  constructor(readonly name: string) {}
  setSink(_sink: FrameSink | null): void {}
  output(buf: Buffer, off: number, len: number, _remote: number, vnet = -1): void {
    this.got.push({ len, vnet, hdr: Buffer.from(buf.subarray(vnet >= 0 ? vnet : off, off)) });
  }
  close(): void {}
}

function setup() {
  const sw = createSwitch({ name: 'offload' });
  const from = createMemoryPort('from');
  const tap = new OffloadPort('tap');
  const plain = createMemoryPort('plain');
  for (const p of [from, tap, plain]) sw.addPort(p);
  return { sw, from, tap, plain };
}

const payloadLen = 10 * MSS + 777;
const frame = () => buildSuperFrame({ payloadLen, mss: MSS, flags: ACK | PSH, tcpOptions: TS_OPTS });

test('to a port that accepts offloads the super-frame goes whole, with its virtio header', () => {
  const { sw, from, tap, plain } = setup();
  sw.setStatic(DST, tap);
  const b = frame();
  sw.input(from, b.buf, b.off, b.len, REMOTE_NONE, b.hdrOff);
  sw.flush();
  assert.is(tap.got.length, 1);
  assert.is(tap.got[0]!.len, b.len);
  assert.is(tap.got[0]!.vnet, b.hdrOff);
  assert.equal(tap.got[0]!.hdr, b.buf.subarray(b.hdrOff, b.off), 'the header the TAP gave');
  assert.is(plain.sent.length, 0);
  assert.is(sw.counters.segmented, 0);
});

test('to a port that takes plain frames it is cut into MSS segments whose payloads make the original', () => {
  const { sw, from, plain } = setup();
  sw.setStatic(DST, plain);
  const b = frame();
  sw.input(from, b.buf, b.off, b.len, REMOTE_NONE, b.hdrOff);
  sw.flush();
  assert.is(plain.sent.length, 11);
  assert.is(sw.counters.segmented, 1);
  assert.is(sw.counters.segments, 11);
  const hdrs = b.ethLen + b.ipLen + b.tcpLen;
  const payload = Buffer.concat(plain.sent.map((s) => s.frame.subarray(hdrs)));
  assert.equal(payload, b.payload);
  for (const s of plain.sent.slice(0, 10)) assert.is(s.frame.length, hdrs + MSS);
});

test('a UDP super-frame (UDP_L4) goes whole to an offload port and as its datagrams to a plain port', () => {
  const { sw, from, tap, plain } = setup();
  const spec = { payloadLen: 12 * 1200 + 5, gsoSize: 1200, id: 0x4321 };
  const u = udpSuperFrame(spec); // to 02:..:02, not learnt: flooded to both
  sw.input(from, u.buf, u.off, u.len, REMOTE_NONE, u.hdrOff);
  sw.flush();
  assert.is(tap.got.length, 1);
  assert.is(tap.got[0]!.len, u.len);
  assert.is(tap.got[0]!.vnet, u.hdrOff);
  const want = udpSuperFrameDatagrams(spec);
  assert.is(plain.sent.length, 13);
  plain.sent.forEach((s, i) => assert.equal(s.frame, want[i], `datagram ${i}`));
  assert.is(sw.counters.segmented, 1);
  assert.is(sw.counters.segments, 13);
});

test('a flood gives the offload port the whole frame and the others one cut', () => {
  const { sw, from, tap, plain } = setup();
  const b = frame(); // DST unknown: flooded
  sw.input(from, b.buf, b.off, b.len, REMOTE_NONE, b.hdrOff);
  sw.flush();
  assert.is(tap.got.length, 1);
  assert.is(tap.got[0]!.len, b.len);
  assert.is(plain.sent.length, 11);
  assert.is(sw.counters.segmented, 1, 'cut once');
});

test('a second super-frame in one burst flushes the first one\'s segments before the buffer is reused', () => {
  const { sw, from, plain } = setup();
  sw.setStatic(DST, plain);
  const a = frame();
  const c = frame();
  sw.input(from, a.buf, a.off, a.len, REMOTE_NONE, a.hdrOff);
  assert.is(plain.flushes, 0);
  sw.input(from, c.buf, c.off, c.len, REMOTE_NONE, c.hdrOff);
  assert.is(plain.flushes, 1, 'flushed before the second cut');
  sw.flush();
  assert.is(plain.flushes, 2);
  assert.is(plain.sent.length, 22);
  assert.is(sw.counters.segmented, 2);
});

test('a plain frame after a super-frame is not treated as one', () => {
  const { sw, from, plain } = setup();
  sw.setStatic(DST, plain);
  const b = frame();
  sw.input(from, b.buf, b.off, b.len, REMOTE_NONE, b.hdrOff);
  const first = plain.sent[0]!.frame;
  const again = Buffer.alloc(64 + first.length);
  first.copy(again, 64);
  sw.input(from, again, 64, first.length, REMOTE_NONE);
  sw.flush();
  assert.is(plain.sent.length, 12);
  assert.equal(plain.sent[11]!.frame, first);
  assert.is(sw.counters.segmented, 1);
});

test.run();
