// The package version, read once from package.json next to dist/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function findPackageJson(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tsnet' && pkg.version) return pkg.version;
    } catch {
      /* keep looking upwards */
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const VERSION = findPackageJson();
