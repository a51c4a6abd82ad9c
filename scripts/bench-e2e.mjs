#!/usr/bin/env node
// Runs the end-to-end benchmark (dist/bench/e2e/run.js) after checking that we are root, that the
// build exists and that the tools it drives are installed; passes every argument through and exits
// with its exit code. Intended as `npm run bench:e2e` (after `npm run build`), e.g.
//   node scripts/bench-e2e.mjs --quick        smoke test, results in bench/results/quick/
//   node scripts/bench-e2e.mjs                full run (3 rounds), results in bench/results/
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runJs = join(root, 'dist', 'bench', 'e2e', 'run.js');

if (process.getuid?.() !== 0) {
  console.error('bench-e2e: the end-to-end benchmark creates network namespaces: run it as root.');
  process.exit(5);
}
if (!existsSync(runJs)) {
  console.error(`bench-e2e: ${runJs} is missing: run \`npm run build\` first.`);
  process.exit(2);
}
const tools = { ip: 'iproute2', ping: 'iputils-ping', iperf3: 'iperf3', tincd: 'tinc', cyclictest: 'rt-tests' };
const optional = new Set(['tincd', 'cyclictest']);
const missing = Object.entries(tools).filter(([t]) => spawnSync('sh', ['-c', `command -v ${t} || test -x /usr/sbin/${t}`], { stdio: 'ignore' }).status !== 0);
if (missing.length) {
  console.error(`bench-e2e: missing ${missing.map(([t]) => t).join(', ')}: apt-get install -y ${missing.map(([, p]) => p).join(' ')}`);
  if (missing.some(([t]) => !optional.has(t))) process.exit(2);
  console.error(`bench-e2e: continuing without ${missing.map(([t]) => (t === 'tincd' ? 'the tinc path' : "the machine's wake-up floor")).join(' and ')}.`);
}
const child = spawn(process.execPath, [runJs, ...process.argv.slice(2)], { stdio: 'inherit' });
// The child gets SIGINT from the terminal itself and cleans up; we only wait for it.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.pid && child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
