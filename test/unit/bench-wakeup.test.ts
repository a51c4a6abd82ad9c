// The e2e bench's reading of cyclictest's histogram (bench/e2e/measure-wakeup.ts): buckets become
// one sample each, overflows count at the reported max, and the percentiles come out of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCyclictest } from '../../bench/e2e/measure-wakeup.js';
import { latencyStats } from '../../bench/e2e/stats.js';

// Shape of `cyclictest --default-system -q -m -t 1 -h 5` output (rt-tests 2.4), buckets shortened.
const OUTPUT = [
  'WARN: not setting cpu_dma_latency from cyclictest',
  '# Histogram',
  '000000 000000',
  '000001 000000',
  '000002 000003',
  '000003 000005',
  '000004 000000',
  '# Total: 000000008',
  '# Min Latencies: 00002',
  '# Avg Latencies: 00004',
  '# Max Latencies: 02122',
  '# Histogram Overflows: 00002',
  '# Histogram Overflow at cycle number:',
  '# Thread 0: 00338 01217',
  '',
].join('\n');

test('buckets become samples and overflows count at the max', () => {
  const s = parseCyclictest(OUTPUT);
  assert.equal(s, [2, 2, 2, 3, 3, 3, 3, 3, 2122, 2122]);
  const st = latencyStats(s, 0);
  assert.is(st.count, 10);
  assert.is(st.p50, 3);
  assert.is(st.max, 2122);
});

test('the overflow cycle numbers are not read as buckets', () => {
  assert.not.ok(parseCyclictest(OUTPUT).includes(338));
});

test('output without a histogram gives no samples', () => {
  assert.equal(parseCyclictest('cyclictest: unknown option\n'), []);
});

test.run();
