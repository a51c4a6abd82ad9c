// Bad CLI values (SECURITY.md): a table of bad invocations of every command (bad flags, missing
// arguments, bad CIDRs and IPs, bad MTU/VNI/aging options, unknown networks and containers) against a
// real daemon. Each must print exactly one sentence on stderr ("tsnet: ..."), nothing on stdout, exit
// non-zero, and leave the daemon's networks and containers as they were.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, makeNetns } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('bad CLI values');
let d: TestDaemon;

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.63.0.0/24', 'good');
  d.ok('run', '-d', '--name', 'c1', '--net', 'good', '--', 'sleep', '3600');
});
t.after(() => cleanupAll());

const CASES: Array<[string[], RegExp]> = [
  // unknown commands and flags
  [['frobnicate'], /unknown command/],
  [['network'], /./],
  [['network', 'frob'], /./],
  [['network', 'ls', '--bogus'], /unknown flag/],
  [['network', 'ls', 'extra'], /./],
  [['network', 'ls', '--format', 'xml'], /--format/],
  [['ps', '--bogus'], /unknown flag/],
  [['run', '--bogus', 'x', '--', 'true'], /unknown flag/],
  [['inspect', '-f', '{{bad', 'c1'], /format/],
  // network create: names, CIDRs, gateways, ranges, options
  [['network', 'create'], /./],
  [['network', 'create', '-bad'], /./],
  [['network', 'create', 'a/b'], /invalid network name/],
  [['network', 'create', 'x'.repeat(100)], /invalid network name/],
  [['network', 'create', 'good'], /already exists/],
  [['network', 'create', '--subnet', '10.1.0/8', 'n1'], /invalid/i],
  [['network', 'create', '--subnet', '10.1.0.0/33', 'n1'], /invalid|prefix/i],
  [['network', 'create', '--subnet', '10.1.0.1/16', 'n1'], /should be 10\.1\.0\.0\/16/],
  [['network', 'create', '--subnet', 'banana', 'n1'], /invalid/i],
  [['network', 'create', '--subnet', '10.63.0.0/16', 'n1'], /overlaps/],
  [['network', 'create', '--subnet', '10.9.0.0/16', '--gateway', '10.10.0.1', 'n1'], /gateway/i],
  [['network', 'create', '--subnet', '10.9.0.0/16', '--gateway', '300.1.1.1', 'n1'], /gateway/i],
  [['network', 'create', '--subnet', '10.9.0.0/16', '--gateway', '10.9.0.0', 'n1'], /network address/],
  [['network', 'create', '--gateway', '10.9.0.1', 'n1'], /needs a corresponding --subnet/],
  [['network', 'create', '--subnet', '10.9.0.0/16', '--ip-range', '10.8.0.0/24', 'n1'], /ip-range/],
  [['network', 'create', '--subnet', '10.9.0.0/16', '--aux-address', 'x=10.8.0.1', 'n1'], /aux-address/],
  [['network', 'create', '-o', 'mtu=abc', 'n1'], /whole number/],
  [['network', 'create', '-o', 'mtu=100', 'n1'], /MTU 100 is out of range/],
  [['network', 'create', '-o', 'mtu=99999', 'n1'], /out of range/],
  [['network', 'create', '-o', 'mtu=-1', 'n1'], /whole number/],
  [['network', 'create', '-d', 'overlay', '-o', 'vni=0', 'n1'], /VNI 0 is out of range/],
  [['network', 'create', '-d', 'overlay', '-o', 'vni=16777216', 'n1'], /out of range/],
  [['network', 'create', '-d', 'overlay', '-o', 'vni=x', 'n1'], /whole number/],
  [['network', 'create', '-o', 'aging=0', 'n1'], /out of range/],
  [['network', 'create', '-o', 'docker=true', 'n1'], /docker=true applies to global networks only/],
  [['network', 'create', '-o', 'docker=maybe', 'n1'], /option docker is true or false/],
  [['network', 'create', '-d', 'macvlan', 'n1'], /unknown network driver/],
  [['network', 'create', '--peer', '10.0.0.1', 'n1'], /overlay/],
  [['network', 'create', '--scope', 'global', 'n1'], /cluster/],
  // network inspect / rm / connect / disconnect
  [['network', 'inspect'], /./],
  [['network', 'inspect', 'nosuchnet'], /not found/],
  [['network', 'rm'], /./],
  [['network', 'rm', 'nosuchnet'], /network nosuchnet not found/],
  [['network', 'rm', 'good'], /has active endpoints/],
  [['network', 'connect', 'good'], /./],
  [['network', 'connect', 'nosuchnet', 'c1'], /not found/],
  [['network', 'connect', 'good', 'c1'], /already connected/],
  [['network', 'connect', 'good', 'nosuchctr'], /does not exist|not found/],
  [['network', 'connect', 'good', 'relative/path'], /absolute/],
  [['network', 'connect', 'good', '/nonexistent/ns'], /does not exist/],
  [['network', 'connect', 'good', '/etc/hostname'], /not a network namespace/],
  [['network', 'connect', '--ip', '10.63.0.300', 'good', 'c1'], /./],
  [['network', 'connect', '--alias', 'bad alias!', 'good', 'c1'], /./],
  [['network', 'disconnect', 'good'], /./],
  [['network', 'disconnect', 'good', 'nosuchctr'], /not found/],
  [['network', 'disconnect', 'nosuchnet', 'c1'], /not found/],
  [['network', 'rotate-key'], /./],
  [['network', 'rotate-key', 'nosuchnet'], /not found/],
  [['network', 'rotate-key', 'good'], /network good is not encrypted/],
  [['network', 'create', '-o', 'key-rotation=1h', 'n1'], /key-rotation needs an encrypted network/],
  [['network', 'create', '-d', 'overlay', '-o', 'encrypted', '-o', 'key-rotation=5s', 'n1'], /key-rotation is a duration from 10s/],
  [['network', 'create', '-d', 'overlay', '--peer', '10.0.0.1', '-o', 'key-file=/etc/k', '-o', 'key-rotation=1h', 'n1'], /does not apply with -o key-file/],
  // run / rm / inspect / exec / stats
  [['run'], /./],
  [['run', '--name', 'c2', '--net', 'good'], /usage: tsnet run|needs a command/],
  [['run', '--name', 'c1', '--', 'true'], /already in use/],
  [['run', '--name', 'bad/name', '--', 'true'], /invalid container name/],
  [['run', '--name', 'c2', '--net', 'nosuchnet', '--', 'true'], /not found/],
  [['run', '--name', 'c2', '--ip', '10.63.0.9', '--', 'true'], /need --net/],
  [['run', '--name', 'c2', '--net', 'good', '--ip', 'banana', '--', 'true'], /./],
  [['run', '--name', 'c2', '--net', 'good', '--ip', '10.99.0.9', '--', 'true'], /./],
  [['run', '--name', 'c2', '--net', 'good', '--ip', '10.63.0.2', '--', 'true'], /in use|allocated/i],
  [['run', '--name', 'c2', '--hostname', '-bad-', '--', 'true'], /hostname/],
  [['rm'], /./],
  [['rm', 'nosuchctr'], /not found/],
  [['rm', 'c1'], /is running/],
  [['inspect', 'nosuchctr'], /not found/],
  [['exec', 'nosuchctr', '--', 'true'], /not found/],
  [['stats', 'nosuchnet'], /not found/],
  [['--host'], /--host needs/],
  [['--host', '/nonexistent/tsnet.sock', 'network', 'ls'], /cannot reach the tsnet daemon/],
];

