// Unit tests of the trace filter language (src/observe/trace-filter.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileFilter, type FilterContext } from '../../src/observe/trace-filter.js';
import { summariseFrame } from '../../src/observe/frame-summary.js';
import { TsnetError } from '../../src/errors.js';
import { arpWhoHas, icmpEcho, tcpSyn, udpFrame, MAC_ROSE } from './observe-frames.js';

const ctx = (action = 'forwarded', inNames = ['rose:eth0', 'rose'], outNames = ['lily:eth0', 'lily']): FilterContext => ({ action, inNames, outNames });
const f = (b: Buffer) => summariseFrame(b, 0, b.length);
const m = (expr: string, b: Buffer, c = ctx()) => compileFilter(expr).test(f(b), c);

test('protocols', () => {
  assert.ok(m('arp', arpWhoHas()));
  assert.not.ok(m('arp', icmpEcho(1)));
  assert.ok(m('icmp', icmpEcho(1)));
  assert.ok(m('ip', icmpEcho(1)));
  assert.ok(m('udp', udpFrame(53)));
  assert.ok(m('tcp', tcpSyn()));
  assert.not.ok(m('tcp', udpFrame(53)));
});

test('host, src, dst, mac, l4port', () => {
  assert.ok(m('host 172.17.0.3', icmpEcho(1)));
  assert.ok(m('host 172.17.0.3', arpWhoHas()), 'ARP target address counts as a host');
  assert.not.ok(m('host 172.17.0.9', icmpEcho(1)));
  assert.ok(m('src 172.17.0.2', icmpEcho(1)));
  assert.not.ok(m('dst 172.17.0.2', icmpEcho(1)));
  assert.ok(m(`mac ${MAC_ROSE.toUpperCase()}`, icmpEcho(1)));
  assert.ok(m('l4port 53', udpFrame(53)));
  assert.not.ok(m('l4port 54', udpFrame(53)));
});

test('port NAME matches the input port, the output of a forward, and every flood', () => {
  assert.ok(m('port rose', icmpEcho(1)));
  assert.ok(m('port lily', icmpEcho(1)));
  assert.not.ok(m('port tulip', icmpEcho(1)));
  assert.ok(m('port tulip', arpWhoHas(), ctx('flooded', ['rose'], [])), 'a flood reaches every port');
  assert.not.ok(m('port lily', icmpEcho(1), ctx('dropped', ['rose'], [])));
  assert.not.ok(compileFilter('port rose').needsFrame, 'a port filter does not need decoding');
});

test('actions, and/or/not, parentheses, implicit and', () => {
  assert.ok(m('flooded', arpWhoHas(), ctx('flooded')));
  assert.ok(m('arp or icmp', icmpEcho(1)));
  assert.ok(m('icmp and host 172.17.0.3', icmpEcho(1)));
  assert.ok(m('icmp host 172.17.0.3', icmpEcho(1)));
  assert.not.ok(m('not icmp', icmpEcho(1)));
  assert.ok(m('!arp && (udp || icmp)', icmpEcho(1)));
  assert.not.ok(m('arp and (udp or icmp)', icmpEcho(1)));
  assert.ok(m('', icmpEcho(1)));
});

test('bad filters are one clear bad-request sentence', () => {
  for (const [expr, re] of [
    ['frobnicate', /"frobnicate" is not a filter term/],
    ['host', /"host" in the filter needs an IP address/],
    ['host 999.1.1.1', /is not an IP address/],
    ['mac zz', /is not a MAC address/],
    ['(arp', /no matching "\)"/],
    ['arp )', /unexpected "\)"/],
    ['l4port 70000', /not a UDP\/TCP port/],
  ] as const) {
    try {
      compileFilter(expr);
      assert.unreachable(`${expr} should fail`);
    } catch (err) {
      assert.instance(err, TsnetError);
      assert.is((err as TsnetError).code, 'EBAD_FILTER');
      assert.is((err as TsnetError).category, 'bad-request');
      assert.match((err as Error).message, re);
    }
  }
});

test.run();
