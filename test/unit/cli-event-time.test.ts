// `tsnet events --since/--until` times (src/cli/events-command.ts eventTime) and Docker's event line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventLine, eventTime } from '../../src/cli/events-command.js';

test('epoch seconds, durations back from now, RFC 3339; anything else refused', () => {
  const now = Date.parse('2026-12-08T10:00:00Z');
  assert.is(eventTime('1765188000', '--since', now), 1765188000);
  assert.is(eventTime('1765188000.5', '--since', now), 1765188000.5);
  assert.is(eventTime('90s', '--since', now), now / 1000 - 90);
  assert.is(eventTime('10m', '--since', now), now / 1000 - 600);
  assert.is(eventTime('2h', '--since', now), now / 1000 - 7200);
  assert.is(eventTime('2026-12-08T09:00:00Z', '--since', now), now / 1000 - 3600);
  for (const bad of ['yesterday', '1h30m', '-5m', '10d', '']) assert.throws(() => eventTime(bad, '--since', now), /--since takes seconds since the epoch/, bad);
});

test("Docker's line: time, type, action, id, attributes sorted by key", () => {
  const line = eventLine({ Type: 'network', Action: 'connect', Actor: { ID: 'abc', Attributes: { type: 'bridge', name: 'frontend', container: 'c1' } }, time: 1765188000, timeNano: 1765188000123e6 });
  assert.is(line, '2025-12-08T10:00:00.123Z network connect abc (container=c1, name=frontend, type=bridge)');
});

test.run();
