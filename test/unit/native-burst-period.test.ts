// The look-ahead's period tracker (native/burst_period.c through udpBurstPeriodTrace), fed made-up
// burst times: when it starts predicting, that a lone late burst (the sender or we woke late) keeps
// the prediction going, that a change of period unlocks it and is learnt again, that only bursts
// read on time refine a learnt period, that jitter within the tolerance is followed, and that
// irregular traffic is never predicted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { traceBurstPeriod } from '../../src/native/udp.js';

const US = 1000;
const PERIOD = 2000 * US;
const TOLERANCE = 125 * US;
const START = 1_000_000_000;

/** `n` bursts one `period` apart from `from`. */
function every(period: number, n: number, from: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i * period);
}

test('steady bursts: predicted from the fourth gap on, one period after each burst', () => {
  const times = every(PERIOD, 10, START);
  const dues = traceBurstPeriod(TOLERANCE, times);
  assert.equal(dues.slice(0, 4), [0, 0, 0, 0]);
  for (let i = 4; i < times.length; i++) assert.is(dues[i], times[i] + PERIOD, `burst ${i}`);
});

test('a lone late burst does not end the prediction; the next due follows the schedule again', () => {
  const times = every(PERIOD, 12, START);
  times[6] += 400 * US; // late by more than the tolerance; the sender keeps its schedule
  const dues = traceBurstPeriod(TOLERANCE, times);
  for (let i = 4; i < times.length; i++) assert.ok(dues[i] > 0, `burst ${i} still predicted: ${dues}`);
  assert.is(dues[6], times[6] + PERIOD, 're-anchored on the late burst, period kept');
  assert.is(dues[7], times[7] + PERIOD, 'the short gap after it is tolerated too');
  assert.is(dues[8], times[8] + PERIOD, 'back on the schedule');
});

test('a late burst that shifts the schedule: predicted all along, from the late burst on', () => {
  const times = every(PERIOD, 12, START).map((t, i) => (i >= 6 ? t + 700 * US : t));
  const dues = traceBurstPeriod(TOLERANCE, times);
  for (let i = 4; i < times.length; i++) assert.is(dues[i], times[i] + PERIOD, `burst ${i}`);
});

test('a new period: three gaps off the old one unlock the tracker; the new one is learnt again', () => {
  const before = every(PERIOD, 8, START);
  const after = every(3 * PERIOD, 10, before[7] + 3 * PERIOD);
  const times = [...before, ...after];
  const dues = traceBurstPeriod(TOLERANCE, times);
  assert.ok(dues[8] > 0 && dues[9] > 0, 'two off-beats are tolerated');
  // the third ends the lock and its gap is the new period; bursts 11 and 12 are steady, 13 the third
  assert.equal(dues.slice(10, 13), [0, 0, 0]);
  for (let i = 13; i < times.length; i++) assert.is(dues[i], times[i] + 3 * PERIOD, `burst ${i}`);
});

test('locked, bursts read late after a wakeup do not bend the period; bursts read on time refine it', () => {
  // locked at 2 ms; from burst 6 every other burst is read 100 us late (within the tolerance)
  const times = every(PERIOD, 16, START).map((t, i) => (i >= 6 && i % 2 === 0 ? t + 100 * US : t));
  const onTime = times.map((_, i) => i >= 5 && i % 2 === 1);
  const dues = traceBurstPeriod(TOLERANCE, times, onTime);
  for (let i = 4; i < times.length; i++) assert.is(dues[i] - times[i], PERIOD, `period kept at burst ${i}`);
  // learnt at 2 ms, then on-time bursts 2.04 ms apart: the period follows them
  const drift = [...every(PERIOD, 6, START), ...every(2040 * US, 12, START + 5 * PERIOD + 2040 * US)];
  const driftDues = traceBurstPeriod(TOLERANCE, drift, drift.map((_, i) => i >= 5));
  const last = drift.length - 1;
  assert.ok(Math.abs(driftDues[last] - drift[last] - 2040 * US) < 5 * US, `period ${(driftDues[last] - drift[last]) / US} us`);
});

test('jitter (gaps within the tolerance of the period): stays locked and follows the mean period', () => {
  const jitter = [0, 40, -30, 50, -20, 30, -50, 60, -10, 20, -40, 0].map((j) => j * US);
  const times = jitter.map((j, i) => START + i * PERIOD + j);
  const dues = traceBurstPeriod(TOLERANCE, times);
  for (let i = 4; i < times.length; i++) {
    assert.ok(dues[i] > 0, `burst ${i} predicted`);
    assert.ok(Math.abs(dues[i] - times[i] - PERIOD) <= TOLERANCE, `period near 2 ms at burst ${i}: ${dues[i] - times[i]}`);
  }
});

test('irregular traffic is never predicted', () => {
  const gaps = [2000, 700, 5100, 1300, 2900, 400, 8000, 1500, 3300, 600, 2100, 4700].map((g) => g * US);
  let t = START;
  const times = gaps.map((g) => (t += g));
  assert.ok(traceBurstPeriod(TOLERANCE, times).every((d) => d === 0));
});

test('bad arguments are type errors, not crashes', () => {
  assert.throws(() => traceBurstPeriod(-1, [1, 2]), /toleranceNs/);
});

test.run();
