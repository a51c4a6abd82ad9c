// Heap bytes a piece of code allocates, for the "nothing per frame" tests: heap growth plus whatever
// garbage collections reclaimed meanwhile (v8.GCProfiler), so a scavenge cannot hide allocations.
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Runs a full garbage collection (exposing gc() first if node was started without --expose-gc). */
export function collectGarbage(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
  else {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  }
}

/** Heap bytes allocated while fn runs, including what GCs reclaimed meanwhile. */
export function allocatedBytes(fn: () => void): number {
  const prof = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  prof.start();
  fn();
  const result = prof.stop();
  let reclaimed = 0;
  for (const s of result.statistics) reclaimed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return getHeapStatistics().used_heap_size - before + reclaimed;
}
