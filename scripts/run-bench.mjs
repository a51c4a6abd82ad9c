#!/usr/bin/env node
// `npm run bench`: runs every microbenchmark in dist/bench (no root needed) one after another, with
// --expose-gc so the allocation counts are meaningful. Results go to bench/results/*.json.
// Usage: node scripts/run-bench.mjs [name...]   (e.g. codecs switch vxlan)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const MICRO = ['codecs', 'switch', 'switch-alloc', 'vxlan', 'segmenter', 'coalescer'];
const names = process.argv.slice(2).length ? process.argv.slice(2) : MICRO;
let failed = false;
for (const name of names) {
  const file = `dist/bench/${name}.js`;
  if (!existsSync(file)) {
    console.log(`# ${name}: ${file} not built, skipped`);
    continue;
  }
  console.log(`\n# bench ${name}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
