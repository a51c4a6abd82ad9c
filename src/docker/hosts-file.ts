// Keeps tsnet's names in the /etc/hosts of Docker containers, as Docker 1.9 did for overlay networks:
// a container on a tsnet network finds the containers of other hosts by name with no --dns. Docker's
// embedded DNS (127.0.0.11) only knows this host's containers and forwards other names to the host's
// resolvers, and the plugin protocol has no way to give a container a name server; the hosts file
// (dockerd keeps it on the host and bind-mounts it, `HostsPath`) is read before DNS by every resolver.
// Each second, for every joined container, it asks the daemon what the container's name server
// would answer (GET /v1/docker/endpoints/:id/hosts) and rewrites the file in place when that
// changed: Docker's own lines stay as they are, tsnet's lines end with MARKER and are replaced as a
// whole. Leaving the last tsnet network removes them. Built by plugin-server.ts; endpoint-names.ts
// hands it the file once dockerd shows the container.
import { readFile, writeFile } from 'node:fs/promises';
import type { ApiClient } from '../api/client.js';
import { DOCKER_API } from '../control/docker-protocol.js';
import { asTsnetError } from '../errors.js';

// --- our choice ---
/** How often the files follow the cluster: well inside the name server's 5 s TTL. */
export const HOSTS_SYNC_MS = 1_000;
/** Ends every line tsnet writes (a comment to every resolver), so it can find and replace them. */
export const HOSTS_MARKER = '# tsnet';

export interface HostsFileKeeper {
  /** Starts keeping the hosts file of the container that joined `endpointId`. */
  keep(endpointId: string, hostsPath: string): void;
  /** Stops for `endpointId` (Leave, DeleteEndpoint); the file loses tsnet's lines when no endpoint of it is left. */
  forget(endpointId: string): void;
  /** One pass over every file now (also what the timer runs). */
  sync(): Promise<void>;
  stop(): void;
}

interface HostsAnswer {
  Entries?: Array<{ Address: string; Names: string[] }>;
}

/** `text` with tsnet's lines replaced by `lines`. */
export function withTsnetLines(text: string, lines: string[]): string {
  const kept = text.split('\n').filter((l) => !l.trimEnd().endsWith(HOSTS_MARKER));
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  return [...kept, ...lines].join('\n') + '\n';
}

export function createHostsFileKeeper(opts: { api: ApiClient; log: (msg: string) => void; intervalMs?: number }): HostsFileKeeper {
  const fileOf = new Map<string, string>(); // endpoint id -> hosts path
  const failing = new Set<string>(); // paths whose last error was logged (one line per trouble)
  // passes and removals run one at a time, in order: a removal never races a pass writing the file
  let queue: Promise<void> = Promise.resolve();
  let queuedPass: Promise<void> | undefined;
  const serial = (fn: () => Promise<void>): Promise<void> => (queue = queue.then(fn).catch(() => undefined));

  const rewrite = async (path: string, lines: string[]): Promise<void> => {
    const text = await readFile(path, 'utf8');
    const next = withTsnetLines(text, lines);
    // in place: the container sees the same inode through its bind mount
    if (next !== text) await writeFile(path, next);
  };
  const syncFile = async (path: string, endpointId: string): Promise<void> => {
    try {
      const answer = (await opts.api.get(DOCKER_API.hosts(endpointId))) as HostsAnswer;
      await rewrite(path, (answer.Entries ?? []).map((e) => `${e.Address}\t${e.Names.join(' ')}\t${HOSTS_MARKER}`));
      failing.delete(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') {
        // the container is gone with its file
        for (const [id, p] of fileOf) if (p === path) fileOf.delete(id);
        return;
      }
      if (code === 'EDOCKER_ENDPOINT_NOT_FOUND') {
        // deleted while the plugin was not told (a Leave it missed): the next endpoint of the file, if any, takes over
        fileOf.delete(endpointId);
        return;
      }
      if (!failing.has(path)) opts.log(`hosts file ${path}: ${asTsnetError(err).message}`);
      failing.add(path);
    }
  };
  const pass = async (): Promise<void> => {
    const byFile = new Map<string, string>();
    for (const [id, path] of fileOf) if (!byFile.has(path)) byFile.set(path, id);
    for (const [path, id] of byFile) await syncFile(path, id);
  };
  const sync = (): Promise<void> =>
    (queuedPass ??= serial(async () => {
      queuedPass = undefined; // a later keep() queues the next pass
      await pass();
    }));
  const timer = setInterval(() => void sync(), opts.intervalMs ?? HOSTS_SYNC_MS);
  timer.unref();

  return {
    keep(endpointId, hostsPath) {
      fileOf.set(endpointId, hostsPath);
      void sync();
    },
    forget(endpointId) {
      const path = fileOf.get(endpointId);
      if (!path) return;
      fileOf.delete(endpointId);
      if ([...fileOf.values()].includes(path)) return;
      failing.delete(path);
      void serial(() => rewrite(path, []));
    },
    sync,
    stop() {
      clearInterval(timer);
    },
  };
}
