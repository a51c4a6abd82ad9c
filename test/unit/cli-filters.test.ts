// `--filter KEY=VALUE` of `network ls` and `ps` (src/cli/filters.ts): Docker's OR within a key, AND
// across keys, part of a name, start of an id, whole values otherwise; unknown keys refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFilters, passes } from '../../src/cli/filters.js';

const keys = ['name', 'id', 'driver', 'scope'] as const;
const net = { name: 'frontend', id: 'c551e0bfaf40aaaa', driver: 'bridge', scope: 'local' };
const f = (...items: string[]) => parseFilters(items, keys, 'tsnet network ls');

test('one key: part of a name, start of an id, whole driver', () => {
  assert.ok(passes(f(), net), 'no filter passes everything');
  assert.ok(passes(f('name=front'), net));
  assert.ok(passes(f('name=tend'), net));
  assert.not.ok(passes(f('name=back'), net));
  assert.ok(passes(f('id=c551'), net));
  assert.not.ok(passes(f('id=551'), net), 'an id matches from its start');
  assert.ok(passes(f('driver=bridge'), net));
  assert.not.ok(passes(f('driver=bri'), net), 'other keys match the whole value');
});

test('same key twice is either, different keys are both; array fields match any element', () => {
  assert.ok(passes(f('driver=overlay', 'driver=bridge'), net));
  assert.not.ok(passes(f('driver=bridge', 'scope=global'), net));
  assert.ok(passes(f('driver=bridge', 'scope=local', 'name=fr'), net));
  const ctr = { name: 'rose', network: ['frontend', 'backend'], status: 'running' };
  assert.ok(passes(parseFilters(['network=backend'], ['name', 'network', 'status'], 'tsnet ps'), ctr));
  assert.not.ok(passes(parseFilters(['network=back'], ['name', 'network', 'status'], 'tsnet ps'), ctr));
});

test('unknown or malformed filters are one EBAD_FILTER sentence', () => {
  for (const bad of ['label=x', 'name', '=x', 'NAME=x']) {
    try {
      f(bad);
      assert.unreachable(bad);
    } catch (err) {
      const e = err as Error & { code?: string };
      assert.is(e.code, 'EBAD_FILTER', bad);
      assert.match(e.message, /^tsnet network ls filters by name, id, driver, scope as KEY=VALUE, not ".*"\.$/);
    }
  }
});

test.run();
