// MSS clamping of SYN segments crossing the overlay (src/dataplane/overlay-mss-clamp.ts): the MSS
// option is lowered to MTU - headers and the TCP checksum still verifies after the incremental update.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checksumAdjust, clampMss, MSS_CLAMPED, MSS_UNTOUCHED } from '../../src/dataplane/overlay-mss-clamp.js';
import { ACK, findMss, mssOption, SYN, tcp4Frame, tcp6Frame, tcpChecksumOk, tcpHeader } from './overlay-frames.js';

test('IPv4 SYN: MSS 1460 clamped to 1310 for MTU 1350, checksum verifies', () => {
  const f = tcp4Frame(tcpHeader(SYN, [...mssOption(1460), 1, 3, 3, 7, 4, 2]));
  assert.ok(tcpChecksumOk(f));
  assert.is(clampMss(f, 0, f.length, 1350), MSS_CLAMPED);
  assert.is(findMss(f), 1310);
  assert.ok(tcpChecksumOk(f), 'checksum after clamp');
});

test('SYN-ACK with the MSS option at an odd offset (after one NOP) is clamped with a valid checksum', () => {
  const f = tcp4Frame(tcpHeader(SYN | ACK, [1, ...mssOption(8960), 1, 1, 1]));
  assert.ok(tcpChecksumOk(f));
  assert.is(clampMss(f, 0, f.length, 1400), MSS_CLAMPED);
  assert.is(findMss(f), 1360);
  assert.ok(tcpChecksumOk(f));
});

test('IPv6 SYN: MSS clamped to MTU - 60', () => {
  const f = tcp6Frame(tcpHeader(SYN, mssOption(1440)));
  assert.ok(tcpChecksumOk(f));
  assert.is(clampMss(f, 0, f.length, 1350), MSS_CLAMPED);
  assert.is(findMss(f), 1290);
  assert.ok(tcpChecksumOk(f));
});

test('untouched: small MSS, non-SYN, no MSS option, frame at an offset keeps the rest intact', () => {
  const small = tcp4Frame(tcpHeader(SYN, mssOption(1200)));
  assert.is(clampMss(small, 0, small.length, 1350), MSS_UNTOUCHED);
  assert.is(findMss(small), 1200);
  const ack = tcp4Frame(tcpHeader(ACK, mssOption(1460)));
  assert.is(clampMss(ack, 0, ack.length, 1350), MSS_UNTOUCHED);
  const none = tcp4Frame(tcpHeader(SYN, [1, 1, 1, 1]));
  const copy = Buffer.from(none);
  assert.is(clampMss(none, 0, none.length, 1350), MSS_UNTOUCHED);
  assert.equal(none, copy);
  const f = tcp4Frame(tcpHeader(SYN, mssOption(1460)));
  const big = Buffer.alloc(f.length + 200, 0xee);
  f.copy(big, 100);
  assert.is(clampMss(big, 100, f.length, 1350), MSS_CLAMPED);
  assert.ok(tcpChecksumOk(big.subarray(100, 100 + f.length)));
  assert.is(big[99], 0xee);
  assert.is(big[100 + f.length], 0xee);
});

test('malformed frames are left alone (truncated options, bad data offset, bad option length)', () => {
  const f = tcp4Frame(tcpHeader(SYN, mssOption(1460)));
  for (let cut = 0; cut < f.length; cut++) assert.is(clampMss(f, 0, cut, 1350), MSS_UNTOUCHED);
  const badLen = tcp4Frame(tcpHeader(SYN, [8, 0, ...mssOption(1460)]));
  assert.is(clampMss(badLen, 0, badLen.length, 1350), MSS_UNTOUCHED);
});

test('checksumAdjust matches RFC 1624 examples (0xdd2f -> 0x3285 change in a word)', () => {
  // RFC 1624 section 4: HC = 0xdd2f, m = 0x5555, m' = 0x3285 gives HC' = 0x0000
  assert.is(checksumAdjust(0xdd2f, 0x5555, 0x3285), 0x0000);
});

test.run();
