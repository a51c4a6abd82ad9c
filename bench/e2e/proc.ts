// Child processes and cleanup for the end-to-end benchmark (bench/e2e/run.ts and its paths).
// Every process the harness starts is tracked by PID; every namespace or temp dir registers an undo
// step. `cleanupNow` kills what is still running (SIGTERM, then SIGKILL, by PID only) and runs the
// undo steps in reverse order; it is synchronous so it also works from 'exit' and signal handlers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TsnetError, internal, unavailable } from '../../src/errors.js';

// Our choice: how long a daemon gets to exit after SIGTERM before SIGKILL (tincd needs ~1 s).
const TERM_GRACE_MS = 4000;
// Our choice: how much of a daemon's output we keep for error messages.
const LOG_TAIL_CHARS = 8192;

const live = new Set<ChildProcess>();
const undo: Array<() => void> = [];

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Registers an undo step, run by cleanupNow in reverse order. */
export function onCleanup(fn: () => void): void {
  undo.push(fn);
}

/** Runs a command to completion (async, tracked, killed after timeoutMs). Never rejects on exit code. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.pid !== undefined && killQuietly(child.pid, 'SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(unavailable('EBENCH_SPAWN', `could not start ${cmd} (${err.message}); install it or check PATH.`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs a command and returns stdout; throws a TsnetError naming the command when it fails. */
export async function runOk(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw commandFailed(cmd, args, r.code, r.signal, r.stderr || r.stdout);
  return r.stdout;
}

/** Runs a short setup command synchronously (ip, tincd -K); throws a TsnetError when it fails. */
export function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: input ?? '', timeout: 30_000 });
  if (r.error) throw unavailable('EBENCH_SPAWN', `could not run ${cmd} (${r.error.message}); install it or check PATH.`);
  if (r.status !== 0) throw commandFailed(cmd, args, r.status, r.signal, r.stderr || r.stdout);
  return r.stdout;
}

/** Like sh but never throws (for undo steps). */
export function trySh(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function commandFailed(cmd: string, args: string[], code: number | null, signal: string | null, out: string): TsnetError {
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  return internal('EBENCH_COMMAND', `\`${[cmd, ...args].join(' ')}\` ${how}: ${out.trim().slice(-600)}`);
}

/** A long-running process (switch, tincd, iperf3 -s, UDP echo server) started by the harness. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** The last few KB of its stdout and stderr. */
  log(): string;
  alive(): boolean;
  /** Resolves when a line of output matches, rejects if it exits or the deadline passes. */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

export function startDaemon(name: string, cmd: string, args: string[]): Daemon {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw unavailable('EBENCH_SPAWN', `could not start ${name} (${cmd}); install it or check PATH.`);
  const pid = child.pid;
  live.add(child);
  let tail = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const onData = (d: string) => {
    tail = (tail + d).slice(-LOG_TAIL_CHARS);
    for (const w of waiters) w();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  child.on('error', () => undefined);
  const exitedP = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      live.delete(child);
      for (const w of waiters) w();
      resolve();
    }),
  );
  return {
    name,
    pid,
    log: () => tail,
    alive: () => !exited,
    waitForOutput(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(tail)) done(null);
          else if (exited) done(unavailable('EBENCH_DAEMON_EXIT', `${name} exited before it was ready: ${tail.trim().slice(-600)}`));
        };
        const timer = setTimeout(
          () => done(unavailable('EBENCH_DAEMON_TIMEOUT', `${name} was not ready after ${timeoutMs} ms: ${tail.trim().slice(-600)}`)),
          timeoutMs,
        );
        const done = (err: TsnetError | null) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      killQuietly(pid, 'SIGTERM');
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), TERM_GRACE_MS).unref());
      if ((await Promise.race([exitedP, grace])) === 'timeout') {
        killQuietly(pid, 'SIGKILL');
        await exitedP;
      }
    },
  };
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** True while the PID exists and is not a zombie (a zombie is dead but not yet reaped by us). */
function pidRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kills every tracked process by PID and runs all undo steps; safe to call more than once. */
export function cleanupNow(): void {
  const pids = [...live].map((c) => c.pid).filter((p): p is number => p !== undefined);
  live.clear();
  for (const pid of pids) killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + TERM_GRACE_MS;
  while (pids.some(pidRunning) && Date.now() < deadline) sleepSync(50);
  for (const pid of pids) if (pidRunning(pid)) killQuietly(pid, 'SIGKILL');
  while (pids.some(pidRunning) && Date.now() < deadline + 2000) sleepSync(50);
  while (undo.length) {
    const fn = undo.pop()!;
    try {
      fn();
    } catch {
      /* keep cleaning */
    }
  }
}

/** Cleans up on normal exit, SIGINT, SIGTERM, SIGHUP and uncaught errors. */
export function installCleanupHandlers(): void {
  process.on('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
      cleanupNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    cleanupNow();
    process.exit(1);
  });
}
