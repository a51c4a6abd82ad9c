// Runs a real tsnet daemon for integration tests, as a "host": the daemon process enters a fresh
// network namespace of its own (nsenter --net, so it shares the mount namespace and the containers'
// named namespaces stay visible), with its own state dir, API socket and container-namespace prefix.
// `cli()` runs the real CLI against it. Cleanup kills the daemon and the containers' processes by
// PID, deletes the namespaces it made and the /etc/netns files, even when a test failed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeNetns, onCleanup, trySh, uniqueName } from './netns.js';

export const CLI = resolve('dist/src/cli/main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  hostNs: string;
  socket: string;
  stateDir: string;
  prefix: string;
  proc: ChildProcess;
  log: string[];
  cli(...args: string[]): CliResult;
  /** runs the CLI and throws with its stderr unless it exits 0 */
  ok(...args: string[]): string;
  /** runs a command inside a container namespace created by this daemon */
  inContainer(name: string, cmd: string, args: string[], timeoutMs?: number): CliResult;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolveP, reject) => {
    const tick = () => {
      if (cond()) return resolveP();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** nodeArgs: flags for node before the CLI (the bench passes the `tsnet` shebang's --no-memory-reducer);
 *  wrapper: a command that runs node (e.g. as-kernel-without-uso.py). */
export async function startTestDaemon(opts: { hostNs?: string; extraArgs?: string[]; nodeArgs?: string[]; wrapper?: string[] } = {}): Promise<TestDaemon> {
  const hostNs = opts.hostNs ?? makeNetns('th');
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-test-'));
  const socket = join(dir, 'tsnet.sock');
  const stateDir = join(dir, 'state');
  const prefix = uniqueName('c').slice(0, 8) + '-';
  const log: string[] = [];
  const d: TestDaemon = {
    hostNs,
    socket,
    stateDir,
    prefix,
    proc: undefined as unknown as ChildProcess,
    log,
    cli(...args) {
      const r = spawnSync(process.execPath, [CLI, '--host', socket, ...args], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    ok(...args) {
      const r = d.cli(...args);
      if (r.status !== 0) throw new Error(`tsnet ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}\n--- daemon log ---\n${log.slice(-30).join('')}`);
      return r.stdout;
    },
    inContainer(name, cmd, args, timeoutMs = 30_000) {
      return trySh('ip', ['netns', 'exec', prefix + name, cmd, ...args], timeoutMs);
    },
    async kill(signal = 'SIGTERM') {
      const p = d.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill(signal);
      await exited;
    },
    async start() {
      const p = spawn('nsenter', [`--net=/run/netns/${hostNs}`, ...(opts.wrapper ?? []), process.execPath, ...(opts.nodeArgs ?? []), CLI, 'daemon', '--state-dir', stateDir, '--socket', socket, '--netns-prefix', prefix, ...(opts.extraArgs ?? [])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
      p.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
      d.proc = p;
      await waitFor(() => existsSync(socket) && d.cli('info').status === 0, 20_000, `the daemon socket ${socket}\n${log.join('')}`);
    },
  };
  onCleanup(() => {
    if (d.proc && d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
    // containers' processes, then their namespaces and /etc/netns files
    const list = trySh('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
    for (const ns of list) {
      for (const pid of trySh('ip', ['netns', 'pids', ns]).stdout.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      trySh('ip', ['netns', 'del', ns]);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await d.start();
  return d;
}
