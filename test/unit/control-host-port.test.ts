// VTEP addresses as users and the cluster give them (src/control/host-port.ts): IPv4 with or without
// a port, bare and bracketed IPv6 (a bare one is never split at its last colon, as the old parser
// did: "fd00::2" became address "fd00:" port 2), the port range, typed errors, and the bracketed
// form written back for IPv6.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatHostPort, isIpv6Address, parseHostPort } from '../../src/control/host-port.js';
import { VXLAN_PORT } from '../../src/wire/vxlan.js';
import { TsnetError } from '../../src/errors.js';

function fails(text: string, opts = {}): TsnetError {
  try {
    parseHostPort(text, VXLAN_PORT, opts);
  } catch (err) {
    assert.instance(err, TsnetError);
    return err as TsnetError;
  }
  throw new Error(`"${text}" was accepted`);
}

test('IPv4 and IPv6, with and without a port', () => {
  assert.equal(parseHostPort('10.200.0.2'), { address: '10.200.0.2', port: 4789 });
  assert.equal(parseHostPort(' 10.200.0.2:5000 '), { address: '10.200.0.2', port: 5000 });
  assert.equal(parseHostPort('fd00::2'), { address: 'fd00::2', port: 4789 });
  assert.equal(parseHostPort('::1'), { address: '::1', port: 4789 });
  assert.equal(parseHostPort('[fd00::2]'), { address: 'fd00::2', port: 4789 });
  assert.equal(parseHostPort('[fd00::2]:4790'), { address: 'fd00::2', port: 4790 });
  assert.equal(parseHostPort('[::]:0', 4789, { minPort: 0 }), { address: '::', port: 0 });
});

test('bad addresses and ports are typed errors naming what was given', () => {
  for (const bad of ['host', 'host:1', '10.1', '10.0.0.256', '[10.0.0.1]:4789', 'fd00::2:4789:x', '[fd00::2', '', '10.0.0.1:0', '10.0.0.1:65536', '[fd00::2]:x']) {
    const err = fails(bad);
    assert.is(err.code, 'EBAD_PEER', bad);
    assert.match(err.message, /is not IP or IP:PORT/);
  }
  const err = fails('nope', { what: '--listen', code: 'EBAD_ADDRESS' });
  assert.is(err.code, 'EBAD_ADDRESS');
  assert.match(err.message, /^--listen "nope"/);
});

test('formatHostPort writes IPv6 in brackets, and parseHostPort reads it back', () => {
  assert.is(formatHostPort('10.0.0.1', 4789), '10.0.0.1:4789');
  assert.is(formatHostPort('fd00::1', 4789), '[fd00::1]:4789');
  assert.equal(parseHostPort(formatHostPort('fd00::1', 4790)), { address: 'fd00::1', port: 4790 });
  assert.ok(isIpv6Address('fd00::1'));
  assert.not.ok(isIpv6Address('10.0.0.1'));
});

test.run();
