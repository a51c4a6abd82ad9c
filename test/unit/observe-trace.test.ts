// Unit tests of the trace and capture sessions over memory ports: the observer is set only while
// someone watches, records say what the switch did (learned, forwarded, flooded, dropped) with
// readable port names, filters and counts apply, and the capture writes each frame once as pcap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCapture, startTrace } from '../../src/observe/trace-session.js';
import { switchTap } from '../../src/observe/switch-tap.js';
import { compileFilter } from '../../src/observe/trace-filter.js';
import { cachedNaming, plainNaming } from '../../src/observe/port-naming.js';
import { namingFor } from '../../src/observe/network-view.js';
import { observeInput } from '../../src/api/observe-routes.js';
import { formatTraceLine, type TraceRecord } from '../../src/observe/trace-record.js';
import { createPcapWriter, decodePcap, isMalformed } from '../../src/wire/index.js';
import { makeRig } from './observe-rig.js';
import { arpReply, arpWhoHas, icmpEcho, MAC_LILY, MAC_ROSE } from './observe-frames.js';

function traced(filter = '') {
  const rig = makeRig();
  const naming = cachedNaming(namingFor(observeInput(rig.ctl, 'frontend')));
  const records: TraceRecord[] = [];
  const s = startTrace({ sw: rig.sw, naming, filter: compileFilter(filter), onRecord: (r) => records.push(r) });
  return { ...rig, records, s };
}

test('the switch observer is set only while someone watches', () => {
  const { sw } = makeRig();
  const tap = switchTap(sw);
  assert.is(tap.subscribers, 0);
  const seen: string[] = [];
  const un1 = tap.subscribe((ev) => seen.push(`1:${ev.action}`));
  const un2 = tap.subscribe((ev) => seen.push(`2:${ev.action}`));
  assert.is(tap.subscribers, 2);
  un1();
  un1();
  assert.is(tap.subscribers, 1);
  un2();
  assert.is(tap.subscribers, 0);
  // a throwing subscriber is dropped; the others keep receiving
  const rig = makeRig();
  const t2 = switchTap(rig.sw);
  t2.subscribe(() => {
    throw new Error('boom');
  });
  const got: string[] = [];
  t2.subscribe((ev) => got.push(ev.action));
  rig.rose.inject(arpWhoHas());
  assert.is(t2.subscribers, 1);
  assert.equal(got, ['learned', 'flooded']);
  assert.is(rig.host.sent.length, 1, 'forwarding was not disturbed');
});

test('learning and flooding of an ARP request, then a forwarded reply, with container names', () => {
  const { rose, lily, records, s } = traced();
  rose.inject(arpWhoHas());
  lily.inject(arpReply());
  assert.equal(records.map((r) => `${r.action} ${r.in}${r.out ? ' > ' + r.out : ''}${r.count !== undefined ? ` (${r.count})` : ''}`), [
    'learned rose:eth0', 'flooded rose:eth0 (2)', 'learned lily:eth0', 'forwarded lily:eth0 > rose:eth0',
  ]);
  const line = formatTraceLine(records[1]!);
  assert.match(line, /^\d\d:\d\d:\d\d\.\d{6} rose:eth0 > flood\(2\) 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff ARP who-has 172\.17\.0\.3 tell 172\.17\.0\.2$/);
  assert.match(formatTraceLine(records[0]!), / rose:eth0 learned 02:42:ac:11:00:02$/);
  assert.match(formatTraceLine(records[3]!), / lily:eth0 > rose:eth0 02:42:ac:11:00:03 > 02:42:ac:11:00:02 ARP reply 172\.17\.0\.3 is-at 02:42:ac:11:00:03$/);
  assert.is(s.matched, 4);
  s.stop();
  rose.inject(icmpEcho(1));
  assert.is(records.length, 4, 'nothing after stop');
});

test('drops say why: a frame back to the port it came from is a hairpin', () => {
  const { rose, records } = traced('dropped');
  rose.inject(arpWhoHas());
  rose.inject(icmpEcho(1, MAC_ROSE, MAC_ROSE));
  assert.is(records.length, 1);
  assert.is(records[0]!.reason, 'hairpin');
  assert.match(formatTraceLine(records[0]!), / rose:eth0 > drop\(hairpin\) /);
});

test('filters and counts: only ICMP to lily, stop after 2', () => {
  const rig = makeRig();
  const naming = cachedNaming(namingFor(observeInput(rig.ctl, 'frontend')));
  const records: TraceRecord[] = [];
  let done = 0;
  startTrace({ sw: rig.sw, naming, filter: compileFilter('icmp and port lily'), count: 2, onRecord: (r) => records.push(r), onDone: () => done++ });
  rig.lily.inject(arpReply());
  for (let i = 1; i <= 4; i++) rig.rose.inject(icmpEcho(i));
  assert.is(records.length, 2);
  assert.is(done, 1);
  assert.equal(records.map((r) => r.summary.match(/seq (\d+)/)?.[1]), ['1', '2']);
  assert.is(switchTap(rig.sw).subscribers, 0, 'the session unsubscribed when done');
});

test('capture writes each frame once, as the switch saw it, in a valid pcap', () => {
  const rig = makeRig();
  const chunks: Buffer[] = [];
  const writer = createPcapWriter({ write: (b) => chunks.push(b) });
  const s = startCapture({ sw: rig.sw, naming: plainNaming, filter: compileFilter(''), writer });
  const frames = [arpWhoHas(), arpReply(), icmpEcho(1), icmpEcho(2, MAC_LILY, MAC_ROSE)];
  rig.rose.inject(frames[0]!);
  rig.lily.inject(frames[1]!);
  rig.rose.inject(frames[2]!);
  rig.lily.inject(frames[3]!);
  s.stop();
  writer.flush();
  const file = decodePcap(Buffer.concat(chunks));
  if (isMalformed(file)) throw new Error(file.reason);
  assert.is(file.linktype, 1);
  assert.is(file.records.length, 4);
  file.records.forEach((r, i) => assert.equal(Buffer.from(r.data), frames[i]));
  assert.is(s.matched, 4);
});

test('capture --port keeps the frames a port sent or received', () => {
  const rig = makeRig();
  const chunks: Buffer[] = [];
  const writer = createPcapWriter({ write: (b) => chunks.push(b) });
  const naming = cachedNaming(namingFor(observeInput(rig.ctl, 'frontend')));
  startCapture({ sw: rig.sw, naming, filter: compileFilter('port gateway'), writer, count: 10 });
  rig.rose.inject(arpWhoHas()); // flooded: the gateway gets a copy
  rig.lily.inject(arpReply()); // forwarded to rose only
  rig.rose.inject(icmpEcho(1)); // rose -> lily
  writer.flush();
  const file = decodePcap(Buffer.concat(chunks));
  if (isMalformed(file)) throw new Error(file.reason);
  assert.is(file.records.length, 1);
});

test.run();
