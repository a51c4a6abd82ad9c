// The e2e bench's reading of ping's own CPU (bench/e2e/measure-latency.ts): bash's `times` printed
// after ping, children's user + system seconds on its last line, and ping's per-packet lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChildTimes, parsePing } from '../../bench/e2e/measure-latency.js';

test("children's CPU seconds from bash's times, after whatever ping printed to stderr", () => {
  assert.is(parseChildTimes('0m0.002s 0m0.001s\n0m0.380s 0m0.610s\n'), 0.99);
  assert.is(parseChildTimes('ping: warning\n0m0.000s 0m0.001s\n1m2.500s 0m0.500s'), 63);
  assert.is(parseChildTimes('ping: unknown host'), null);
  assert.is(parseChildTimes(''), null);
});

test('ping lines: times in us, duplicates and other lines ignored', () => {
  const out = [
    'PING 10.0.77.2 (10.0.77.2) 56(84) bytes of data.',
    '64 bytes from 10.0.77.2: icmp_seq=1 ttl=64 time=0.108 ms',
    '64 bytes from 10.0.77.2: icmp_seq=2 ttl=64 time=0.095 ms',
    '64 bytes from 10.0.77.2: icmp_seq=2 ttl=64 time=0.300 ms (DUP!)',
    '--- 10.0.77.2 ping statistics ---',
  ].join('\n');
  assert.equal(parsePing(out).map((v) => Math.round(v)), [108, 95]);
});

test.run();
