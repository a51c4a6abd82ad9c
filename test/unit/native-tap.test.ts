// Unit tests of the TAP wrapper that need no root: read-batch geometry, interface-name checks,
// errno -> TsnetError mapping, and the addon's argument checks (loaded from build/Release).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import {
  TapReadBatch,
  TAP_DEFAULT_HEADROOM,
  TAP_MAX_FRAME,
  TAP_MAX_OFFLOAD_FRAME,
  TAP_OFFLOAD_BATCH_BYTES,
  TAP_OFFLOAD_BATCH_FRAMES,
  VNET_HDR_LEN,
} from '../../src/native/tap.js';
import { checkTapName, errnoName, tapError } from '../../src/native/tap-errors.js';
import { loadNative, packageRoot } from '../../src/native/addon.js';
import { HEADROOM } from '../../src/dataplane/port.js';
import { TsnetError } from '../../src/errors.js';

const E = constants.errno;

test('TapReadBatch defaults and slot offsets', () => {
  const b = new TapReadBatch();
  assert.is(b.frames, 64);
  assert.is(b.headroom, TAP_DEFAULT_HEADROOM);
  assert.is(TAP_DEFAULT_HEADROOM, HEADROOM, 'same headroom as the data plane');
  assert.is(b.slotSize, TAP_DEFAULT_HEADROOM + TAP_MAX_FRAME);
  assert.is(b.buffer.length, 64 * (b.slotSize + 8), 'room for 64 reads of maxFrame + 1, 8-byte aligned');
  assert.is(b.lengths.length, 64);
  assert.is(b.offsets.length, 64);
  assert.is(b.maxFrame, TAP_MAX_FRAME);
  // Before the first read, offsets are where maximal frames would be packed (the old slots).
  assert.is(b.offset(0), 96);
  assert.is(b.offset(3), 3 * (b.slotSize + 8) + 96);
  const small = new TapReadBatch(2, 200, 10);
  assert.is(small.offset(1), 208 + 10);
  assert.is(small.maxFrame, 190);
  assert.throws(() => new TapReadBatch(0), RangeError);
  assert.throws(() => new TapReadBatch(4, 96, 96), RangeError);
});

test('TapReadBatch: lengths and offsets share one meta array; slots + 1 are rounded up to 8', () => {
  const b = new TapReadBatch(3, 101, 10);
  assert.is(b.meta.length, 6);
  b.meta[1] = 42;
  b.meta[4] = 7;
  assert.is(b.lengths[1], 42);
  assert.is(b.offsets[1], 7);
  assert.is(b.offset(1), 7);
  assert.is(b.buffer.length, 3 * 104, 'three maximal reads (101 + 1 bytes) fit at 8-byte aligned positions');
});

test('TapReadBatch options form and the offload batch', () => {
  const p = new TapReadBatch({ frames: 1000, bufferSize: 4096, headroom: 16, maxFrame: 1514 });
  assert.is(p.frames, 1000);
  assert.is(p.buffer.length, 4096);
  assert.is(p.offset(0), 16);
  assert.is(p.offset(1), 1536 + 16);
  assert.is(p.offset(2), -1, 'no room for a third maximal frame');
  const d = new TapReadBatch({});
  assert.is(d.frames, 64);
  assert.is(d.maxFrame, TAP_MAX_FRAME);
  const o = TapReadBatch.forOffload();
  assert.is(TAP_MAX_OFFLOAD_FRAME, 65553);
  assert.is(o.maxFrame, TAP_MAX_OFFLOAD_FRAME);
  assert.is(o.buffer.length, TAP_OFFLOAD_BATCH_BYTES);
  assert.is(o.frames, TAP_OFFLOAD_BATCH_FRAMES);
  assert.is(o.headroom, TAP_DEFAULT_HEADROOM);
  assert.ok(o.headroom >= VNET_HDR_LEN);
  assert.is(TapReadBatch.forDevice({ offload: true }, 32).headroom, 32);
  assert.is(TapReadBatch.forDevice({ offload: false }).maxFrame, TAP_MAX_FRAME);
  assert.throws(() => new TapReadBatch({ bufferSize: 1001, maxFrame: 1000, headroom: 1 }), RangeError, 'no spare byte');
  assert.is(new TapReadBatch({ bufferSize: 1002, maxFrame: 1000, headroom: 1 }).buffer.length, 1002);
  assert.throws(() => new TapReadBatch({ maxFrame: 0 }), RangeError);
  assert.throws(() => new TapReadBatch({ headroom: -1 }), RangeError);
});

test('interface names are checked like the kernel does', () => {
  assert.is(checkTapName(''), null);
  assert.is(checkTapName('tap%d'), null);
  assert.is(checkTapName('a'.repeat(15)), null);
  for (const bad of ['a'.repeat(16), 'a/b', 'a:b', 'a b', '.', '..']) {
    const e = checkTapName(bad);
    assert.instance(e, TsnetError, bad);
    assert.is(e!.code, 'ETAP_BAD_NAME');
    assert.is(e!.category, 'bad-request');
  }
});

