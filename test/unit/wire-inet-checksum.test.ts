// The fast Internet checksum sum (src/wire/inet-checksum.ts), which reads 32-bit words, against a
// byte-by-byte reference written here and against checksumAdd (checksum.ts): every alignment of the
// memory and of the range, odd and even lengths, carry-in, all-0xff data (maximum carries), RFC 1071's
// worked example and a known IPv4 header.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checksumAdd, checksumFinish } from '../../src/wire/index.js';
import { inetSum, inetFold, inetChecksum, inetCopySum } from '../../src/wire/inet-checksum.js';
import { rng } from '../helpers/fault-rng.js';

/** Reference: one byte per step, even distance from the start = high byte of a 16-bit word. */
function refFold(b: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  for (let i = 0; i < len; i++) s += i % 2 === 0 ? b[off + i] * 256 : b[off + i];
  while (s > 0xffff) s = (s % 65536) + Math.floor(s / 65536);
  return s;
}

test('RFC 1071 section 3 example and a known IPv4 header', () => {
  const ex = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.is(inetFold(inetSum(ex, 0, ex.length)), 0xddf2);
  assert.is(inetChecksum(ex, 0, ex.length), 0x220d);
  // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
  const ip = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  assert.is(inetChecksum(ip, 0, ip.length), 0xb861);
  ip.writeUInt16BE(0xb861, 10);
  assert.is(inetChecksum(ip, 0, ip.length), 0);
});

test('matches the byte-by-byte reference at every memory alignment, range parity and length', () => {
  const r = rng(21);
  const backing = Buffer.from(r.bytes(9000));
  for (let base = 0; base < 8; base++) {
    const view = new Uint8Array(backing.buffer, backing.byteOffset + base, backing.length - base);
    for (let k = 0; k < 120; k++) {
      const len = k < 40 ? 120 + k : r.int(k < 100 ? 1600 : 8900 - 8);
      const off = r.int(view.length - len);
      const carry = r.pick([0, 1, 0xffff, 0x12345, 2 ** 40]);
      const want = refFold(view, off, len, carry);
      assert.is(inetFold(inetSum(view, off, len, carry)), want, `base ${base} off ${off} len ${len}`);
      assert.is(inetFold(inetSum(view, off, len, carry)), 0xffff ^ checksumFinish(checksumAdd(view, off, len, carry)));
    }
  }
});

test('all-0xff and all-zero data, short ranges, Buffer views into a shared pool', () => {
  const ff = Buffer.alloc(70_000, 0xff);
  for (const len of [0, 1, 2, 3, 127, 128, 129, 1448, 1449, 65_536, 69_997]) {
    for (const off of [0, 1, 2, 3]) {
      assert.is(inetFold(inetSum(ff, off, len)), refFold(ff, off, len), `0xff len ${len} off ${off}`);
    }
  }
  const zero = Buffer.alloc(4096);
  assert.is(inetSum(zero, 3, 4000), 0);
  assert.is(inetChecksum(zero, 0, 4000), 0xffff);
  // small Buffers come from Node's shared pool at arbitrary byte offsets
  const r = rng(22);
  for (let k = 0; k < 200; k++) {
    const b = Buffer.from(r.bytes(1 + r.int(600)));
    const off = r.int(b.length);
    const len = r.int(b.length - off + 1);
    assert.is(inetFold(inetSum(b, off, len, 7)), refFold(b, off, len, 7));
  }
});

test('sums of consecutive ranges chain when each starts at an even distance', () => {
  const r = rng(23);
  const b = r.bytes(5000);
  const split = 2 * r.int(1000) + 2;
  const whole = inetFold(inetSum(b, 11, 4000));
  assert.is(inetFold(inetSum(b, 11 + split, 4000 - split, inetSum(b, 11, split))), whole);
});

test('inetCopySum copies exactly and returns the sum of the copy, aligned or not', () => {
  const r = rng(24);
  const src = Buffer.from(r.bytes(6000));
  const dst = Buffer.alloc(6100);
  for (let k = 0; k < 400; k++) {
    const len = k < 100 ? r.int(300) : r.int(5800);
    const so = r.int(src.length - len + 1);
    // half the cases with the same alignment mod 4 (the word loop), half arbitrary (the byte loop)
    let dOff = r.int(dst.length - len - 3);
    if (k % 2 === 0) dOff += (src.byteOffset + so - (dst.byteOffset + dOff)) & 3;
    dst.fill(0xa5);
    const carry = r.pick([0, 3, 0xfffff]);
    const sum = inetCopySum(src, so, dst, dOff, len, carry);
    assert.ok(dst.subarray(dOff, dOff + len).equals(src.subarray(so, so + len)), `copy k=${k}`);
    assert.is(dst[dOff - 1], 0xa5, 'nothing written before');
    if (dOff + len < dst.length) assert.is(dst[dOff + len], 0xa5, 'nothing written after');
    assert.is(inetFold(sum), refFold(src, so, len, carry), `sum k=${k} len ${len}`);
  }
});

test.run();
