// `tsnet run` options on real namespaces: --ip, --alias, --hostname, the exit code of a foreground
// command, a foreground command shown running by `ps` while the CLI waits for it, `exec` entering the
// container's UTS namespace, `ps -a`, and `rm` of a running container.
import { suite } from 'uvu';
import { spawn, spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { cleanupAll } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const t = suite('run options');
let d: TestDaemon;

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.88.0.0/24', '--ip-range', '10.88.0.128/25', 'opts');
});
t.after(() => cleanupAll());

t('--ip, --alias and --hostname are honoured', () => {
  d.ok('run', '-d', '--name', 'db', '--net', 'opts', '--ip', '10.88.0.5', '--alias', 'database', '--hostname', 'dbhost', '--', 'sleep', '600');
  const [c] = JSON.parse(d.ok('inspect', 'db')) as Array<any>;
  assert.is(c.NetworkSettings.Networks.opts.IPAddress, '10.88.0.5');
  assert.equal(c.NetworkSettings.Networks.opts.Aliases, ['database']);
  assert.is(d.cli('exec', 'db', '--', 'hostname').stdout.trim(), 'dbhost');
  const r = d.cli('run', '--rm', '--net', 'opts', '--', 'dig', '+short', '+time=2', '+tries=1', 'database');
  assert.is(r.stdout.trim(), '10.88.0.5', r.stderr);
});

t('automatic addresses come from --ip-range', () => {
  d.ok('run', '-d', '--name', 'web', '--net', 'opts', '--', 'sleep', '600');
  const ip = (JSON.parse(d.ok('inspect', 'web')) as Array<any>)[0].NetworkSettings.Networks.opts.IPAddress as string;
  assert.ok(Number(ip.split('.')[3]) >= 128, ip);
});

t('a foreground command gives its exit code; --rm removes the container', () => {
  const r = d.cli('run', '--rm', '--name', 'once', '--net', 'opts', '--', 'sh', '-c', 'exit 3');
  assert.is(r.status, 3);
  assert.not.match(d.ok('ps', '-a'), /\bonce\b/);
  const kept = d.cli('run', '--name', 'kept', '--', 'true');
  assert.is(kept.status, 0);
  assert.match(d.ok('ps', '-a'), /Exited \(0\)\s+kept|kept/);
  // Docker's -it: the command has the CLI's terminal anyway
  const it = spawnSync(process.execPath, [CLI, '--host', d.socket, 'run', '-it', '--rm', '--net', 'opts', '--', 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n', encoding: 'utf8' });
  assert.is(it.status, 0, it.stderr);
  assert.is(it.stdout, 'got hello\n', 'stdin reaches the command');
  assert.match(d.ok('ps', '-qa'), /^[0-9a-f]{12}$/m);
});

t('a foreground run shows as running in ps while the CLI waits, then as exited with its code', async () => {
  const cli = spawn(process.execPath, [CLI, '--host', d.socket, 'run', '--name', 'fg', '--net', 'opts', '--', 'sh', '-c', 'read x; exit 5'],
    { stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise<number | null>((res) => cli.on('exit', (code) => res(code)));
  try {
    await until('fg running in ps', () => /\bfg\b/.test(d.ok('ps')));
    const state = JSON.parse(d.ok('inspect', 'fg')) as Array<{ State: { Running: boolean; Pid: number } }>;
    assert.ok(state[0]!.State.Running, 'inspect says running');
    assert.ok(state[0]!.State.Pid > 1, 'with the PID of the process');
  } finally {
    cli.stdin!.end('\n'); // the command reads one line and exits 5
  }
  assert.is(await exited, 5);
  assert.not.match(d.ok('ps'), /\bfg\b/);
  assert.match(d.ok('ps', '-a'), /Exited \(5\)/);
  d.ok('rm', 'fg');
});

t('rm of a running container needs -f; ps shows it until then', () => {
  const r = d.cli('rm', 'web');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /is running/);
  assert.match(d.ok('ps'), /\bweb\b/);
  d.ok('rm', '-f', 'web', 'db', 'kept');
  assert.is(d.ok('ps', '-a', '-q').trim(), '');
});

t('network prune removes the networks no container uses, asks first, -f does not', () => {
  d.ok('network', 'create', 'unused1');
  d.ok('network', 'create', 'unused2');
  d.ok('run', '-d', '--name', 'holder', '--net', 'opts', '--', 'sleep', '600');
  const asked = d.cli('network', 'prune');
  assert.is.not(asked.status, 0, 'no terminal to ask on');
  assert.match(asked.stderr, /^tsnet: This will remove all networks not used by at least one container: add -f to do it without a terminal to ask on\.\n$/);
  assert.match(d.ok('network', 'ls'), /unused1/);
  assert.is(d.ok('network', 'prune', '-f'), 'Deleted Networks:\nunused1\nunused2\n');
  assert.match(d.ok('network', 'ls'), /\sopts\s/, 'the network in use stays');
  assert.is(d.ok('network', 'prune', '-f'), '', 'nothing left to prune');
  d.ok('rm', '-f', 'holder');
});

t.run();
