// Who else held a CPU while a path was measured: the scheduler's sched_switch events, recorded in
// a tracefs instance of our own during the ping56 run, keep only switches that involve a task that
// is not part of the bench (the filter drops every switch between the bench's own tasks, so the
// buffer holds little). Each such task's time on a CPU is one run; runs of at least
// LONG_RUN_US are listed by name, and a run that began by preempting one of the bench's runnable
// tasks is counted as displacing it. On a VM a few such runs per second (the guest agent, a
// kernel thread that cannot be preempted under PREEMPT_NONE) put a floor under the tail
// percentiles of every userspace path (bench/README.md "Who else runs on this machine").
// A kernel with tracefs that has it unmounted gets it mounted for the run (and unmounted after);
// without tracefs (not root, not in the kernel) the measurement is skipped, never faked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './proc.js';

const TRACEFS = '/sys/kernel/tracing';

// Our choice: a run this long delays a ping that needs its CPU past the issue's p99.9 goal (300 us).
export const LONG_RUN_US = 300;
// Our choice: ring buffer per CPU for the filtered events (a few thousand a second on this VM).
const BUFFER_KB = 4096;

/** Command names of the bench's own tasks: the switches and helpers (node), ping and its bash
 *  wrapper, `ip netns exec`, `taskset` (--pin-hosts) until it execs the tool, tinc, iperf3,
 *  cyclictest, and the idle task. */
const BENCH_COMMS = ['node', 'ping', 'bash', 'ip', 'taskset', 'tincd', 'iperf3', 'cyclictest'];

export interface ForeignTask {
  comm: string;
  runs: number;
  longestUs: number;
  totalMs: number;
}

export interface Interruptions {
  seconds: number;
  /** runs of other tasks of at least LONG_RUN_US, and how many of them began by preempting a bench task */
  longRuns: number;
  displacing: number;
  longestUs: number;
  /** CPU time those runs took, ms per second of the measurement (over all CPUs) */
  msPerSecond: number;
  /** the tasks behind the long runs, most time first */
  tasks: ForeignTask[];
}

export interface InterruptionTrace {
  stop(): Interruptions | null;
}

function isBench(comm: string): boolean {
  return BENCH_COMMS.includes(comm) || comm.startsWith('swapper/');
}

/** The tracefs filter: a switch where the previous or the next task is not one of the bench's. */
function foreignFilter(): string {
  const ours = (field: string) => `!(${[...BENCH_COMMS.map((c) => `${field} == "${c}"`), `${field} ~ "swapper*"`].join(' || ')})`;
  return `${ours('prev_comm')} || ${ours('next_comm')}`;
}

const SWITCH_LINE = /\[(\d+)\]\s+\S+\s+([\d.]+): sched_switch: prev_comm=(.*?) prev_pid=(\d+) prev_prio=-?\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+) next_prio=-?\d+/;

/** Long runs of other tasks out of a sched_switch trace (exported for the unit test). */
export function parseInterruptions(trace: string, seconds: number): Interruptions {
  const open = new Map<string, { comm: string; pid: string; at: number; displacing: boolean }>();
  const tasks = new Map<string, ForeignTask>();
  let longRuns = 0;
  let displacing = 0;
  let longestUs = 0;
  let totalMs = 0;
  for (const line of trace.split('\n')) {
    const m = SWITCH_LINE.exec(line);
    if (!m) continue;
    const [, cpu, time, prevComm, prevPid, prevState, nextComm, nextPid] = m;
    const at = Number(time);
    const run = open.get(cpu!);
    if (run && run.pid === prevPid) {
      open.delete(cpu!);
      const us = (at - run.at) * 1e6;
      if (us >= LONG_RUN_US) {
        longRuns++;
        if (run.displacing) displacing++;
        longestUs = Math.max(longestUs, us);
        totalMs += us / 1000;
        const t = tasks.get(run.comm) ?? { comm: run.comm, runs: 0, longestUs: 0, totalMs: 0 };
        t.runs++;
        t.longestUs = Math.max(t.longestUs, Math.round(us));
        t.totalMs += us / 1000;
        tasks.set(run.comm, t);
      }
    }
    if (!isBench(nextComm!)) {
      open.set(cpu!, { comm: nextComm!, pid: nextPid!, at, displacing: isBench(prevComm!) && !prevComm!.startsWith('swapper/') && prevState!.startsWith('R') });
    }
  }
  const sorted = [...tasks.values()].sort((a, b) => b.totalMs - a.totalMs).map((t) => ({ ...t, totalMs: Math.round(t.totalMs * 100) / 100 }));
  return { seconds, longRuns, displacing, longestUs: Math.round(longestUs), msPerSecond: seconds > 0 ? Math.round((totalMs / seconds) * 100) / 100 : 0, tasks: sorted };
}

let mountTried = false;

/** Mounts tracefs at its usual place once when the kernel has it but nothing mounted it (some VMs
 *  boot without it); unmounted by the bench's cleanup. */
function mountTracefsOnce(): void {
  if (mountTried || existsSync(join(TRACEFS, 'instances'))) return;
  mountTried = true;
  if (!/\btracefs\b/.test(readFileSync('/proc/filesystems', 'utf8'))) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'ignore' });
  } catch {
    return;
  }
  onCleanup(() => {
    try {
      execFileSync('umount', [TRACEFS], { stdio: 'ignore' });
    } catch {
      /* busy or already gone: left mounted, which is harmless */
    }
  });
}

/** Starts recording; null when tracefs cannot be used here. */
export function startInterruptionTrace(): InterruptionTrace | null {
  mountTracefsOnce();
  if (!existsSync(join(TRACEFS, 'instances'))) return null;
  const dir = join(TRACEFS, 'instances', `tsnet-bench-${process.pid}`);
  const remove = () => {
    try {
      writeFileSync(join(dir, 'tracing_on'), '0');
      writeFileSync(join(dir, 'events', 'sched', 'sched_switch', 'enable'), '0');
      rmdirSync(dir);
    } catch {
      /* already gone */
    }
  };
  try {
    mkdirSync(dir);
  } catch {
    return null;
  }
  onCleanup(remove);
  try {
    writeFileSync(join(dir, 'trace_clock'), 'mono');
    writeFileSync(join(dir, 'buffer_size_kb'), String(BUFFER_KB));
    writeFileSync(join(dir, 'events', 'sched', 'sched_switch', 'filter'), foreignFilter());
    writeFileSync(join(dir, 'events', 'sched', 'sched_switch', 'enable'), '1');
    writeFileSync(join(dir, 'tracing_on'), '1');
  } catch {
    remove();
    return null;
  }
  const started = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      try {
        writeFileSync(join(dir, 'tracing_on'), '0');
        return parseInterruptions(readFileSync(join(dir, 'trace'), 'utf8'), seconds);
      } catch {
        return null;
      } finally {
        remove();
      }
    },
  };
}
