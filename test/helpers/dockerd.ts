// Runs a private, real dockerd for the Docker integration tests (scripts/start-dockerd.sh): its own
// data root, exec root, API socket and plugin directory under one temporary ROOT, in the network
// namespace of the tsnet daemon under test (Docker must find Join's TAP there), with the busybox
// image imported (scripts/make-busybox-image.sh). Also runs the tsnet Docker plugin as its own
// process (dist/src/docker/plugin-main.js) with its socket in ROOT/plugins, which this dockerd sees
// as /run/docker/plugins. Cleanup (even after a failure): containers and networks removed through
// Docker while the plugin still answers, dockerd stopped by PID (SIGKILL after a grace period), any
// process still running from ROOT killed by PID, ROOT's mounts unmounted and ROOT deleted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onCleanup } from './netns.js';

export const PLUGIN_MAIN = resolve('dist/src/docker/plugin-main.js');
const START_SCRIPT = resolve('scripts/start-dockerd.sh');
const IMAGE_SCRIPT = resolve('scripts/make-busybox-image.sh');
const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
// --- our choice ---
const DOCKER_CMD_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;

export interface CmdResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface TestDockerd {
  root: string;
  socket: string;
  pid: number;
  pluginSocket: string;
  plugin: ChildProcess;
  pluginLog: string[];
  docker(...args: string[]): CmdResult;
  /** runs docker and throws with its output unless it exits 0; returns stdout */
  ok(...args: string[]): string;
  /** stops the plugin process (SIGTERM) and starts a new one on the same sockets */
  restartPlugin(): Promise<void>;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line mentions `root` (dockerd's containerd and shims). */
function pidsUsing(root: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(root)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

function waitForSocket(path: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    sleepSync(50);
  }
}

/** Starts the plugin, then dockerd in `netns`, then imports busybox. `apiSocket` is the tsnet daemon's. */
export function startTestDockerd(opts: { netns: string; apiSocket: string }): TestDockerd {
  const root = mkdtempSync(join(tmpdir(), 'tsnet-dockerd-'));
  const socket = join(root, 'docker.sock');
  const pluginSocket = join(root, 'plugins', 'tsnet.sock');
  const pluginLog: string[] = [];
  const docker = (...args: string[]): CmdResult => {
    const r = spawnSync(DOCKER_CLI, ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', timeout: DOCKER_CMD_TIMEOUT_MS });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const d: TestDockerd = {
    root,
    socket,
    pid: 0,
    pluginSocket,
    plugin: undefined as unknown as ChildProcess,
    pluginLog,
    docker,
    ok(...args) {
      const r = docker(...args);
      if (r.status !== 0) {
        const log = existsSync(join(root, 'dockerd.log')) ? readFileSync(join(root, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n') : '';
        throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}\n--- plugin log ---\n${pluginLog.slice(-15).join('')}\n--- dockerd log ---\n${log}`);
      }
      return r.stdout;
    },
    async restartPlugin() {
      const old = d.plugin;
      if (old.exitCode === null && old.signalCode === null) {
        const exited = new Promise((r) => old.once('exit', r));
        old.kill('SIGTERM');
        await exited;
      }
      startPlugin();
    },
  };

  // registered first, so it runs last: stop dockerd only after its containers are gone
  onCleanup(() => {
    if (d.pid) {
      const ids = docker('ps', '-aq').stdout.split('\n').filter(Boolean);
      if (ids.length) docker('rm', '-f', ...ids);
      for (const n of docker('network', 'ls', '--filter', 'driver=tsnet', '-q').stdout.split('\n').filter(Boolean)) docker('network', 'rm', n);
      if (d.plugin && d.plugin.exitCode === null && d.plugin.signalCode === null) d.plugin.kill('SIGTERM');
      if (alive(d.pid)) process.kill(d.pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (alive(d.pid) && Date.now() < deadline) sleepSync(100);
      if (alive(d.pid)) process.kill(d.pid, 'SIGKILL');
    }
    if (d.plugin && d.plugin.exitCode === null && d.plugin.signalCode === null) d.plugin.kill('SIGKILL');
    for (const pid of pidsUsing(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    sleepSync(200);
    spawnSync('umount', ['-R', root]);
    if (spawnSync('findmnt', ['-rn', root]).status === 0) spawnSync('umount', ['-R', '-l', root]);
    rmSync(root, { recursive: true, force: true });
  });

  const startPlugin = () => {
    const plugin = spawn(process.execPath, [PLUGIN_MAIN, '--api', opts.apiSocket, '--plugin-socket', pluginSocket, '--docker-socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    plugin.stdout!.on('data', (b: Buffer) => pluginLog.push(b.toString()));
    plugin.stderr!.on('data', (b: Buffer) => pluginLog.push(b.toString()));
    d.plugin = plugin;
    waitForSocket(pluginSocket, 20_000);
  };
  startPlugin();

  const r = spawnSync('bash', [START_SCRIPT, root, opts.netns], { encoding: 'utf8', timeout: 120_000 });
  const pidText = existsSync(join(root, 'dockerd.pid')) ? readFileSync(join(root, 'dockerd.pid'), 'utf8').trim() : '';
  if (/^\d+$/.test(pidText)) d.pid = Number(pidText);
  if (r.status !== 0) throw new Error(`start-dockerd.sh failed (${r.status}): ${r.stderr}${r.stdout}`);
  const img = spawnSync('bash', [IMAGE_SCRIPT, socket], { encoding: 'utf8', timeout: 120_000 });
  if (img.status !== 0) throw new Error(`make-busybox-image.sh failed (${img.status}): ${img.stderr}`);
  return d;
}
