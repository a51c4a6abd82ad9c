// Measures heap bytes allocated by a piece of synchronous code, counting what garbage collections
// reclaimed while it ran (v8.GCProfiler), so a scavenge in the middle cannot hide allocations.
// Used by bench/switch.ts; test/unit/dataplane-alloc.test.ts carries the same few lines.
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** global.gc, enabling it through V8 flags when node was started without --expose-gc. */
export function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface AllocResult {
  /** Heap bytes allocated per call unit (total / units). */
  bytesPerUnit: number;
  /** Garbage collections that ran during the measurement. */
  gcs: number;
}

/** Runs fn once to warm up, collects garbage, then measures a second run of `units` units. */
export function allocatedPerUnit(fn: () => void, units: number): AllocResult {
  const gc = getGc();
  fn();
  gc();
  const prof = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  prof.start();
  fn();
  const result = prof.stop();
  const after = getHeapStatistics().used_heap_size;
  let reclaimed = 0;
  for (const s of result.statistics) reclaimed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return { bytesPerUnit: Math.max(0, after - before + reclaimed) / units, gcs: result.statistics.length };
}
