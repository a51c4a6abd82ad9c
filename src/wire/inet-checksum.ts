// A fast Internet checksum sum (RFC 1071) for long ranges: TCP payloads of segments cut by
// src/dataplane/gso-segmenter.ts and checksums completed for NEEDS_CSUM frames from TAP offloads.
// checksum.ts (checksumAdd) adds one 16-bit word per step; this reads 32-bit words through a
// Uint32Array view of the buffer's memory, one load per 4 bytes: 1480 bytes in 310-440 ns against
// 650 ns for checksumAdd (bench/segmenter.ts; 4.5x in a tight loop without benny's overhead). inetCopySum() copies
// and sums in one pass without allocating. The pseudo-header sums are checksum.ts's pseudoHeaderSumIpv4/6.
//
// Why 32-bit native-order loads give the right answer (RFC 1071 section 2):
//  (A) the one's complement sum is associative and commutative, and a 32-bit sum of words folds to the
//      same 16-bit value as the sum of its 16-bit halves (carries wrap around either way);
//  (B) it is byte-order independent: summing byte-swapped words gives the byte-swapped sum. A
//      little-endian load of bytes [b0 b1 b2 b3] adds the words (b1:b0) + (b3:b2), i.e. the swapped
//      big-endian words when b0 sits at an even distance from the start of the range, and the words of
//      the range exactly when it sits at an odd distance (b0 is then the low byte of a range word).
// Sums are JS numbers: an unfolded running sum stays exact up to 2^53, far beyond any packet.
import { checksumAdd } from './checksum.js';

// ---- our choice ----
/** Ranges shorter than this go to checksumAdd: the view lookup and the alignment head and tail cost more
 *  than they save (measured for bench/segmenter.ts: 40 bytes 29 ns plain vs 76 ns with words). */
const WORDS_MIN_LEN = 128;
/** 32-bit words summed before folding the inner sum: 2^20 * (2^32 - 1) < 2^53 keeps it exact. */
const WORDS_PER_FOLD = 1 << 20;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One Uint32Array per backing ArrayBuffer, made on first use; buffers on the hot path live long, so
 *  steady state allocates nothing. Weak keys: a dropped buffer takes its view with it. */
const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();

function wordsOf(ab: ArrayBufferLike): Uint32Array {
  let w = wordViews.get(ab);
  if (w === undefined) {
    w = new Uint32Array(ab, 0, ab.byteLength >>> 2);
    wordViews.set(ab, w);
  }
  return w;
}

/** Folds any non-negative sum below 2^53 to 16 bits (end-around carry), not complemented. */
export function inetFold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Adds buf[off, off+len) to the running sum `sum` as big-endian 16-bit words counted from off (an odd
 * tail byte is padded with zero), and returns the new unfolded sum. Same result as checksumAdd in
 * checksum.ts; a range appended to an earlier one must start at an even distance from its start.
 * No allocation once the buffer's memory has been seen; never throws for an in-bounds range.
 */
