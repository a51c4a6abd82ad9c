// Unit tests of the IPAM (src/control/ipam.ts, ipam-pools.ts): default pool order, skipping taken
// subnets and host routes, every validation error of `network create`, --ip, sequential allocation,
// exhaustion, the "never twice" property under random allocate/release, and the JSON round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TsnetError } from '../../src/errors.js';
import { DEFAULT_POOLS, allocate, allocateSubnet, createPool, isAllocated, loadPool, macFromIp, release, withPrefix } from '../../src/control/ipam.js';
import { prng } from '../helpers/fault-rng.js'; // mulberry32, seeded: failures reproduce

function throwsCode(fn: () => unknown, code: string, category?: string, messagePart?: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, TsnetError);
    const e = err as TsnetError;
    assert.is(e.code, code, e.message);
    if (category) assert.is(e.category, category);
    if (messagePart) assert.ok(e.message.includes(messagePart), `"${e.message}" should contain "${messagePart}"`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('default pools are 172.17-31/16 then 192.168.x.0/20 in order', () => {
  assert.is(DEFAULT_POOLS.length, 31);
  assert.is(DEFAULT_POOLS[0], '172.17.0.0/16');
  assert.is(DEFAULT_POOLS[14], '172.31.0.0/16');
  assert.is(DEFAULT_POOLS[15], '192.168.0.0/20');
  assert.is(DEFAULT_POOLS[16], '192.168.16.0/20');
  assert.is(DEFAULT_POOLS[30], '192.168.240.0/20');
});

test('allocateSubnet takes the first pool free of networks and host routes', () => {
  assert.is(allocateSubnet([], []), '172.17.0.0/16');
  assert.is(allocateSubnet(['172.17.0.0/16'], []), '172.18.0.0/16');
  // a host route inside 172.18/16 and a host address route without prefix inside 172.19/16
  assert.is(allocateSubnet(['172.17.0.0/16'], ['172.18.5.0/24', '172.19.0.9', '0.0.0.0/0', 'default']), '172.20.0.0/16');
  // a wide route covering all 172.16/12 pushes us to 192.168
  assert.is(allocateSubnet([], ['172.16.0.0/12']), '192.168.0.0/20');
  assert.is(allocateSubnet(['192.168.0.0/24'], ['172.16.0.0/12']), '192.168.16.0/20');
  // the default route alone never blocks anything
  assert.is(allocateSubnet([], ['0.0.0.0/0']), '172.17.0.0/16');
});

test('allocateSubnet reports exhaustion', () => {
  throwsCode(() => allocateSubnet(['172.16.0.0/12', '192.168.0.0/16'], []), 'ESUBNETS_EXHAUSTED', 'conflict');
});

test('createPool without subnet uses the default pool and the first address as gateway', () => {
  const p = createPool({}, ['172.17.0.0/16'], []);
  assert.is(p.subnet, '172.18.0.0/16');
  assert.is(p.gateway, '172.18.0.1');
  assert.is(p.userSubnet, false);
  assert.equal(p.allocated, []);
  assert.is(allocate(p), '172.18.0.2');
  assert.is(withPrefix(p, '172.18.0.2'), '172.18.0.2/16');
});

test('createPool validation errors', () => {
  throwsCode(() => createPool({ subnet: '10.0.0/8' }, [], []), 'EINVALID_SUBNET', 'bad-request', 'invalid subnet 10.0.0/8: expected a CIDR like 10.0.0.0/24');
  throwsCode(() => createPool({ subnet: '10.0.0.0' }, [], []), 'EINVALID_SUBNET');
  throwsCode(() => createPool({ subnet: '10.0.0.0/33' }, [], []), 'EINVALID_SUBNET');
  throwsCode(() => createPool({ subnet: 'banana' }, [], []), 'EINVALID_SUBNET');
  throwsCode(() => createPool({ subnet: '10.1.1.1/24' }, [], []), 'EINVALID_SUBNET', 'bad-request', 'it should be 10.1.1.0/24');
  throwsCode(() => createPool({ subnet: '10.1.1.0/31' }, [], []), 'EINVALID_SUBNET', 'bad-request', 'too small');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', gateway: '10.2.0.1' }, [], []), 'EINVALID_GATEWAY', 'bad-request', 'not inside subnet 10.1.0.0/16');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', gateway: '10.1.0.0' }, [], []), 'EINVALID_GATEWAY', 'bad-request', 'network address');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', gateway: '10.1.255.255' }, [], []), 'EINVALID_GATEWAY', 'bad-request', 'broadcast');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', gateway: 'x' }, [], []), 'EINVALID_GATEWAY', 'bad-request', 'invalid gateway x');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', ipRange: '10.2.0.0/24' }, [], []), 'EINVALID_IP_RANGE', 'bad-request', 'not inside subnet');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', ipRange: '10.0.0.0/8' }, [], []), 'EINVALID_IP_RANGE');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', ipRange: '10.1.1.5/24' }, [], []), 'EINVALID_IP_RANGE', 'bad-request', 'it should be 10.1.1.0/24');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', ipRange: '10.1.1/24' }, [], []), 'EINVALID_IP_RANGE', 'bad-request', 'expected a CIDR');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', auxAddresses: { router: '10.3.0.1' } }, [], []), 'EINVALID_AUX_ADDRESS', 'bad-request', 'aux-address router=10.3.0.1 is not inside');
  throwsCode(() => createPool({ subnet: '10.1.0.0/16', auxAddresses: { router: 'nope' } }, [], []), 'EINVALID_AUX_ADDRESS');
  throwsCode(() => createPool({ gateway: '10.1.0.1' }, [], []), 'EINVALID_IPAM_CONFIG', 'bad-request');
  throwsCode(() => createPool({ ipRange: '10.1.0.0/24' }, [], []), 'EINVALID_IPAM_CONFIG');
  throwsCode(() => createPool({ subnet: '172.19.5.0/24' }, ['172.19.0.0/16'], []), 'ESUBNET_OVERLAP', 'conflict', 'overlaps subnet 172.19.0.0/16');
  throwsCode(() => createPool({ subnet: '10.0.0.0/8' }, ['10.9.0.0/24'], []), 'ESUBNET_OVERLAP', 'conflict');
});

