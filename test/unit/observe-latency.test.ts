// Unit tests of the per-switch latency meter (src/observe/latency-meter.ts) and of the Prometheus
// text writer (src/observe/prometheus.ts): one sample per burst, frames counted, forwarding intact,
// cumulative buckets, escaping and the histogram layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LatencyMeters, latencyOf, latencySummaryOf, LATENCY_BUCKETS_NS, SwitchLatency } from '../../src/observe/latency-meter.js';
import { MetricsText } from '../../src/observe/prometheus.js';
import { makeRig } from './observe-rig.js';
import { arpWhoHas, icmpEcho } from './observe-frames.js';

test('a switch nobody measures has no latency', () => {
  const { sw } = makeRig();
  assert.is(latencyOf(sw), undefined);
  assert.is(latencySummaryOf(sw), null);
});

test('one sample per burst, every frame counted, frames still forwarded', () => {
  const { sw, rose, lily, host } = makeRig();
  const meters = new LatencyMeters();
  meters.sync(sw);
  meters.sync(sw); // idempotent
  rose.injectBurst([arpWhoHas(), icmpEcho(1), icmpEcho(2), icmpEcho(3)]);
  lily.inject(icmpEcho(4));
  const lat = latencyOf(sw)!;
  assert.is(lat.bursts, 2);
  assert.is(lat.frames, 5);
  assert.is(lat.histogram.count, 2);
  const s = latencySummaryOf(sw)!;
  assert.ok(s.p50Us > 0 && s.maxUs >= s.p50Us);
  assert.is(host.sent.length, 5, 'every frame was flooded (lily is unknown), so the host port got all five');
  assert.is(sw.counters.rxFrames, 5);
});

test('buckets are cumulative', () => {
  const lat = new SwitchLatency();
  lat.record(300, 1); // <= 500
  lat.record(5_000, 4); // <= 5000
  lat.record(5e9, 1); // beyond the last bucket
  const at = (ns: number) => lat.buckets[LATENCY_BUCKETS_NS.indexOf(ns)];
  assert.is(at(250), 0);
  assert.is(at(500), 1);
  assert.is(at(2_000), 1);
  assert.is(at(5_000), 2);
  assert.is(at(1_000_000), 2);
  assert.is(lat.bursts, 3);
  assert.is(lat.frames, 6);
});

test('summary: the exact mean of the samples, percentiles and max within 1%', () => {
  const lat = new SwitchLatency();
  for (const ns of [1_000, 2_000, 3_000, 4_000, 100_000]) lat.record(ns, 2);
  const s = lat.summary();
  assert.is(s.bursts, 5);
  assert.is(s.frames, 10);
  assert.is(s.meanUs, 22);
  const near = (got: number, want: number) => assert.ok(Math.abs(got - want) <= want * 0.01, `${got} ~ ${want}`);
  near(s.p50Us, 3);
  near(s.p90Us, 100);
  near(s.maxUs, 100);
});

test('Prometheus text: HELP/TYPE once per family, escaped labels, histogram series', () => {
  const m = new MetricsText();
  m.add('tsnet_x_total', 'counter', 'X things.', { network: 'a"b\\c\nd' }, 3);
  m.add('tsnet_x_total', 'counter', 'X things.', { network: 'e' }, 4);
  m.histogram('tsnet_lat_seconds', 'Latency.', { network: 'e' }, [0.001, 0.01], [1, 3], 4, 0.05);
  const text = m.toString();
  assert.is(text, [
    '# HELP tsnet_x_total X things.',
    '# TYPE tsnet_x_total counter',
    'tsnet_x_total{network="a\\"b\\\\c\\nd"} 3',
    'tsnet_x_total{network="e"} 4',
    '# HELP tsnet_lat_seconds Latency.',
    '# TYPE tsnet_lat_seconds histogram',
    'tsnet_lat_seconds_bucket{network="e",le="0.001"} 1',
    'tsnet_lat_seconds_bucket{network="e",le="0.01"} 3',
    'tsnet_lat_seconds_bucket{network="e",le="+Inf"} 4',
    'tsnet_lat_seconds_sum{network="e"} 0.05',
    'tsnet_lat_seconds_count{network="e"} 4',
    '',
  ].join('\n'));
});

test.run();
