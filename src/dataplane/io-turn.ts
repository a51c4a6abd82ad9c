// The current I/O turn: a burst delivered by the native addon (the TAP reader's and the VTEP
// receiver's onBatch) runs between enterIoTurn() and leaveIoTurn(), and work deferred with
// atIoTurnEnd() runs when the outermost turn ends. The VTEP's send queue uses it for its safety-net
// flush instead of queueMicrotask, which in Node makes an AsyncResource and a bound function per
// call (with the async-context bookkeeping around running it, about a fifth of a switch's garbage
// while pinging: a sampling heap profile of `tsnet switch`, 2026-12-06). Outside a turn (a test or
// the control plane calling in directly) the caller falls back to a microtask.

let depth = 0;
const pending: Array<(() => void) | null> = [];
let pendingCount = 0;
/** True while the end of a turn runs its deferred work. A deferred function may start a turn of its
 *  own (the TAP port's read-back delivers frames from inside it): what that turn defers is appended
 *  and run by the loop already running, in order, not by a nested one. */
let running = false;

export function enterIoTurn(): void {
  depth++;
}

/** Ends a turn; the outermost one runs what was deferred to it, in order. */
export function leaveIoTurn(): void {
  if (--depth > 0 || pendingCount === 0 || running) return;
  running = true;
  let i = 0;
  try {
    for (; i < pendingCount; i++) {
      const fn = pending[i]!;
      pending[i] = null;
      fn();
    }
  } finally {
    for (; i < pendingCount; i++) pending[i] = null; // after a throw: the rest is dropped, not kept
    pendingCount = 0;
    running = false;
  }
}

/** Runs `fn` when the current turn ends; false outside a turn (the caller defers another way). */
export function atIoTurnEnd(fn: () => void): boolean {
  if (depth === 0) return false;
  pending[pendingCount++] = fn;
  return true;
}
