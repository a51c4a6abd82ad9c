// Argument helpers of `tsnet switch` (src/cli/switch-command.ts, switch-attach.ts): peers and listen
// addresses, --attach specs, derived VNIs and MACs, and the errors users see.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHostPort, runSwitchCommand, vniForName } from '../../src/cli/switch-command.js';
import { macFor, parseAttach } from '../../src/cli/switch-attach.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'none';
};

test('parseHostPort: IP, IP:PORT, IPv6, [IPv6]:PORT; errors name the flag', () => {
  assert.equal(parseHostPort('10.200.0.2', 4789, '--peer'), { address: '10.200.0.2', port: 4789 });
  assert.equal(parseHostPort('10.200.0.2:5000', 4789, '--peer'), { address: '10.200.0.2', port: 5000 });
  assert.equal(parseHostPort('[fd00::1]:4790', 4789, '--peer'), { address: 'fd00::1', port: 4790 });
  assert.equal(parseHostPort('fd00::1', 4789, '--peer'), { address: 'fd00::1', port: 4789 });
  assert.equal(parseHostPort('0.0.0.0:0', 4789, '--listen'), { address: '0.0.0.0', port: 0 });
  assert.is(code(() => parseHostPort('host:1', 4789, '--peer')), 'EBAD_ADDRESS');
  assert.is(code(() => parseHostPort('1.2.3.4:99999', 4789, '--listen')), 'EBAD_ADDRESS');
});

test('parseAttach and macFor', () => {
  assert.equal(parseAttach('cA'), { netns: 'cA', cidr: null });
  assert.equal(parseAttach('cA=10.0.42.1/24'), { netns: 'cA', cidr: '10.0.42.1/24' });
  assert.is(code(() => parseAttach('cA=10.0.42.1')), 'EBAD_ATTACH');
  assert.is(code(() => parseAttach('c A')), 'EBAD_ATTACH');
  assert.is(macFor('10.0.42.1/24'), '02:42:0a:00:2a:01');
  assert.match(macFor(null), /^02:42(:[0-9a-f]{2}){4}$/);
});

test('vniForName is stable and in range', () => {
  assert.is(vniForName('multi'), vniForName('multi'));
  assert.is.not(vniForName('multi'), vniForName('multi2'));
  for (const n of ['a', 'multi', 'x'.repeat(100)]) assert.ok(vniForName(n) >= 4096 && vniForName(n) <= 0xffffff);
});

test('runSwitchCommand rejects missing --network, unknown flags and bad numbers before touching the system', async () => {
  for (const [argv, want] of [[[], 'EBAD_FLAG'], [['--network', 'n', '--bogus'], 'EBAD_FLAG'], [['--network', 'n', '--vni', 'x'], 'EBAD_FLAG'], [['--network', 'n', '--busy-poll', '-1'], 'EBAD_FLAG'], [['--network', 'n', '--busy-poll', '100001'], 'EBAD_FLAG'], [['--network', 'n', '--busy-poll-ahead', '10001'], 'EBAD_FLAG'], [['--network', 'n', '--busy-poll-ahead', 'soon'], 'EBAD_FLAG']] as const) {
    try {
      await runSwitchCommand([...argv]);
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code?: string }).code, want);
    }
  }
});

test.run();
