#!/usr/bin/env node
// Runs the test suites with uvu from the compiled tree: unit tests always, integration tests
// (real namespaces, TAP devices, kernel peers, dockerd) whenever we run as root. Prints how many
// test files and tests ran per layer and exits non-zero if any failed.
// Usage: node scripts/run-tests.mjs [unit|integration] [filename-pattern]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
const pattern = process.argv[3] ?? '';
const isRoot = process.getuid?.() === 0;
const layers = [];
if (!only || only === 'unit') layers.push('unit');
if (!only || only === 'integration') {
  if (isRoot) layers.push('integration');
  else console.log('# integration tests need root; run `sudo npm test` to include them');
}

const uvu = join(root, 'node_modules', 'uvu', 'bin.js');
let failed = false;
const summary = [];
for (const layer of layers) {
  const dir = join('dist', 'test', layer);
  if (!existsSync(join(root, dir))) continue;
  const filter = pattern ? `${pattern}.*\\.test\\.js$` : '\\.test\\.js$';
  console.log(`\n# ${layer} tests`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [uvu, dir, filter], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout ?? '');
  const total = /Total:\s+(\d+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  const passed = /Passed:\s+(\d+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  summary.push(`${layer}: ${passed}/${total} tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed = true;
}
console.log('\n# ' + summary.join('; '));
process.exit(failed ? 1 : 0);
