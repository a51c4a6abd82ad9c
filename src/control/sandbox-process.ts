// Starting and watching the command of a detached container (`tsnet run -d`). The command runs in
// the sandbox's namespace through `ip netns exec` (which also bind-mounts /etc/netns/NAME/*), with a
// UTS namespace of its own when a hostname is set; it is detached so it outlives a daemon restart.
// A PID is only ever signalled when its /proc start time matches the one recorded at spawn.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { internal } from '../errors.js';

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined if the process is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True when pid is alive and is the process we started (same start time) and not a zombie. */
export function isOurProcessAlive(pid: number | undefined, startTime: string | undefined): boolean {
  if (!pid || !startTime) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] === startTime && rest[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface StartedProcess {
  pid: number;
  startTime: string;
  /** resolves with the exit code while this daemon is its parent */
  exited: Promise<number>;
}

export function startSandboxProcess(opts: { netnsName: string | null; netnsPath: string; hostname?: string; cmd: string[]; logDir: string; id: string }): StartedProcess {
  mkdirSync(opts.logDir, { recursive: true, mode: 0o700 });
  const logPath = join(opts.logDir, `${opts.id}.log`);
  const fd = openSync(logPath, 'a', 0o600);
  const enter = opts.netnsName ? ['ip', 'netns', 'exec', opts.netnsName] : ['nsenter', `--net=${opts.netnsPath}`];
  const argv = opts.hostname
    ? [...enter, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', opts.hostname, ...opts.cmd]
    : [...enter, ...opts.cmd];
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    if (!child.pid) throw internal('ESPAWN', `cannot start ${opts.cmd[0]} in the container.`);
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1)));
      child.once('error', () => resolve(127));
    });
    child.unref();
    // start time read right away; the exec chain keeps the pid
    const startTime = processStartTime(child.pid) ?? '';
    return { pid: child.pid, startTime, exited };
  } finally {
    closeSync(fd);
  }
}

/** Signals a container's process (and its process group, unless `group` is false) if it is still
 *  the one we started. */
export function killSandboxProcess(pid: number | undefined, startTime: string | undefined, signal: NodeJS.Signals = 'SIGKILL', group = true): boolean {
  if (!pid || !isOurProcessAlive(pid, startTime)) return false;
  try {
    if (!group) throw new Error('the process alone');
    process.kill(-pid, signal); // detached: the process leads its own group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      return false;
    }
  }
  return true;
}

/** After a container's main process ended: SIGKILL to what is left of its process group (what it
 *  started and left behind; the kernel does this for a container whose PID 1 exits). */
export function killProcessGroupRest(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // no process left in the group
  }
}
