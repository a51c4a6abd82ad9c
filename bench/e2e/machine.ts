// Machine description for the end-to-end benchmark report (bench/e2e/run.ts): CPU, cores, memory,
// kernel, Node, tinc and iperf3 versions, the repo commit, the date and the load average.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { MachineInfo } from './results.js';
import { REPO_ROOT } from './where.js';

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO_ROOT });
  return r.status === 0 ? ((r.stdout || r.stderr).split('\n')[0] ?? '').trim() : `${cmd} not available`;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model ?? 'unknown CPU',
    cores: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    tinc: firstLine('/usr/sbin/tincd', ['--version']),
    iperf3: firstLine('iperf3', ['--version']),
    commit: firstLine('git', ['rev-parse', '--short', 'HEAD']),
    load1Start: loadavg()[0],
    load1End: NaN,
  };
}

/** The current 1-minute load average (run.ts records it when the run ends). */
export function load1(): number {
  return loadavg()[0];
}
