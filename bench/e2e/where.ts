// Where the bench finds its own compiled scripts and the repo (used by run.ts, paths/tsnet.ts and the
// measurements that start node helpers inside the container namespaces).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench/e2e -> the repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST = join(REPO_ROOT, 'dist');

/** A compiled file under dist/, e.g. distFile('bench', 'prober.js'). */
export function distFile(...parts: string[]): string {
  return join(DIST, ...parts);
}
