// Two local faults (SECURITY.md). A full disk under the state directory (a small tmpfs mounted as
// --state-dir, filled with a file): `network create` fails with one clear sentence, nothing half-made
// is left (no host port, no listed network), and after freeing space the same create works and the
// daemon restarts (kill -9) with the previous state intact. And the API and Docker plugin sockets are
// root-only (mode 0600): an unprivileged user (setpriv to uid/gid 65534) gets "permission denied ...
// run tsnet as root".
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cleanupAll, onCleanup, sh, trySh } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { stateProblems } from '../helpers/fault-state.js';

// --- our choice ---
/** Big enough for the state of a few networks and the daemon's container logs directory. */
const TMPFS_SIZE = '256k';

const t = suite('full disk and socket permissions');
t.after(() => cleanupAll());

/** Fills the file system of `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  trySh('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k']); // stops with ENOSPC
  // the last partial block: top up byte by byte chunks until ENOSPC
  for (let n = 1024; n >= 1; n = Math.floor(n / 2)) {
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(n), { flag: 'a' });
    } catch {
      /* next smaller chunk */
    }
  }
  return filler;
}

t('a full state directory: create fails with a clear error, no corruption, state intact after freeing space and kill -9', async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'tsnet-full-'));
  sh('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', mnt]);
  onCleanup(() => {
    trySh('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const stateDir = join(mnt, 'state');
  mkdirSync(stateDir);
  const d0 = await startTestDaemon({ extraArgs: ['--state-dir', stateDir] });
  const d: TestDaemon = Object.assign(Object.create(d0) as TestDaemon, { stateDir });
  d.ok('network', 'create', '--subnet', '10.64.0.0/24', 'before');
  d.ok('run', '-d', '--name', 'keep', '--net', 'before', '--', 'sleep', '3600');
  const lsBefore = d.ok('network', 'ls');

  const filler = fill(mnt);
  // each save recycles the page of the previous state.json.bak, so a create must need more than that:
  // an 8 KB option value makes the new state two pages larger than the old one
  const during = ['network', 'create', '--subnet', '10.65.0.0/24', '-o', `note=${'n'.repeat(8192)}`, 'during'];
  const r = d.cli(...during);
  assert.is.not(r.status, 0, 'create on a full disk must fail');
  assert.match(r.stderr, /no space left on device/);
  assert.is(r.stderr.trim().split('\n').length, 1, 'one sentence');
  assert.is(d.ok('network', 'ls'), lsBefore, 'nothing half-made is listed');
  assert.equal(stateProblems(d), [], 'no orphan host port, the saved state still matches the kernel');
  const big = ['run', '-d', '--name', 'big', '--net', 'before', '--', 'sh', '-c', 'sleep 3600', 'n'.repeat(8192)];
  const r2 = d.cli(...big);
  assert.is.not(r2.status, 0, 'run on a full disk must fail');
  assert.match(r2.stderr, /no space left on device/);
  assert.equal(stateProblems(d), [], 'no leftover namespace or interface from the failed run');

  rmSync(filler);
  // the same names work again once there is space
  d.ok(...during);
  d.ok(...big);
  d.ok('run', '-d', '--name', 'during', '--net', 'during', '--', 'sleep', '3600');
  await d0.kill('SIGKILL');
  await d0.start();
  assert.equal(stateProblems(d), []);
  const ls = d.ok('network', 'ls');
  assert.match(ls, /\bbefore\b/);
  assert.match(ls, /\bduring\b/);
  assert.match(d.ok('ps'), /keep/);
  assert.is(d.cli('run', '--rm', '--net', 'before', '--', 'ping', '-c', '1', '-W', '3', 'keep').status, 0, 'keep still reachable after the restart');
  assert.match(d.ok('ps'), /big/);
  d.ok('rm', '-f', 'keep', 'big', 'during');
  d.ok('network', 'rm', 'before', 'during');
  await d0.kill('SIGTERM');
});

t('the API and plugin sockets are root-only; a non-root user is told to run tsnet as root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-perm-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const pluginSock = join(dir, 'plugin.sock');
  const d = await startTestDaemon({ extraArgs: ['--docker-plugin-socket', pluginSock] });
  chmodSync(dirname(d.socket), 0o711); // let others reach the socket file itself: its own mode must stop them
  for (const s of [d.socket, pluginSock]) {
    const st = statSync(s);
    assert.is(st.mode & 0o777, 0o600, `${s} mode ${(st.mode & 0o777).toString(8)}`);
    assert.is(st.uid, 0);
  }
  const asNobody = (args: string[]) => trySh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]);
  const r = asNobody([CLI, '--host', d.socket, 'network', 'ls']);
  assert.is(r.status, 5, r.stderr);
  assert.match(r.stderr, /permission denied on .*; run tsnet as root/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const p = asNobody(['-e', `require('net').connect(${JSON.stringify(pluginSock)}).on('error', (e) => { console.log(e.code); process.exit(0); }).on('connect', () => { console.log('CONNECTED'); process.exit(0); })`]);
  assert.is(p.stdout.trim(), 'EACCES', 'the plugin socket refuses non-root users');
  await d.kill('SIGTERM');
});

t.run();
