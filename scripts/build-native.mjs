#!/usr/bin/env node
// Builds the native TAP addon (native/*.c -> build/Release/tsnet_native.node). Run by npm as the
// package's `install` script during `npm ci`/`npm install`, or by hand: `node scripts/build-native.mjs`.
// Uses the node-gyp bundled with npm and the headers installed with this Node (<prefix>/include/node),
// because node-gyp cannot download headers on these machines.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = dirname(dirname(process.execPath));
const NODE_GYP_IN_NPM = join('node_modules', 'node-gyp', 'bin', 'node-gyp.js');

if (process.platform !== 'linux') {
  console.error('tsnet: the native TAP addon is Linux-only; skipping its build.');
  process.exit(0);
}
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`tsnet: Node headers not found in ${join(nodedir, 'include', 'node')}; install the nodejs headers package.`);
  process.exit(1);
}

/** The node-gyp command as [executable, ...leading args]. */
function findNodeGyp() {
  // npm lifecycle scripts: npm exports its bundled node-gyp here and puts a `node-gyp` shim on PATH.
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return [process.execPath, fromEnv];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'node-gyp'))) return [join(dir, 'node-gyp')];
  }
  // By hand: the node-gyp inside the npm that runs us, or the npm installed next to this node.
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(dirname(process.env.npm_execpath)), NODE_GYP_IN_NPM));
  candidates.push(join(nodedir, 'lib', 'node_modules', 'npm', NODE_GYP_IN_NPM));
  const npmPrefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' });
  if (npmPrefix.status === 0) candidates.push(join(npmPrefix.stdout.trim(), 'lib', 'node_modules', 'npm', NODE_GYP_IN_NPM));
  for (const c of candidates) if (existsSync(c)) return [process.execPath, c];
  return null;
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('tsnet: node-gyp not found (looked in npm_config_node_gyp, PATH and the npm next to node); install npm.');
  process.exit(1);
}
const [cmd, ...lead] = gyp;
const args = [...lead, 'rebuild', `--nodedir=${nodedir}`, '--release', '--jobs=max'];
console.log(`tsnet: ${[cmd, ...args].join(' ')}`);
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('tsnet: building the native TAP addon failed (see the compiler output above).');
  process.exit(r.status ?? 1);
}
console.log(`tsnet: built ${join(root, 'build', 'Release', 'tsnet_native.node')}`);
