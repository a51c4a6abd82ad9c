// CPU accounting for the packet-rate run of the end-to-end benchmark (bench/e2e/measure-iperf.ts):
// utime+stime of the switching processes from /proc/PID/stat (all threads included) and the machine's
// softirq and busy time from /proc/stat, all in clock ticks converted to microseconds.
import { readFileSync } from 'node:fs';
import { sh } from './proc.js';

let tickUs: number | undefined;

/** Microseconds per clock tick (USER_HZ; 100 Hz gives 10 ms resolution). */
export function clockTickUs(): number {
  if (tickUs === undefined) {
    const hz = Number(sh('getconf', ['CLK_TCK']).trim());
    tickUs = 1e6 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
  }
  return tickUs;
}

/** utime + stime of one process in microseconds, or NaN when it is gone. */
export function processCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime field 14, stime field 15 (proc(5)).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * clockTickUs();
  } catch {
    return NaN;
  }
}

export interface MachineCpu {
  /** softirq time summed over all CPUs. */
  softirqUs: number;
  /** Everything but idle and iowait, summed over all CPUs. */
  busyUs: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
  const v = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = v;
  const t = clockTickUs();
  return { softirqUs: softirq * t, busyUs: (user + nice + system + irq + softirq + (steal ?? 0)) * t };
}
