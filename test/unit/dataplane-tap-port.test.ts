// Unit tests of the TAP port (src/dataplane/tap-port.ts) over a stand-in device with the
// TapDevice surface the port uses (no root, no kernel): batches reach the sink at HEADROOM and
// end with one flush, writes are counted, a full queue is a 'tx-would-block' drop, close stops
// reading and closes the device unless told not to; on an offload device, TCP segments output in one
// burst are coalesced and written once with writeGso() at flush() (the switch's end of burst). Real
// TAP devices are covered by integration tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTapPort, readerStatsOf, type TapDeviceLike } from '../../src/dataplane/tap-port.js';
import { HEADROOM, REMOTE_NONE, type FrameSink } from '../../src/dataplane/port.js';
import { createMemoryPort } from '../../src/dataplane/memory-port.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { TapReadBatch } from '../../src/native/tap.js';
import { TsnetError } from '../../src/errors.js';
import { BCAST, ethFrame } from './dataplane-scenarios.js';
import { ACK, PSH, run, tsOptions } from './tcp-frames.js';
import { VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_UDP_L4 } from '../../src/wire/virtio-net-hdr.js';
import { stream } from './udp-frames.js';

class StandInTap implements TapDeviceLike {
  readonly name = 'tapx0';
  closed = false;
  reading = false;
  batch: TapReadBatch | null = null;
  onBatch: ((count: number) => void) | null = null;
  onError: ((err: TsnetError) => void) | null = null;
  written: Buffer[] = [];
  /** writeGso() calls: header and frame */
  gso: Array<{ hdr: Buffer; frame: Buffer }> = [];
  /** every write in order: 'w' (write) or 'g' (writeGso) */
  order = '';
  full = false;
  /** What the "kernel" has queued for the next readNow(), one burst per call. */
  answers: Buffer[][] = [];
  readNowCalls = 0;
  private inCallback = false;
  readerStats() {
    return { wakeups: 0, batches: 0, frames: 0, drops: 0, readNowFrames: this.readNowCalls };
  }
  /** uso: the "kernel" took USO along with the other offloads (Linux >= 6.2) */
  constructor(readonly offload = false, readonly uso = offload) {}
  /** As the native reader: nothing inside its own callback or when not reading. */
  readNow(): number {
    this.readNowCalls++;
    if (!this.reading || this.inCallback) return 0;
    const burst = this.answers.shift();
    if (!burst) return 0;
    this.deliver(burst);
    return burst.length;
  }
  startReading(batch: TapReadBatch, onBatch: (count: number) => void, onError: (err: TsnetError) => void): void {
    this.batch = batch;
    this.onBatch = onBatch;
    this.onError = onError;
    this.reading = true;
  }
  stopReading(): void {
    this.reading = false;
  }
  write(buf: Buffer, off: number, len: number): boolean {
    if (this.full || this.closed) return false;
    this.written.push(Buffer.from(buf.subarray(off, off + len)));
    this.order += 'w';
    return true;
  }
  /** writeGso() refuses UDP_L4 super-frames, as a kernel without UDP segmentation would */
  refuseUdpL4 = false;
  writeGso(hdr: Buffer, buf: Buffer, off: number, len: number, hdrOff = 0): boolean {
    if (!this.offload) throw new TsnetError('ETAP_NO_OFFLOAD', 'internal', 'plain TAP');
    if (this.refuseUdpL4 && hdr[hdrOff + 1] === VIRTIO_NET_HDR_GSO_UDP_L4) throw new TsnetError('ETAP_WRITE', 'internal', 'Invalid argument');
    if (this.full || this.closed) return false;
    this.gso.push({ hdr: Buffer.from(hdr.subarray(hdrOff, hdrOff + 10)), frame: Buffer.from(buf.subarray(off, off + len)) });
    this.order += 'g';
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** What the native reader does: fill slots, then call back once. */
  deliver(frames: Buffer[]): void {
    const b = this.batch!;
    frames.forEach((f, i) => {
      f.copy(b.buffer, b.offset(i));
      b.lengths[i] = f.length;
    });
    this.inCallback = true;
    try {
      this.onBatch!(frames.length);
    } finally {
      this.inCallback = false;
    }
  }
}

test('a read batch reaches the sink frame by frame at HEADROOM, then one flush', () => {
  const dev = new StandInTap();
  const port = createTapPort(dev);
  assert.is(port.name, 'tapx0');
  assert.is(port.kind, 'tap');
  assert.ok(dev.reading);
  assert.is(dev.batch!.headroom, HEADROOM);
  const seen: string[] = [];
  const sink: FrameSink = {
    input: (p, buf, off, len, remote) => {
      assert.is(p, port);
      assert.is(remote, REMOTE_NONE);
      assert.ok(off >= HEADROOM);
      seen.push(buf.toString('hex', off, off + len));
    },
    flush: () => seen.push('flush'),
  };
  port.setSink(sink);
  const f1 = ethFrame(BCAST, '02:00:00:00:00:01');
  const f2 = ethFrame(BCAST, '02:00:00:00:00:02', { payloadLen: 1000 });
  dev.deliver([f1, f2]);
  assert.equal(seen, [f1.toString('hex'), f2.toString('hex'), 'flush']);
  assert.is(port.counters.rxFrames, 2);
  assert.is(port.counters.rxBytes, f1.length + f2.length);
  port.setSink(null);
  dev.deliver([f1]);
  assert.is(port.counters.drops['no-sink'], 1);
});

test('output writes; a full queue is counted as tx-would-block', () => {
  const dev = new StandInTap();
  const port = createTapPort(dev, { name: 'ep1' });
  assert.is(port.name, 'ep1');
  const f = ethFrame(BCAST, '02:00:00:00:00:01');
  port.output(f, 0, f.length, REMOTE_NONE);
  dev.full = true;
  port.output(f, 0, f.length, REMOTE_NONE);
  assert.is(dev.written.length, 1);
  assert.is(port.counters.txFrames, 1);
  assert.is(port.counters.drops['tx-would-block'], 1);
});

test('read errors go to onError', () => {
  const dev = new StandInTap();
  const errors: string[] = [];
  createTapPort(dev, { onError: (e) => errors.push(e.code) });
  dev.onError!(new TsnetError('ETAP_GONE', 'unavailable', 'gone'));
  assert.equal(errors, ['ETAP_GONE']);
});

test('close stops reading and closes the device, unless closeDevice is false', () => {
  const a = new StandInTap();
  const pa = createTapPort(a);
  pa.close();
  assert.not.ok(a.reading);
  assert.ok(a.closed);
  assert.ok(pa.closed);
  const f = ethFrame(BCAST, '02:00:00:00:00:01');
  pa.output(f, 0, f.length, REMOTE_NONE);
  assert.is(pa.counters.drops.closed, 1);
  const b = new StandInTap();
  createTapPort(b, { closeDevice: false }).close();
  assert.not.ok(b.reading);
  assert.not.ok(b.closed);
});

test('a TAP port in a switch: its burst is forwarded and the output port flushed once', () => {
  const dev = new StandInTap();
  const sw = createSwitch({ name: 'n' });
  const tap = createTapPort(dev);
  const mem = createMemoryPort('m');
  sw.addPort(tap);
  sw.addPort(mem);
  dev.deliver([ethFrame(BCAST, '02:00:00:00:00:01'), ethFrame(BCAST, '02:00:00:00:00:02')]);
  assert.is(mem.sent.length, 2);
  assert.is(mem.flushes, 1);
  mem.inject(ethFrame('02:00:00:00:00:02', '02:00:00:00:00:03'));
  assert.is(dev.written.length, 1);
});

const TS = { tcpOptions: tsOptions() };

test('read-back: a turn that wrote to a TAP reads it once more at its end, and the answer goes on in the same turn', () => {
  const [a, b] = [new StandInTap(), new StandInTap()];
  const sw = createSwitch({ name: 'n' });
  const [portA, portB] = [createTapPort(a, { name: 'tapA' }), createTapPort(b, { name: 'tapB' })];
  const mem = createMemoryPort('m');
  sw.addPort(portA);
  sw.addPort(portB);
  sw.addPort(mem);
  // B's container is learnt; then A's container sends it two frames in one burst, and B's kernel
  // queues its answer while they are written (as an ICMP echo reply is)
  b.deliver([ethFrame(BCAST, '02:00:00:00:00:0b')]);
  a.readNowCalls = b.readNowCalls = 0;
  a.written = []; // the flooded broadcast
  b.answers.push([ethFrame('02:00:00:00:00:0a', '02:00:00:00:00:0b')]);
  a.deliver([ethFrame('02:00:00:00:00:0b', '02:00:00:00:00:0a'), ethFrame('02:00:00:00:00:0b', '02:00:00:00:00:0a')]);
  assert.is(b.written.length, 2);
  assert.is(b.readNowCalls, 1, 'one read-back per turn, not per frame');
  assert.is(a.written.length, 1, 'the answer reached A before deliver() returned');
  assert.is(a.readNowCalls, 1, 'the answer written to A armed a read-back of A, run by the same turn end');
  assert.is(portB.counters.rxFrames, 2);
  assert.is(readerStatsOf(portB)?.readNowFrames, 1, "the device's reader counters, through the port");
  assert.is(readerStatsOf(mem), null);
  // a write outside a turn (nothing delivered by a reader) reads nothing back
  mem.inject(ethFrame('02:00:00:00:00:0b', '02:00:00:00:00:0c'));
  assert.is(b.written.length, 3);
  assert.is(b.readNowCalls, 1);
});

test('offload TAP: TCP segments output in a burst are written once as a super-frame at flush()', () => {
  const dev = new StandInTap(true);
  const port = createTapPort(dev);
  const segs = run(TS, 1000, 1448, 5);
  const arp = ethFrame(BCAST, '02:00:00:00:00:03', { type: 0x0806, payloadLen: 28 });
  for (const f of segs) port.output(f, 0, f.length, REMOTE_NONE);
  assert.is(dev.order, '', 'nothing written before the end of the burst');
  port.flush!();
  assert.is(dev.order, 'g');
  const g = dev.gso[0];
  assert.is(g.hdr[1], VIRTIO_NET_HDR_GSO_TCPV4);
  assert.is(g.hdr.readUInt16LE(4), 1448);
  assert.is(g.frame.length, 14 + 20 + 32 + 5 * 1448);
  assert.is(port.offloadStats.coalescedFrames, 1);
  assert.is(port.offloadStats.coalescedSegments, 5);
  assert.is(port.counters.txFrames, 5, 'counted as the segments');
  assert.is(port.counters.txBytes, segs.reduce((n, f) => n + f.length, 0));
  // order: super-frame, ARP, then a lone segment (written plain at flush)
  const more = run(TS, 1000 + 5 * 1448, 1448, 3, 0x1005, ACK | PSH);
  port.output(more[0], 0, more[0].length, REMOTE_NONE);
  port.output(more[1], 0, more[1].length, REMOTE_NONE);
  port.output(arp, 0, arp.length, REMOTE_NONE);
  port.output(more[2], 0, more[2].length, REMOTE_NONE);
  port.flush!();
  assert.is(dev.order, 'ggww');
  assert.ok(dev.written[0].equals(arp) && dev.written[1].equals(more[2]));
  // a full queue: the super-frame's segments are drops
  dev.full = true;
  for (const f of segs) port.output(f, 0, f.length, REMOTE_NONE);
  port.flush!();
  assert.is(port.counters.drops['tx-would-block'], 5);
  // close drops what is pending
  dev.full = false;
  for (const f of segs) port.output(f, 0, f.length, REMOTE_NONE);
  port.close();
  port.flush!();
  assert.is(dev.order, 'ggww');
  assert.is(port.counters.drops.closed ?? 0, 0);
});

test('offload TAP: UDP datagrams of one flow become one UDP_L4 super-frame; TCP in between keeps the order', () => {
  const dev = new StandInTap(true);
  const port = createTapPort(dev);
  const d = stream(6, 64);
  const segs = run(TS, 1000, 1448, 2);
  for (const f of [d[0], d[1], d[2], segs[0], segs[1], d[3], d[4], d[5]]) port.output(f, 0, f.length, REMOTE_NONE);
  port.flush!();
  assert.is(dev.order, 'ggg', 'UDP, TCP, UDP super-frames in the order they came');
  assert.equal(dev.gso.map((g) => g.hdr[1]), [VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_UDP_L4]);
  assert.is(dev.gso[0].hdr.readUInt16LE(4), 64, 'gso_size');
  assert.is(dev.gso[0].frame.length, 14 + 20 + 8 + 3 * 64);
  assert.is(port.offloadStats.udpCoalescedFrames, 2);
  assert.is(port.offloadStats.udpCoalescedDatagrams, 6);
  assert.is(port.offloadStats.coalescedFrames, 1);
  assert.is(port.counters.txFrames, 8);
});

test('offload TAP: a kernel that refuses UDP_L4 super-frames gets datagrams one by one after the first failure', () => {
  const dev = new StandInTap(true);
  dev.refuseUdpL4 = true;
  const errors: TsnetError[] = [];
  const port = createTapPort(dev, { onError: (e) => errors.push(e) });
  const d = stream(4, 64);
  for (const f of d) port.output(f, 0, f.length, REMOTE_NONE);
  port.flush!();
  assert.is(port.counters.drops['tx-error'], 4, 'the refused burst');
  assert.is(errors.length, 1, 'reported once');
  for (const f of d) port.output(f, 0, f.length, REMOTE_NONE);
  port.flush!();
  assert.is(dev.order, 'wwww', 'then written one by one');
  assert.ok(dev.written.every((w, i) => w.equals(d[i])));
  // a full queue is not a refusal: coalescing stays on
  const dev2 = new StandInTap(true);
  const port2 = createTapPort(dev2);
  dev2.full = true;
  for (const f of d) port2.output(f, 0, f.length, REMOTE_NONE);
  port2.flush!();
  assert.is(port2.counters.drops['tx-would-block'], 4);
  dev2.full = false;
  for (const f of d) port2.output(f, 0, f.length, REMOTE_NONE);
  port2.flush!();
  assert.is(dev2.order, 'g');
});

test('offload TAP on a kernel without USO: UDP datagrams written one by one from the start, TCP still merged', () => {
  const dev = new StandInTap(true, false);
  dev.refuseUdpL4 = true; // as Linux < 6.2 does; never reached
  const errors: TsnetError[] = [];
  const port = createTapPort(dev, { onError: (e) => errors.push(e) });
  const d = stream(4, 64);
  const segs = run(TS, 1000, 1448, 2);
  for (const f of [d[0], d[1], segs[0], segs[1], d[2], d[3]]) port.output(f, 0, f.length, REMOTE_NONE);
  port.flush!();
  assert.is(dev.order, 'wwgww', 'datagrams plain, the TCP segments one super-frame, in order');
  assert.equal(errors, [], 'nothing refused');
  assert.is(port.counters.drops['tx-error'] ?? 0, 0);
  assert.is(port.offloadStats.udpCoalescedFrames, 0);
  assert.is(port.offloadStats.coalescedFrames, 1);
  assert.is(port.counters.txFrames, 6);
});

test('plain TAP: output writes every frame at once, flush() writes nothing', () => {
  const dev = new StandInTap(false);
  const port = createTapPort(dev);
  const segs = run(TS, 1000, 1448, 3);
  for (const f of segs) port.output(f, 0, f.length, REMOTE_NONE);
  assert.is(dev.order, 'www');
  port.flush!();
  assert.is(dev.order, 'www');
  assert.is(port.offloadStats.coalescedFrames, 0);
});

test('offload TAP in a switch: a burst from another port reaches the TAP as one super-frame', () => {
  const dev = new StandInTap(true);
  const sw = createSwitch({ name: 'n' });
  const tap = createTapPort(dev);
  const mem = createMemoryPort('m');
  sw.addPort(tap);
  sw.addPort(mem);
  const segs = run(TS, 1000, 1448, 4);
  // the TAP's container (02:00:00:00:00:02, the segments' destination) is learned from a frame it sent
  dev.deliver([ethFrame(BCAST, '02:00:00:00:00:02')]);
  mem.injectBurst(segs);
  assert.is(dev.order, 'g');
  assert.is(dev.gso[0].frame.length, 14 + 20 + 32 + 4 * 1448);
  assert.is(tap.offloadStats.coalescedSegments, 4);
});

test.run();
