// `--help` on every command of `tsnet help` (no daemon needed): exit 0 and the command's usage line
// and flags on stdout; the "see `tsnet X --help`" advice of an unknown flag leads to such a text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { commandUsage, USAGE } from '../../src/cli/usage.js';

const CLI = resolve('dist/src/cli/main.js');
// the socket is never used: --help is answered before any API call
const tsnet = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TSNET_SOCKET: '/nonexistent/tsnet.sock' } });

/** Every command USAGE lists, as argv words (`network attach|detach` gives both). */
function listedCommands(): string[][] {
  const out: string[][] = [];
  for (const line of USAGE.split('\n')) {
    if (!/^ {2}[a-z]/.test(line) || line.trim().startsWith('FILTER:')) continue;
    const [first, second] = line.trim().split(/\s+/);
    const verbs = first === 'network' ? second!.split('|') : [undefined];
    for (const v of verbs) out.push(v ? [first!, v] : [first!]);
  }
  return out;
}

test('every command of `tsnet help` answers --help with its usage, exit 0', () => {
  const commands = listedCommands();
  assert.ok(commands.length >= 20, `commands found in USAGE: ${commands.length}`);
  for (const words of commands) {
    const r = tsnet(...words, '--help');
    assert.is(r.status, 0, `tsnet ${words.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage/, words.join(' '));
    assert.ok(r.stdout.includes(`tsnet ${words[0]}`), `tsnet ${words.join(' ')} --help names the command: ${r.stdout}`);
    assert.is(r.stderr, '', words.join(' '));
  }
});

test('flags are listed from the parser, -h is --help unless the command has its own -h', () => {
  const create = tsnet('network', 'create', '-h');
  assert.is(create.status, 0);
  assert.match(create.stdout, /tsnet network create \[-d bridge\|overlay\]/);
  assert.match(create.stdout, /-o, --opt VALUE \(repeatable\)/);
  assert.match(create.stdout, /--subnet VALUE/);
  // `tsnet run -h NAME` is Docker's --hostname
  const run = tsnet('run', '--help');
  assert.match(run.stdout, /-h, --hostname VALUE/);
  assert.match(run.stdout, /-p \[HOSTIP:\]HOSTPORT:PORT/, 'the continuation line of run');
  assert.match(tsnet('capture', '--help').stdout, /FILTER: arp ip/);
  // a flag after the command's own positionals still asks for help; after `--` it belongs to the command run
  assert.is(tsnet('network', 'rm', 'x', '--help').status, 0);
  const inner = tsnet('exec', 'c1', '--', 'ls', '--help');
  assert.is.not(inner.status, 0, 'exec went on to the (absent) daemon');
  assert.not.match(inner.stdout, /Usage/);
  const usage = commandUsage('tsnet network');
  assert.match(usage, /network rotate-key NETWORK/);
  assert.is(tsnet('network', '--help').stdout.trim(), usage);
  const bare = tsnet('network');
  assert.is(bare.status, 2, '`tsnet network` alone is a usage error');
  assert.match(bare.stderr, /^tsnet: `tsnet network` needs a verb: create, ls, .* \(see `tsnet network --help`\)\.\n$/);
});

test('an unknown flag says to see `X --help`, and that works', () => {
  const r = tsnet('ps', '--bogus');
  assert.is.not(r.status, 0);
  const advice = /see `tsnet ([a-z ]+) --help`/.exec(r.stderr);
  assert.ok(advice, r.stderr);
  const help = tsnet(...advice![1]!.split(' '), '--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /-a, --all/);
});

test.run();
