// The CLI's argv parser (src/cli/args.ts): Docker's combined short booleans (-it, -qa), values
// inline or next, repeatable flags, positionals ending flag parsing for `run`, and one sentence for
// what it cannot take.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs, type FlagSpecs } from '../../src/cli/args.js';

const RUN: FlagSpecs = {
  detach: { short: 'd', type: 'boolean' },
  interactive: { short: 'i', type: 'boolean' },
  tty: { short: 't', type: 'boolean' },
  hostname: { short: 'h', type: 'string' },
  publish: { short: 'p', type: 'string', multiple: true },
  name: { type: 'string' },
};
const run = (...argv: string[]) => parseArgs(argv, RUN, 'tsnet run', { stopAtPositional: true });

test('combined short booleans as Docker takes them', () => {
  const a = run('-it', '--name', 'x', 'sh');
  assert.equal([a.flags.interactive, a.flags.tty, a.flags.detach], [true, true, undefined]);
  assert.equal(a.positionals, ['sh']);
  assert.equal(run('-dit', 'sh').flags.detach, true);
  assert.equal(run('-ti', 'sh').flags.interactive, true);
});

test('values inline or next, repeatable flags, positionals stop parsing', () => {
  const a = run('-p8080:80', '-p', '53:53/udp', '-hweb', '--name=n', '--', 'ls', '-it');
  assert.equal(a.flags.publish, ['8080:80', '53:53/udp']);
  assert.is(a.flags.hostname, 'web');
  assert.is(a.flags.name, 'n');
  assert.equal(a.positionals, ['ls', '-it'], 'flags after the command belong to it');
  assert.equal(run('busybox', 'ping', '-c', '1').positionals, ['busybox', 'ping', '-c', '1']);
});

test('what it cannot take is one EBAD_FLAG sentence', () => {
  for (const argv of [['-ix'], ['-ih'], ['--nope'], ['--name'], ['--detach=maybe']]) {
    try {
      run(...argv);
      assert.unreachable(argv.join(' '));
    } catch (err) {
      const e = err as Error & { code?: string };
      assert.is(e.code, 'EBAD_FLAG', argv.join(' '));
      assert.match(e.message, /^[^\n]+\.$/);
    }
  }
});

test.run();