export function inetSum(buf: Uint8Array, off: number, len: number, sum = 0): number {
  if (len < WORDS_MIN_LEN) return checksumAdd(buf, off, len, sum);
  const end = off + len;
  let i = off;
  const base = buf.byteOffset;
  // head: single bytes until the memory address is 4-aligned, each in its word position
  while (((base + i) & 3) !== 0) {
    sum += ((i - off) & 1) === 0 ? buf[i] << 8 : buf[i];
    i++;
  }
  const words = wordsOf(buf.buffer);
  let w = (base + i) >>> 2;
  const wEnd = (base + end) >>> 2;
  let folded = 0;
  while (w < wEnd) {
    const stop = Math.min(wEnd, w + WORDS_PER_FOLD);
    let s0 = 0, s1 = 0;
    for (; w + 4 <= stop; w += 4) {
      s0 += words[w] + words[w + 1];
      s1 += words[w + 2] + words[w + 3];
    }
    for (; w < stop; w++) s0 += words[w];
    // folded here, not by calling inetFold: a number above 2^31 passed to a call that is not
    // inlined is boxed into a 16-byte heap object (test/unit/dataplane-gso-segmenter.test.ts)
    let x = folded + s0 + s1;
    while (x > 0xffff) x = (x % 0x10000) + Math.floor(x / 0x10000);
    folded = x;
  }
  // the words' byte order relative to the range: swapped iff (little-endian) xor (odd distance)
  const odd = ((i - off) & 1) === 1;
  sum += LITTLE_ENDIAN !== odd ? ((folded & 0xff) << 8) | (folded >>> 8) : folded;
  i = (wEnd << 2) - base;
  // tail: word pairs, then a last byte
  if (((i - off) & 1) === 1 && i < end) {
    sum += buf[i];
    i++;
  }
  const last = end - 1;
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === last) sum += buf[i] << 8;
  return sum;
}

/**
 * Copies src[srcOff, srcOff+len) to dst[dstOff, ...) and returns `sum` plus the sum of the copied bytes,
 * counted from dstOff as inetSum() would: a copy and a checksum in one pass and without allocating
 * (Buffer.copy and TypedArray.set need a subarray view per call on Node 20, ~100 bytes each). Moves
 * 32-bit words when both ranges have the same address alignment modulo 4 (callers choose dstOff to
 * make it so), bytes otherwise. The ranges must not overlap and must be in bounds.
 */
export function inetCopySum(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number, sum = 0): number {
  let i = 0;
  const sAddr = src.byteOffset + srcOff;
  const dAddr = dst.byteOffset + dstOff;
  if (len >= WORDS_MIN_LEN && ((sAddr - dAddr) & 3) === 0) {
    while (((sAddr + i) & 3) !== 0) {
      const b = src[srcOff + i];
      dst[dstOff + i] = b;
      sum += (i & 1) === 0 ? b << 8 : b;
      i++;
    }
    const sw = wordsOf(src.buffer);
    const dw = wordsOf(dst.buffer);
    let w = (sAddr + i) >>> 2;
    let v = (dAddr + i) >>> 2;
    const wEnd = w + ((len - i) >>> 2);
    let folded = 0;
    while (w < wEnd) {
      const stop = Math.min(wEnd, w + WORDS_PER_FOLD);
      let s0 = 0, s1 = 0;
      for (; w + 4 <= stop; w += 4, v += 4) {
        const x0 = sw[w], x1 = sw[w + 1], x2 = sw[w + 2], x3 = sw[w + 3];
        dw[v] = x0;
        dw[v + 1] = x1;
        dw[v + 2] = x2;
        dw[v + 3] = x3;
        s0 += x0 + x1;
        s1 += x2 + x3;
      }
      for (; w < stop; w++, v++) {
        const x = sw[w];
        dw[v] = x;
        s0 += x;
      }
      // folded here, not by calling inetFold: a number above 2^31 passed to a call that is not
      // inlined is boxed into a 16-byte heap object (test/unit/dataplane-gso-segmenter.test.ts)
      let x = folded + s0 + s1;
      while (x > 0xffff) x = (x % 0x10000) + Math.floor(x / 0x10000);
      folded = x;
    }
    sum += LITTLE_ENDIAN !== ((i & 1) === 1) ? ((folded & 0xff) << 8) | (folded >>> 8) : folded;
    i = (wEnd << 2) - sAddr;
  }
  for (; i < len; i++) {
    const b = src[srcOff + i];
    dst[dstOff + i] = b;
    sum += (i & 1) === 0 ? b << 8 : b;
  }
  return sum;
}

/** The checksum field value for buf[off, off+len) plus an initial (pseudo-header) sum: ~fold(sum). */
export function inetChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return ~inetFold(inetSum(buf, off, len, initial)) & 0xffff;
}
