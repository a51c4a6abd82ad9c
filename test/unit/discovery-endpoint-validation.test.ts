// Endpoint records from other hosts are checked field by field before they are stored: a member
// sending `ipv4: 5` or a non-string name must not poison later IPAM and name lookups (SECURITY.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidEndpointRecord } from '../../src/discovery/rules.js';

const good = {
  networkId: 'a'.repeat(64),
  endpointId: 'b'.repeat(64),
  name: 'demo1',
  aliases: ['web'],
  ipv4: '10.0.1.2',
  mac: '02:42:0a:00:01:02',
  vtep: '10.210.0.1:4789',
  hostId: '12D3KooWabc',
  version: 17,
};

test('a well-formed record passes, with or without a tombstone and a prefix', () => {
  assert.ok(isValidEndpointRecord(good));
  assert.ok(isValidEndpointRecord({ ...good, deleted: true }));
  assert.ok(isValidEndpointRecord({ ...good, ipv4: '10.0.1.2/24' }));
});

test('every malformed field is refused', () => {
  const bad: Array<Record<string, unknown>> = [
    { ipv4: 5 },
    { ipv4: '10.0.1' },
    { ipv4: 'not-an-ip' },
    { name: 7 },
    { name: 'a b' },
    { aliases: 'web' },
    { aliases: [1] },
    { mac: '02:42' },
    { mac: 42 },
    { vtep: '10.210.0.1' },
    { version: '17' },
    { version: Infinity },
    { networkId: 'xyz' },
    { deleted: 'yes' },
  ];
  for (const b of bad) assert.not.ok(isValidEndpointRecord({ ...good, ...b }), JSON.stringify(b));
  assert.not.ok(isValidEndpointRecord(null));
  assert.not.ok(isValidEndpointRecord('x'));
});

test.run();