t(`${CASES.length} bad invocations: one sentence, non-zero exit, nothing changed`, () => {
  const before = d.ok('network', 'ls') + d.ok('ps', '-a', '-q');
  const problems: string[] = [];
  for (const [args, re] of CASES) {
    const r = d.cli(...args);
    const what = `tsnet ${args.join(' ').slice(0, 80)}`;
    const lines = r.stderr.trim().split('\n');
    if (r.status === 0) problems.push(`${what}: exit 0`);
    else if (lines.length !== 1 || !lines[0]!.startsWith('tsnet: ')) {
      // usage text on stderr for a missing argument is one sentence plus the usage line at most
      if (!(lines.length <= 3 && /usage/i.test(r.stderr))) problems.push(`${what}: not one sentence: ${r.stderr.slice(0, 300)}`);
    } else if (!re.test(r.stderr)) problems.push(`${what}: ${r.stderr.trim()} (expected ${re})`);
    if (r.stderr.includes('    at ')) problems.push(`${what}: a stack trace`);
    if (/EINTERNAL|is not a function|Cannot read prop|undefined/.test(r.stderr)) problems.push(`${what}: an internal error: ${r.stderr.trim()}`);
  }
  assert.equal(problems, []);
  assert.is(d.ok('network', 'ls') + d.ok('ps', '-a', '-q'), before, 'networks and containers unchanged');
});

t('a daemon that cannot listen for the cluster says why in one sentence and exits 6', () => {
  // the discovery node runs on the daemon's worker thread; its typed error must cross to the main thread
  const ns = makeNetns('tfl');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-listen-'));
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CLI, 'daemon', '--state-dir', join(dir, 'state'), '--socket', join(dir, 's.sock'),
      '--netns-prefix', 'tfl-', '--listen', '10.9.9.9:7946', '--advertise', '10.9.9.9'], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 6, r.stderr);
    assert.match(r.stderr, /^tsnet: cannot listen for the cluster on 10\.9\.9\.9:7946 \(listen EADDRNOTAVAIL[^\n]*\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