test('errno values map to stable codes and categories', () => {
  const ctx = { op: 'open' as const, name: 'tap1' };
  const perm = tapError({ errno: E.EPERM, syscall: 'ioctl(TUNSETIFF)' }, ctx);
  assert.is(perm.code, 'ETAP_PERMISSION');
  assert.is(perm.category, 'forbidden');
  assert.is(perm.message, 'creating a TAP device needs CAP_NET_ADMIN; run tsnet as root.');
  assert.is(tapError({ errno: E.EACCES, syscall: 'open' }, ctx).code, 'ETAP_PERMISSION');
  const driver = tapError({ errno: E.ENOENT, syscall: 'open' }, ctx);
  assert.is(driver.code, 'ETAP_NO_DRIVER');
  assert.is(driver.message, 'the TUN/TAP driver is missing: /dev/net/tun does not exist; load the tun module (modprobe tun).');
  const busy = tapError({ errno: E.EBUSY, syscall: 'ioctl(TUNSETIFF)' }, ctx);
  assert.is(busy.code, 'ETAP_BUSY');
  assert.is(busy.category, 'conflict');
  assert.is(tapError({ errno: E.EINVAL, syscall: 'ioctl(TUNSETIFF)' }, ctx).category, 'bad-request');
  assert.is(tapError({ errno: E.ENODEV, syscall: 'if_nametoindex' }, ctx).category, 'not-found');
  const ns = { op: 'open' as const, name: 'eth0', netnsPath: '/var/run/netns/x' };
  assert.is(tapError({ errno: E.ENOENT, syscall: 'open(netns)' }, ns).code, 'ENETNS_NOT_FOUND');
  assert.is(tapError({ errno: E.EINVAL, syscall: 'setns' }, ns).code, 'ENETNS_INVALID');
  assert.is(tapError({ errno: E.EPERM, syscall: 'setns' }, ns).category, 'forbidden');
  const read = { op: 'read' as const, name: 'eth0' };
  assert.is(tapError({ errno: 77, syscall: 'read' }, read).code, 'ETAP_GONE');
  assert.is(tapError({ errno: E.EBADF, syscall: 'uv_poll' }, read).category, 'unavailable');
  const odd = tapError({ errno: E.EXDEV, syscall: 'read' }, read);
  assert.is(odd.code, 'ETAP_SYSCALL');
  assert.is(odd.category, 'internal');
  const off = tapError({ errno: E.EINVAL, syscall: 'ioctl(TUNSETOFFLOAD)' }, ctx);
  assert.is(off.code, 'ETAP_NO_OFFLOAD');
  assert.is(off.category, 'unavailable');
  assert.is(errnoName(77), 'EBADFD');
  assert.is(errnoName(E.EAGAIN), 'EAGAIN');
});

test('the addon loads from the package root and checks its arguments', () => {
  assert.ok(packageRoot().length > 0);
  const n = loadNative();
  for (const f of ['open', 'setPersist', 'ifName', 'close', 'write', 'writeBatch', 'writeVnet', 'writeVnetBatch', 'lastErrno', 'readerStart', 'readerStop', 'readerStats']) {
    assert.type((n as unknown as Record<string, unknown>)[f], 'function', f);
  }
  const buf = Buffer.alloc(100);
  assert.is(n.write(-1, buf, 0, 60), -E.EBADF, 'write on a bad fd returns -errno');
  assert.throws(() => n.write(-1, buf, 50, 60), RangeError);
  assert.throws(() => n.write(-1, buf, -1, 10), RangeError);
  assert.is(n.writeBatch(-1, buf, Int32Array.of(0, 10), Int32Array.of(10, 10), 2), 0);
  assert.is(n.lastErrno(), E.EBADF);
  assert.throws(() => n.writeBatch(-1, buf, Int32Array.of(0), Int32Array.of(10), 2), RangeError);
  assert.throws(() => n.writeBatch(-1, buf, Int32Array.of(95), Int32Array.of(10), 1), RangeError);
  const none = () => undefined;
  assert.throws(() => n.readerStart(-1, buf, new Int32Array(8), 4, 90, 10, 0, none, none), RangeError, 'headroom + maxFrame + 1 > buffer');
  assert.throws(() => n.readerStart(-1, Buffer.alloc(400), new Int32Array(7), 4, 90, 10, 0, none, none), RangeError, 'meta shorter than 2*frames');
  assert.throws(() => n.readerStart(-1, Buffer.alloc(400), new Int32Array(8), 4, 90, 8, 10, none, none), RangeError, 'headroom < vnet header');
  assert.throws(() => n.readerStart(-1, Buffer.alloc(400), new Int32Array(8), 4, 90, 12, 12, none, none), RangeError, 'vnet header not 10');
  const r = n.readerStart(-1, Buffer.alloc(400), new Int32Array(8), 4, 90, 10, 10, none, none);
  assert.equal(r, { errno: E.EBADF, syscall: 'uv_poll_init' });
  const hdr = Buffer.alloc(20);
  assert.is(n.writeVnet(-1, hdr, 10, buf, 0, 60), -E.EBADF, 'writeVnet on a bad fd returns -errno');
  assert.throws(() => n.writeVnet(-1, hdr, 11, buf, 0, 60), RangeError, 'header past its buffer');
  assert.throws(() => n.writeVnet(-1, hdr, 0, buf, 50, 60), RangeError, 'frame past its buffer');
  assert.is(n.writeVnetBatch(-1, hdr, 0, buf, Int32Array.of(0), Int32Array.of(10), 1), 0);
  assert.is(n.lastErrno(), E.EBADF);
  assert.throws(() => n.writeVnetBatch(-1, hdr, 0, buf, Int32Array.of(95), Int32Array.of(10), 1), RangeError);
  assert.equal(n.close(-1), { errno: E.EBADF, syscall: 'close' });
});

test.run();
