// Test helpers for real network namespaces: unique names, `ip` commands, and cleanup that runs even
// when a test fails (each helper registers what it made; `cleanupAll` removes it in reverse order and
// is also called on process exit). Only namespaces and links created here are ever removed.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

const made: Array<() => void> = [];
let counter = 0;

/** A short unique name with the given prefix (interface names must stay under 16 bytes). */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}${(process.pid % 10000).toString(36)}${counter.toString(36)}`.slice(0, 15);
}

/** Runs a command, returns stdout; throws with stderr on failure. */
export function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a command, never throws; returns status and output. */
export function trySh(cmd: string, args: string[], timeoutMs = 30_000): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function ip(...args: string[]): string {
  return sh('ip', args);
}

/** Runs a command inside a named namespace. */
export function inNs(ns: string, cmd: string, args: string[], timeoutMs = 30_000) {
  return trySh('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** Creates a named namespace with loopback up; removed by cleanupAll. */
export function makeNetns(prefix = 'tst'): string {
  const name = uniqueName(prefix);
  ip('netns', 'add', name);
  onCleanup(() => trySh('ip', ['netns', 'del', name]));
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

/** Creates a veth pair, optionally moving each end into a namespace; removed by cleanupAll. */
export function makeVeth(a: { name?: string; ns?: string }, b: { name?: string; ns?: string }): [string, string] {
  const an = a.name ?? uniqueName('va');
  const bn = b.name ?? uniqueName('vb');
  ip('link', 'add', an, 'type', 'veth', 'peer', 'name', bn);
  onCleanup(() => {
    trySh('ip', ['link', 'del', an]);
    if (a.ns) trySh('ip', ['-n', a.ns, 'link', 'del', an]);
  });
  if (a.ns) ip('link', 'set', an, 'netns', a.ns);
  if (b.ns) ip('link', 'set', bn, 'netns', b.ns);
  return [an, bn];
}

/** Registers an undo step, run by cleanupAll in reverse order. */
export function onCleanup(fn: () => void): void {
  made.push(fn);
}

export function cleanupAll(): void {
  while (made.length) {
    const fn = made.pop()!;
    try {
      fn();
    } catch {
      /* keep cleaning */
    }
  }
}

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}

export const isRoot = process.getuid?.() === 0;

/** A background process whose output goes to a file (a pipe would block it while we run spawnSync);
 *  killed by cleanupAll. */
export function background(args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'w');
  const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid!;
  onCleanup(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
  return child;
}
