// `tsnet events` against a real daemon: the network and container events of a container's whole life
// arrive in order with Docker's actions and attributes (json and Docker's line format), filters keep
// only what they name, and a failed change emits nothing. Everything is removed by cleanupAll.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll, onCleanup } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const t = suite('events');
let d: TestDaemon;

/** `tsnet events ARGS` in the background; its lines so far. */
function follow(...args: string[]): { lines: string[]; stop: () => void } {
  const p = spawn(process.execPath, [CLI, '--host', d.socket, 'events', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGINT');
  };
  onCleanup(stop);
  const lines: string[] = [];
  let partial = '';
  p.stdout!.on('data', (b: Buffer) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  return { lines, stop };
}

/** Waits until a follower is subscribed: a connect of the warm-up container reaches it (those
 *  events, named warm*, are left out of what the test compares). */
async function subscribed(f: { lines: string[] }, tag: string): Promise<void> {
  await until(`the ${tag} follower to get events`, () => {
    if (f.lines.some((l) => l.includes('warmnet'))) return true;
    d.ok('network', 'connect', 'warmnet', 'warmc');
    d.ok('network', 'disconnect', 'warmnet', 'warmc');
    return false;
  });
}
const notWarm = (l: string) => !l.includes('warm');

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.65.9.0/24', 'warmnet');
  d.ok('run', '-d', '--name', 'warmc', '--', 'sleep', '600');
});
t.after(() => cleanupAll());

t("a container's life on a network, in order, with Docker's actions and attributes", async () => {
  const all = follow('--format', 'json');
  const lines = follow('-f', 'type=network');
  const connects = follow('-f', 'event=connect', '-f', 'event=disconnect');
  await subscribed(all, 'all');
  await subscribed(lines, 'net');
  await subscribed(connects, 'conn');
  const since = all.lines.length;

  const netId = d.ok('network', 'create', '--subnet', '10.65.0.0/24', 'evnet').trim();
  d.ok('network', 'create', '--subnet', '10.65.1.0/24', 'evnet2');
  const ctrId = d.ok('run', '-d', '--name', 'ev1', '--net', 'evnet', '--', 'sleep', '600').trim();
  d.ok('network', 'connect', 'evnet2', 'ev1');
  d.ok('network', 'disconnect', 'evnet2', 'ev1');
  d.ok('stop', '-t', '5', 'ev1');
  d.ok('start', 'ev1');
  assert.is.not(d.cli('network', 'create', '--subnet', '10.65.0.0/24', 'clash').status, 0, 'a failed create');
  d.ok('rm', '-f', 'ev1');
  d.ok('network', 'rm', 'evnet', 'evnet2');

  const want = [
    'network create evnet', 'network create evnet2', 'container create ev1', 'network connect evnet', 'container start ev1',
    'network connect evnet2', 'network disconnect evnet2', 'container die ev1', 'container stop ev1', 'container start ev1',
    'container die ev1', 'network disconnect evnet', 'container destroy ev1', 'network destroy evnet', 'network destroy evnet2',
  ];
  const summary = () => all.lines.slice(since).filter(notWarm).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } })
    .map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name}`);
  // `rm -f` of a running container kills it first: a die (137) before its endpoints go, as in Docker
  await until('every event arrived', () => summary().length >= want.length, 10_000);
  assert.equal(summary(), want, summary().join('\n'));
  const events = all.lines.slice(since).filter(notWarm).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; time: number });
  const connect = events.find((e) => e.Action === 'connect')!;
  assert.is(connect.Actor.ID, netId);
  assert.equal(connect.Actor.Attributes, { name: 'evnet', type: 'bridge', scope: 'local', container: ctrId });
  assert.equal(events.filter((e) => e.Action === 'die').map((e) => e.Actor.Attributes.exitCode), ['143', '137'], 'stop: SIGTERM; rm -f: SIGKILL');
  assert.ok(Math.abs(events[0]!.time - Date.now() / 1000) < 60);

  // Docker's line format, and the filters
  await until('the filtered followers caught up', () => lines.lines.some((l) => / network destroy .*name=evnet2/.test(l)) && connects.lines.filter((l) => /evnet2/.test(l)).length >= 2);
  const created = lines.lines.find((l) => l.includes('name=evnet,'))!;
  assert.match(created, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z network create ${netId} \\(name=evnet, scope=local, type=bridge\\)$`));
  assert.not.ok(lines.lines.some((l) => / container /.test(l)), 'type=network keeps network events only');
  assert.ok(connects.lines.every((l) => / network (connect|disconnect) /.test(l)), connects.lines.join('\n'));
  assert.ok(connects.lines.filter(notWarm).length >= 4, connects.lines.join('\n'));
  for (const f of [all, lines, connects]) f.stop();
});

t('--since replays what the daemon kept, --until ends the stream', () => {
  const t0 = Date.now();
  const past = d.ok('events', '--since', '5m', '--until', String(Date.now() / 1000), '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}');
  const lines = past.split('\n').filter((l) => l && !l.includes('warm'));
  assert.equal(lines.slice(0, 3), ['network create evnet', 'network create evnet2', 'container create ev1'], past);
  assert.is(lines.at(-1), 'network destroy evnet2');
  const later = d.cli('events', '-f', 'type=container', '--since', String(t0 / 1000), '--until', String(t0 / 1000 + 2));
  assert.is(later.status, 0);
  assert.is(later.stdout, '', 'nothing happened in those 2 s');
  assert.ok(Date.now() - t0 >= 1900, 'it followed until --until');
  assert.match(d.cli('events', '--since', 'yesterday').stderr, /--since takes seconds since the epoch, a duration such as 10m/);
});

t('a bad filter is one sentence', () => {
  const r = d.cli('events', '-f', 'type=volume');
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /^tsnet: events have the types network and container, not "volume"\.\n$/);
  assert.match(d.cli('events', '-f', 'label=x').stderr, /filters by type, event/);
});

t.run();
