// A container's process over its life with a real daemon: `tsnet logs` shows what a detached command
// printed, `stop` sends SIGTERM (the exit code is the one the process chose) and SIGKILL after -t,
// `start` runs the command again in the same namespace with the same address, `logs -f` follows it
// and ends when it stops, a `--rm` container goes away when stopped, and the errors are one sentence.
// Everything is removed by cleanupAll.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll, makeNetns, onCleanup } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const t = suite('container lifecycle');
let d: TestDaemon;

interface Inspected {
  Id: string;
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}
const inspect = (name: string) => (JSON.parse(d.ok('inspect', name)) as Inspected[])[0]!;
const psLine = (name: string) => d.ok('ps', '-a').split('\n').find((l) => l.trimEnd().endsWith(` ${name}`)) ?? '';

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.64.0.0/24', 'life');
  d.ok('run', '-d', '--name', 'peer', '--net', 'life', '--', 'sleep', '600');
});
t.after(() => cleanupAll());

t('logs; stop ends the process with SIGTERM and keeps its exit code; start runs it again with the same address', async () => {
  const script = 'echo hello; trap "echo bye; exit 3" TERM; while :; do sleep 0.1; done';
  d.ok('run', '-d', '--name', 'svc', '--net', 'life', '--ip', '10.64.0.10', '--', 'sh', '-c', script);
  await until('svc printed hello', () => d.ok('logs', 'svc') === 'hello\n');
  const first = inspect('svc').State;
  assert.ok(first.Running && first.Pid > 0);
  assert.is(first.FinishedAt, '0001-01-01T00:00:00Z');
  assert.match(psLine('svc'), /Up (Less than a second|\d+ seconds?)/);

  assert.is(d.ok('stop', 'svc'), 'svc\n');
  const stopped = inspect('svc').State;
  assert.equal([stopped.Status, stopped.Running, stopped.Pid, stopped.ExitCode], ['exited', false, 0, 3], 'the exit code the trap chose');
  assert.ok(Date.parse(stopped.FinishedAt) >= Date.parse(first.StartedAt));
  assert.match(psLine('svc'), /Exited \(3\) (Less than a second|\d+ seconds?) ago/);
  assert.is(d.ok('ps', '-q', '--no-trunc', '-f', 'status=exited', '-f', 'name=sv'), `${inspect('svc').Id}\n`, 'ps -f finds the stopped container without -a');
  assert.is(d.ok('ps', '-q', '-f', 'status=exited', '-f', 'network=nonet'), '');
  assert.match(d.ok('ps', '-a', '-f', 'name=svc', '--format', '{{.Names}} {{.State}} {{.Networks}}: {{.Status}}'), /^svc exited life: Exited \(3\) .* ago\n$/);
  assert.is(d.ok('logs', 'svc'), 'hello\nbye\n', 'the trap ran: SIGTERM, not SIGKILL');
  assert.is(d.ok('stop', 'svc'), 'svc\n', 'stopping a stopped container is no error (as in Docker)');
  // the namespace and its endpoint stay while the process is stopped
  assert.is(d.inContainer('peer', 'ping', ['-c', '1', '-W', '2', '10.64.0.10']).status, 0);

  assert.is(d.ok('start', 'svc'), 'svc\n');
  const again = inspect('svc');
  assert.ok(again.State.Running && again.State.Pid !== first.Pid);
  assert.ok(Date.parse(again.State.StartedAt) >= Date.parse(stopped.FinishedAt));
  assert.is(again.NetworkSettings.Networks.life!.IPAddress, '10.64.0.10');
  await until('svc printed hello again', () => d.ok('logs', 'svc') === 'hello\nbye\nhello\n');
  assert.is(d.ok('logs', '--tail', '1', 'svc'), 'hello\n');
  assert.is(d.ok('logs', '--tail', '2', 'svc'), 'bye\nhello\n');
  assert.is(d.ok('logs', '--tail', '0', 'svc'), '');
  assert.is(d.inContainer('svc', 'ping', ['-c', '1', '-W', '2', 'peer']).status, 0, 'names still resolve from the restarted container');
});

t('logs -f follows the output and ends when the container stops', async () => {
  d.ok('run', '-d', '--name', 'ticker', '--net', 'life', '--', 'sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done');
  const follower = spawn(process.execPath, [CLI, '--host', d.socket, 'logs', '-f', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    if (follower.exitCode === null && follower.signalCode === null) follower.kill('SIGKILL');
  });
  let text = '';
  follower.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  const ended = new Promise<number | null>((r) => follower.once('exit', (code) => r(code)));
  await until('logs -f shows tick 5', () => text.includes('tick 5\n'), 20_000);
  d.ok('stop', '-t', '5', 'ticker');
  assert.is(await ended, 0, 'logs -f ended by itself once the container stopped');
  const lines = text.trimEnd().split('\n');
  assert.ok(lines.length >= 6);
  lines.forEach((l, i) => assert.is(l, `tick ${i}`, 'every line, in order, once'));
  assert.is(d.ok('logs', 'ticker'), text, 'logs -f showed what logs shows');
});

t('stop -t kills a process that ignores SIGTERM (137); restart; a --rm container is removed when stopped', async () => {
  d.ok('run', '-d', '--name', 'stubborn', '--', 'sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done');
  await until('stubborn runs', () => inspect('stubborn').State.Running);
  const t0 = Date.now();
  d.ok('stop', '-t', '1', 'stubborn');
  assert.ok(Date.now() - t0 >= 1000, 'it waited the grace time');
  assert.is(inspect('stubborn').State.ExitCode, 137);
  const before = inspect('stubborn').State.FinishedAt;
  assert.is(d.ok('restart', '-t', '0', 'stubborn'), 'stubborn\n');
  const st = inspect('stubborn').State;
  assert.ok(st.Running && Date.parse(st.StartedAt) >= Date.parse(before));

  d.ok('run', '-d', '--rm', '--name', 'temp', '--', 'sleep', '600');
  d.ok('stop', 'temp');
  await until('temp is gone', () => !d.ok('ps', '-a').includes(' temp'));
});

t('errors: unknown container, a namespace tsnet did not create, bad -t, bad --tail: one sentence each', () => {
  const ns = makeNetns('lcx');
  d.ok('network', 'connect', 'life', `/run/netns/${ns}`);
  const cases: Array<[string[], RegExp]> = [
    [['stop', 'nosuch'], /not found/],
    [['start', 'nosuch'], /not found/],
    [['logs', 'nosuch'], /not found/],
    [['start', ns], /namespace tsnet did not create/],
    [['stop', '-t', 'soon', 'peer'], /-t takes whole seconds/],
    [['logs', '--tail', 'x', 'peer'], /--tail takes a number of lines/],
    [['logs'], /./],
  ];
  for (const [args, re] of cases) {
    const r = d.cli(...args);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.ok(r.stderr.trim().split('\n').length <= 3, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.ok(inspect('peer').State.Running, 'peer untouched');
});

t.run();
