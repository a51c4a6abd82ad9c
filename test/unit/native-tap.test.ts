// Unit tests of the TAP wrapper that need no root: read-batch geometry, interface-name checks,
// errno -> TsnetError mapping, and the addon's argument checks (loaded from build/Release).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import { TapReadBatch, TAP_DEFAULT_HEADROOM, TAP_MAX_FRAME } from '../../src/native/tap.js';
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
  assert.is(b.buffer.length, 64 * b.slotSize);
  assert.is(b.lengths.length, 64);
  assert.is(b.offset(0), 96);
  assert.is(b.offset(3), 3 * b.slotSize + 96);
  const small = new TapReadBatch(2, 200, 10);
  assert.is(small.offset(1), 210);
  assert.throws(() => new TapReadBatch(0), RangeError);
  assert.throws(() => new TapReadBatch(4, 96, 96), RangeError);
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
  assert.is(errnoName(77), 'EBADFD');
  assert.is(errnoName(E.EAGAIN), 'EAGAIN');
});

test('the addon loads from the package root and checks its arguments', () => {
  assert.ok(packageRoot().length > 0);
  const n = loadNative();
  for (const f of ['open', 'setPersist', 'ifName', 'close', 'write', 'writeBatch', 'lastErrno', 'readerStart', 'readerStop', 'readerStats']) {
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
  assert.throws(() => n.readerStart(-1, buf, new Int32Array(4), 4, 100, 10, () => undefined, () => undefined), RangeError);
  const r = n.readerStart(-1, Buffer.alloc(400), new Int32Array(4), 4, 100, 10, () => undefined, () => undefined);
  assert.equal(r, { errno: E.EBADF, syscall: 'uv_poll_init' });
  assert.equal(n.close(-1), { errno: E.EBADF, syscall: 'close' });
});

test.run();