test('a user subnet may overlap a host route (as in Docker), but not another network', () => {
  const p = createPool({ subnet: '10.9.0.0/24' }, ['10.8.0.0/24'], ['10.9.0.0/16']);
  assert.is(p.subnet, '10.9.0.0/24');
  assert.is(p.userSubnet, true);
});

test('createPool keeps gateway, ip-range and aux addresses', () => {
  const p = createPool({ subnet: '10.1.0.0/16', gateway: '10.1.0.254', ipRange: '10.1.4.0/24', auxAddresses: { a: '10.1.0.2', b: '10.1.4.0' } }, [], []);
  assert.is(p.gateway, '10.1.0.254');
  assert.is(p.ipRange, '10.1.4.0/24');
  assert.equal(p.auxAddresses, { a: '10.1.0.2', b: '10.1.4.0' });
  // automatic allocation only from the range, skipping the aux address at the range start
  assert.is(allocate(p), '10.1.4.1');
  assert.is(allocate(p), '10.1.4.2');
  // --ip anywhere in the subnet
  assert.is(allocate(p, '10.1.9.9'), '10.1.9.9');
  assert.is(allocate(p), '10.1.4.3');
});

test('--ip errors: outside, network, broadcast, gateway, aux, in use, invalid', () => {
  const p = createPool({ subnet: '10.1.0.0/24', auxAddresses: { r: '10.1.0.7' } }, [], []);
  throwsCode(() => allocate(p, '10.2.0.5'), 'EINVALID_ADDRESS', 'bad-request', 'not inside subnet 10.1.0.0/24');
  throwsCode(() => allocate(p, '10.1.0.0'), 'EINVALID_ADDRESS', 'bad-request', 'network address');
  throwsCode(() => allocate(p, '10.1.0.255'), 'EINVALID_ADDRESS', 'bad-request', 'broadcast address');
  throwsCode(() => allocate(p, '10.1.0.1'), 'EADDR_IN_USE', 'conflict', 'gateway');
  throwsCode(() => allocate(p, '10.1.0.7'), 'EADDR_IN_USE', 'conflict', 'aux-address r');
  throwsCode(() => allocate(p, 'ten'), 'EINVALID_ADDRESS', 'bad-request');
  assert.is(allocate(p, '10.1.0.20'), '10.1.0.20');
  throwsCode(() => allocate(p, '10.1.0.20'), 'EADDR_IN_USE', 'conflict', 'already in use');
  assert.equal(p.allocated, ['10.1.0.20']);
});

test('automatic allocation is sequential and does not reuse a just-released address', () => {
  const p = createPool({ subnet: '10.5.0.0/24' }, [], []);
  assert.is(allocate(p), '10.5.0.2');
  assert.is(allocate(p), '10.5.0.3');
  assert.is(allocate(p), '10.5.0.4');
  assert.ok(release(p, '10.5.0.3'));
  assert.not.ok(release(p, '10.5.0.3'));
  assert.not.ok(isAllocated(p, '10.5.0.3'));
  assert.is(allocate(p), '10.5.0.5');
  // an explicit --ip does not move the cursor
  assert.is(allocate(p, '10.5.0.6'), '10.5.0.6');
  assert.is(allocate(p), '10.5.0.7');
});

