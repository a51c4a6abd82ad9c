// The daemon's persisted state: one JSON file, DIR/state.json, replaced atomically on every save
// (write a temp file in the same directory, fsync it, rename it over state.json, fsync the directory),
// so a crash leaves either the old or the new state, never a mix. The state it replaces is kept as
// state.json.bak. Saves are serialised and coalesced: while one is being written, later saves wait and
// only the newest of them is written next. A state.json that does not parse (a user edited it) is an
// error naming the file, never silent loss. Used by the daemon (networks, endpoints, IPAM pools) and by
// netns.ts (`writeFileAtomic` for /etc/netns/NAME files).
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TsnetError, internal } from '../errors.js';

// --- our choice ---
const STATE_FILE = 'state.json';
const BACKUP_SUFFIX = '.bak';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** Temp files are ".<target>.<pid>.<n>.tmp" next to the target; load() removes leftovers. */
const TEMP_RE = /^\..+\.\d+\.\d+\.tmp$/;

let tempCounter = 0;

export interface StateStore<T> {
  /** Absolute path of state.json. */
  readonly file: string;
  /** The saved state, or undefined when there is none yet. Throws ESTATE_CORRUPT if it does not parse. */
  load(): Promise<T | undefined>;
  /** Writes `state` atomically; resolves once it (or a newer state) is on disk. */
  save(state: T): Promise<void>;
}

export interface StateStoreOptions<T> {
  /** Checks the parsed JSON and returns the typed state; throw to report a bad shape. */
  validate?: (json: unknown) => T;
}

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Maps a write failure to a TsnetError that names the directory. */
function writeError(dir: string, err: unknown): TsnetError {
  if (isDiskFull(err)) return new TsnetError('ESTATE_DISK_FULL', 'unavailable', `cannot save state to ${dir}: no space left on device.`, { cause: err });
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
    return new TsnetError('ESTATE_WRITE', 'forbidden', `cannot save state to ${dir}: ${e.code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}.`, { cause: err });
  }
  return internal('ESTATE_WRITE', `cannot save state to ${dir}: ${e.message ?? String(err)}.`, err);
}

/**
 * Replaces `path` with `data` atomically: temp file in the same directory, fsync, rename, fsync of the
 * directory. On failure the temp file is removed and `path` is untouched; the raw fs error is thrown.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = FILE_MODE): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const dh = await fsp.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return fsp.access(path).then(
    () => true,
    () => false,
  );
}

export function createStateStore<T>(dir: string, options: StateStoreOptions<T> = {}): StateStore<T> {
  const file = join(dir, STATE_FILE);
  const backup = file + BACKUP_SUFFIX;
  /** True once state.json is known good (loaded or written by us): only then may it become the backup. */
  let fileIsGood = false;
  let dirReady = false;
  let writing = false;
  let next: { text: string; waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> } | undefined;

  async function ensureDir(): Promise<void> {
    if (dirReady) return;
    try {
      const made = await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
      if (made !== undefined) await fsp.chmod(dir, DIR_MODE);
    } catch (err) {
      throw writeError(dir, err);
    }
    dirReady = true;
  }

  async function removeLeftovers(): Promise<void> {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => TEMP_RE.test(n)).map((n) => fsp.rm(join(dir, n), { force: true }).catch(() => undefined)));
  }

  async function load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        fileIsGood = false;
        return undefined;
      }
      throw internal('ESTATE_READ', `cannot read the state file ${file}: ${(err as Error).message}.`, err);
    }
    await removeLeftovers();
    let state: T;
    try {
      const json: unknown = JSON.parse(text);
      state = options.validate ? options.validate(json) : (json as T);
    } catch (err) {
      fileIsGood = false;
      const why = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
      const hint = (await exists(backup))
        ? `fix it, or replace it with ${backup} (the state saved before it), then start the daemon again`
        : 'fix it, or move it away to start with no networks';
      throw new TsnetError('ESTATE_CORRUPT', 'internal', `the state file ${file} is corrupt (${why}): ${hint}.`, { cause: err });
    }
    fileIsGood = true;
    return state;
  }

  async function write(text: string): Promise<void> {
    await ensureDir();
    try {
      if (fileIsGood) {
        // Keep the state being replaced as state.json.bak: hard link under a temp name, rename over .bak.
        const tmpLink = join(dir, `.${STATE_FILE}${BACKUP_SUFFIX}.${process.pid}.${++tempCounter}.tmp`);
        try {
          await fsp.link(file, tmpLink);
          await fsp.rename(tmpLink, backup);
        } catch (err) {
          await fsp.rm(tmpLink, { force: true }).catch(() => undefined);
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      await writeFileAtomic(file, text);
      fileIsGood = true;
    } catch (err) {
      throw writeError(dir, err);
    }
  }

  async function pump(): Promise<void> {
    writing = true;
    while (next) {
      const job = next;
      next = undefined;
      try {
        await write(job.text);
        for (const w of job.waiters) w.resolve();
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    writing = false;
  }

  function save(state: T): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(state, null, 2) + '\n';
    } catch (err) {
      return Promise.reject(internal('ESTATE_SERIALISE', `cannot save state to ${dir}: the state is not JSON-serialisable (${(err as Error).message}).`, err));
    }
    return new Promise<void>((resolve, reject) => {
      if (next) {
        next.text = text;
        next.waiters.push({ resolve, reject });
      } else {
        next = { text, waiters: [{ resolve, reject }] };
      }
      if (!writing) void pump();
    });
  }

  return { file, load, save };
}
