// A container's process over its life: started detached (`run -d`, `start`), marked running and
// exited (with Docker's StartedAt/FinishedAt), stopped (`stop`: SIGTERM to its process, SIGKILL
// after the grace time, as `docker stop -t`), started again in the same namespace with the same
// endpoints, and its output (`logs`). The namespace and endpoints outlive the process; `rm` ends both.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import type { SandboxRecord } from './model.js';
import { isOurProcessAlive, killProcessGroupRest, killSandboxProcess, startSandboxProcess } from './sandbox-process.js';
import { destroySandbox } from './sandboxes.js';

// --- our choice ---
/** `docker stop`'s default grace time before SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_S = 10;
/** How often a stopping process is checked. */
const STOP_POLL_MS = 50;
/** How long a SIGKILLed process may take to be gone before stop reports it. */
const KILL_WAIT_MS = 5000;
/** Exit codes of a process ended by SIGTERM / SIGKILL (128 + signal), as Docker reports them. */
const EXIT_SIGTERM = 143;
const EXIT_SIGKILL = 137;

/** The container's process runs now (pid and its /proc start time). */
export function markRunning(s: SandboxRecord, pid: number, pidStartTime: string): void {
  s.pid = pid;
  s.pidStartTime = pidStartTime;
  s.state = 'running';
  s.startedAt = new Date().toISOString();
  delete s.finishedAt;
  delete s.exitCode;
}

/** The container's process ended (or was found gone: then when it was found). */
export function markExited(s: SandboxRecord, exitCode: number | undefined): void {
  s.state = 'exited';
  s.exitCode = exitCode;
  s.finishedAt = new Date().toISOString();
}

/** Where a detached container's stdout and stderr go. */
export const logPathOf = (core: ControllerCore, s: SandboxRecord): string => join(core.deps.logDir, `${s.id}.log`);

/** Starts the container's command detached in its namespace; its exit is recorded when it comes. */
export function launchDetached(core: ControllerCore, s: SandboxRecord): void {
  const p = startSandboxProcess({ netnsName: s.netnsName, netnsPath: s.netnsPath, hostname: s.hostname, cmd: s.cmd, logDir: core.deps.logDir, id: s.id });
  markRunning(s, p.pid, p.startTime);
  core.events.emit('container', 'start', s.id, { name: s.name });
  void p.exited.then((code) => onProcessExit(core, s.id, p.pid, code));
}

async function onProcessExit(core: ControllerCore, id: string, pid: number, code: number): Promise<void> {
  await core.lock.run(async () => {
    const s = core.state.sandboxes.find((x) => x.id === id);
    if (!s || s.pid !== pid) return; // gone, or started again since
    const dead = s.state !== 'running'; // `stop` recorded the exit first: this is its real code
    markExited(s, code);
    if (!dead) core.events.emit('container', 'die', s.id, { name: s.name, exitCode: String(code) });
    core.deps.log(`container ${s.name}: process ${pid} exited with ${code}`);
    if (s.autoRemove) await destroySandbox(core, s);
    else await core.save();
  });
}

export function refreshSandboxState(s: SandboxRecord): void {
  if (s.state === 'running' && !isOurProcessAlive(s.pid, s.pidStartTime)) markExited(s, s.exitCode ?? -1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the process is gone or `ms` passed; true when it is gone. */
async function waitGone(pid: number, startTime: string | undefined, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!isOurProcessAlive(pid, startTime)) return true;
    if (Date.now() >= until) return false;
    await sleep(STOP_POLL_MS);
  }
}

/**
 * `tsnet stop`: SIGTERM to the container's process, SIGKILL to its process group after `timeoutS`
 * seconds (and to what the process left behind when it ended in time). Runs outside the
 * controller's lock while it waits (other verbs go on); recordStopped then marks the exit under the
 * lock, unless the daemon, the process's parent, recorded its real exit code first. A container that
 * is not running is left as it is.
 */
export async function stopSandboxProcess(s: SandboxRecord, timeoutS: number): Promise<{ pid: number; exitCode: number } | null> {
  refreshSandboxState(s);
  const { pid, pidStartTime } = s;
  if (s.state !== 'running' || !pid) return null;
  // SIGTERM to the main process alone, as `docker stop` sends it to PID 1: it may end its children
  if (!killSandboxProcess(pid, pidStartTime, 'SIGTERM', false)) return null;
  if (await waitGone(pid, pidStartTime, timeoutS * 1000)) {
    killProcessGroupRest(pid);
    return { pid, exitCode: EXIT_SIGTERM };
  }
  killSandboxProcess(pid, pidStartTime, 'SIGKILL');
  await waitGone(pid, pidStartTime, KILL_WAIT_MS);
  return { pid, exitCode: EXIT_SIGKILL };
}

/** After stopSandboxProcess: the exit, unless the process's own exit was recorded meanwhile. */
export async function recordStopped(core: ControllerCore, s: SandboxRecord, stopped: { pid: number; exitCode: number } | null): Promise<void> {
  if (!stopped || s.pid !== stopped.pid || s.state !== 'running') return;
  markExited(s, stopped.exitCode);
  core.events.emit('container', 'die', s.id, { name: s.name, exitCode: String(stopped.exitCode) });
  core.deps.log(`container ${s.name}: stopped (exit ${stopped.exitCode})`);
  if (s.autoRemove) await destroySandbox(core, s); // `run --rm`: removed when stopped, as Docker does
  else await core.save();
}

/** `tsnet start`: runs a stopped container's command again, detached, in its namespace. */
export async function startSandbox(core: ControllerCore, s: SandboxRecord): Promise<void> {
  refreshSandboxState(s);
  if (s.state === 'running') return;
  if (s.external || !s.netnsName) {
    throw badRequest('ENOT_STARTABLE', `${s.name} is a namespace tsnet did not create; it has no command to start.`);
  }
  if (!existsSync(s.netnsPath)) throw conflict('ENETNS_GONE', `the namespace of container ${s.name} is gone; remove the container with \`tsnet rm ${s.name}\`.`);
  launchDetached(core, s);
  core.deps.log(`container ${s.name}: started (process ${s.pid})`);
  await core.save();
}
