// Per-namespace /etc files: `ip netns exec NAME cmd` bind-mounts /etc/netns/NAME/resolv.conf and
// /etc/netns/NAME/hosts over /etc/resolv.conf and /etc/hosts, so a process run in a tsnet sandbox sees
// the embedded name server and its peers' names. Files are replaced atomically (state-store.ts
// writeFileAtomic) so a reader never sees half a file. Used by the sandbox code of the controller.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { badRequest, internal } from '../errors.js';
import { writeFileAtomic } from './state-store.js';

// --- from iproute2 (ip/ipnetns.c NETNS_ETC_DIR) ---
export const NETNS_ETC_DIR = '/etc/netns';

// --- our choice ---
const ETC_FILE_MODE = 0o644;
const NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;

export interface NetnsEtcFiles {
  resolvConf: string;
  hosts: string;
}

function dirOf(name: string, base: string): string {
  if (!NAME_RE.test(name)) throw badRequest('ENETNS_INVALID', `invalid namespace name "${name}": use up to 64 letters, digits, '.', '_' or '-'.`);
  return join(base, name);
}

/** Writes /etc/netns/NAME/{resolv.conf,hosts} atomically. `base` is for tests. */
export async function writeNetnsEtc(name: string, files: NetnsEtcFiles, base = NETNS_ETC_DIR): Promise<void> {
  const dir = dirOf(name, base);
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(join(dir, 'resolv.conf'), files.resolvConf, ETC_FILE_MODE);
    await writeFileAtomic(join(dir, 'hosts'), files.hosts, ETC_FILE_MODE);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = e.code === 'ENOSPC' ? 'ESTATE_DISK_FULL' : 'ENETNS_ETC';
    throw internal(code, `cannot write the resolv.conf and hosts of namespace ${name} in ${dir}: ${e.message ?? String(err)}.`, err);
  }
}

/** Removes /etc/netns/NAME and its files; does nothing if it is absent. */
export async function removeNetnsEtc(name: string, base = NETNS_ETC_DIR): Promise<void> {
  const dir = dirOf(name, base);
  try {
    await fsp.rm(dir, { recursive: true, force: true });
  } catch (err) {
    throw internal('ENETNS_ETC', `cannot remove ${dir}: ${(err as Error).message}.`, err);
  }
}