test('a /30 holds one endpoint besides the gateway, then EPOOL_EXHAUSTED; wrap-around finds released ones', () => {
  const p = createPool({ subnet: '10.6.0.0/30' }, [], []);
  assert.is(p.gateway, '10.6.0.1');
  assert.is(allocate(p), '10.6.0.2');
  throwsCode(() => allocate(p), 'EPOOL_EXHAUSTED', 'conflict', 'no free address left in subnet 10.6.0.0/30');
  assert.equal(p.allocated, ['10.6.0.2']);
  release(p, '10.6.0.2');
  assert.is(allocate(p), '10.6.0.2');
  const q = createPool({ subnet: '10.7.0.0/29' }, [], []);
  const got = [allocate(q), allocate(q), allocate(q), allocate(q), allocate(q)];
  assert.equal(got, ['10.7.0.2', '10.7.0.3', '10.7.0.4', '10.7.0.5', '10.7.0.6']);
  release(q, '10.7.0.3');
  assert.is(allocate(q), '10.7.0.3');
  throwsCode(() => allocate(q), 'EPOOL_EXHAUSTED');
});


test('never hands out an address twice under random allocate/release (seeded)', () => {
  for (const seed of [1, 7, 42, 1234]) {
    const rnd = prng(seed);
    const p = createPool({ subnet: '10.10.0.0/26', ipRange: '10.10.0.16/28', auxAddresses: { x: '10.10.0.20' } }, [], []);
    const held = new Set<string>();
    for (let step = 0; step < 3000; step++) {
      const r = rnd();
      if (r < 0.5) {
        try {
          const a = allocate(p);
          assert.not.ok(held.has(a), `seed ${seed} step ${step}: ${a} handed out twice`);
          assert.not.ok(['10.10.0.20', '10.10.0.1', '10.10.0.0', '10.10.0.63'].includes(a));
          held.add(a);
        } catch (err) {
          assert.is((err as TsnetError).code, 'EPOOL_EXHAUSTED');
          assert.is(held.size >= 15, true, `exhausted with only ${held.size} held`);
        }
      } else if (r < 0.6) {
        const want = `10.10.0.${2 + Math.floor(rnd() * 60)}`;
        try {
          allocate(p, want);
          assert.not.ok(held.has(want));
          held.add(want);
        } catch (err) {
          assert.ok(['EADDR_IN_USE', 'EINVALID_ADDRESS'].includes((err as TsnetError).code));
        }
      } else if (held.size > 0) {
        const list = [...held];
        const victim = list[Math.floor(rnd() * list.length)]!;
        assert.ok(release(p, victim));
        held.delete(victim);
      }
      assert.is(p.allocated.length, held.size);
    }
    // every state survives a JSON round trip
    const again = loadPool(JSON.parse(JSON.stringify(p)));
    assert.equal(again, p);
  }
});

test('serialise / deserialise round trip and corrupt state', () => {
  const p = createPool({ subnet: '10.20.0.0/16', ipRange: '10.20.1.0/24', auxAddresses: { gw2: '10.20.0.9' } }, [], []);
  allocate(p);
  allocate(p, '10.20.7.7');
  allocate(p);
  const back = loadPool(JSON.parse(JSON.stringify(p)));
  assert.equal(back, p);
  // like Docker, the first address of an ip-range is usable when it is not the subnet's network address
  assert.equal(p.allocated, ['10.20.1.0', '10.20.1.1', '10.20.7.7']);
  assert.is(allocate(back), '10.20.1.2');
  assert.is(allocate(p), '10.20.1.2');
  throwsCode(() => loadPool({ ...p, subnet: '10.20.0.5/16' }), 'EIPAM_STATE_INVALID', 'internal');
  throwsCode(() => loadPool({ ...p, allocated: ['10.99.0.1'] }), 'EIPAM_STATE_INVALID', 'internal', '10.99.0.1');
  throwsCode(() => loadPool(null), 'EIPAM_STATE_INVALID');
  // an unsorted list with duplicates is repaired
  const messy = loadPool({ ...JSON.parse(JSON.stringify(p)), allocated: ['10.20.1.2', '10.20.1.1', '10.20.1.2'] });
  assert.equal(messy.allocated, ['10.20.1.1', '10.20.1.2']);
});

test('IPv6 subnets are accepted for a pool', () => {
  const p = createPool({ subnet: 'fd00:1::/64' }, [], []);
  assert.is(p.family, 6);
  assert.is(p.gateway, 'fd00:1::1');
  assert.is(allocate(p), 'fd00:1::2');
  assert.is(allocate(p, 'fd00:1::ff'), 'fd00:1::ff');
  throwsCode(() => createPool({ subnet: 'fd00:1::1/64' }, [], []), 'EINVALID_SUBNET', 'bad-request', 'it should be fd00:1::/64');
  throwsCode(() => createPool({ subnet: 'fd00:1:0:0:1::/80' }, ['fd00:1::/64'], []), 'ESUBNET_OVERLAP');
});

test('macFromIp follows Docker: 02:42 and the address bytes', () => {
  assert.is(macFromIp('172.19.0.2'), '02:42:ac:13:00:02');
  assert.is(macFromIp('10.0.0.255'), '02:42:0a:00:00:ff');
  throwsCode(() => macFromIp('fd00::1'), 'EINVALID_ADDRESS');
});

test.run();
