// The e2e bench's reading of a filtered sched_switch trace (bench/e2e/measure-interruptions.ts):
// a run of a task that is not the bench's lasts from its switch-in to its switch-out on that CPU;
// runs of at least 300 us are counted, per task, and as preempting when they began by switching
// out a runnable bench task (not the idle task, not one that went to sleep).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LONG_RUN_US, parseInterruptions } from '../../bench/e2e/measure-interruptions.js';

/** One trace line in tracefs's text format (kernel 6.x). */
function sw(cpu: number, t: number, prev: string, prevPid: number, state: string, next: string, nextPid: number): string {
  return `      ${prev}-${prevPid}   [00${cpu}] d..2. ${t.toFixed(6)}: sched_switch: prev_comm=${prev} prev_pid=${prevPid} prev_prio=120 prev_state=${state} ==> next_comm=${next} next_pid=${nextPid} next_prio=120`;
}

const TRACE = [
  '# tracer: nop',
  '#',
  // CPU 1: kdamond preempts a switch for 1.6 ms
  sw(1, 100.0000, 'node', 8113, 'R+', 'kdamond.0', 83),
  // CPU 0, meanwhile: an agent thread runs 2 ms on an idle CPU (not preempting), then a short kworker
  sw(0, 100.0002, 'swapper/0', 0, 'R', 'tokio-rt-worker', 80),
  sw(1, 100.0016, 'kdamond.0', 83, 'I', 'node', 8113),
  sw(0, 100.0022, 'tokio-rt-worker', 80, 'S', 'kworker/0:2', 91),
  sw(0, 100.00225, 'kworker/0:2', 91, 'I', 'ping', 500),
  // CPU 1: the agent preempts ping for 400 us, and a task that ran before the trace began ends
  sw(1, 100.0100, 'ping', 500, 'R', 'tokio-rt-worker', 80),
  sw(1, 100.0104, 'tokio-rt-worker', 80, 'S', 'node', 8113),
  sw(0, 100.0200, 'rcu_preempt', 15, 'I', 'node', 8112),
  // a switch out of a task that went to sleep into another task is not preemption
  sw(0, 100.0300, 'node', 8112, 'S', 'kdamond.0', 83),
  sw(0, 100.0310, 'kdamond.0', 83, 'I', 'swapper/0', 0),
  // a run still open when the trace ends is not counted
  sw(1, 100.0400, 'node', 8113, 'R', 'kdamond.0', 83),
  '',
].join('\n');

test('long runs of other tasks: counted per task, preempting only when a runnable bench task was switched out', () => {
  const r = parseInterruptions(TRACE, 2);
  assert.is(LONG_RUN_US, 300);
  assert.is(r.longRuns, 4, 'kdamond 1.6 ms and 1 ms, tokio 2 ms and 400 us; the kworker (50 us) is short');
  assert.is(r.displacing, 2, 'kdamond preempting a switch, tokio preempting ping');
  assert.is(r.longestUs, 2000);
  assert.is(r.msPerSecond, 2.5, '(1.6 + 2 + 0.4 + 1) ms over 2 s');
  assert.equal(r.tasks.map((t) => [t.comm, t.runs, t.longestUs]), [['kdamond.0', 2, 1600], ['tokio-rt-worker', 2, 2000]]);
});

test('nothing but the bench: no long runs', () => {
  const r = parseInterruptions([sw(0, 1, 'node', 1, 'R', 'ping', 2), sw(0, 1.01, 'ping', 2, 'R', 'node', 1)].join('\n'), 1);
  assert.equal([r.longRuns, r.displacing, r.longestUs, r.msPerSecond, r.tasks.length], [0, 0, 0, 0, 0]);
});

test.run();
