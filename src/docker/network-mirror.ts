// One `docker network create` for every host, as on Docker 1.9's swarm: a global tsnet network made
// through Docker (or `tsnet network create ... -o docker=true`) appears in every host's dockerd under
// the tsnet network's name, so `docker run --net NAME` works on any host of the cluster. Every few
// seconds the plugin asks its daemon what its dockerd lacks (GET /v1/docker/mirror) and creates those
// networks through dockerd's API with the same request a user would type (tsnet driver and IPAM,
// mapped onto the tsnet network), labelled MIRROR_LABEL; when a global network is removed on the host
// that made it, the labelled Docker networks mapped onto it go too (once they have no containers).
// Docker networks the user made are never removed. Built by plugin-server.ts.
import type { ApiClient } from '../api/client.js';
import { DOCKER_API } from '../control/docker-protocol.js';
import { asTsnetError } from '../errors.js';
import { createMirrorNetwork, networkLabels, removeNetwork } from './dockerd-api.js';

// --- our choice ---
/** How often the plugin compares: a new global network reaches the daemon within its sync tick. */
export const MIRROR_SYNC_MS = 2_000;
/** The label on Docker networks the plugin made, so it removes only those. */
export const MIRROR_LABEL = 'tsnet.mirror';

interface MirrorAnswer {
  Create?: Array<{ Network: string; Subnet: string; Internal: boolean }>;
  Stale?: string[];
}

export interface NetworkMirror {
  /** One comparison now (also what the timer runs). */
  sync(): Promise<void>;
  stop(): void;
}

export function startNetworkMirror(opts: { api: ApiClient; dockerSocket: string; driver: string; log: (msg: string) => void; intervalMs?: number }): NetworkMirror {
  const reported = new Map<string, string>(); // what -> last message logged for it (one line per trouble)
  const report = (what: string, err: unknown) => {
    const msg = asTsnetError(err).message;
    if (reported.get(what) !== msg) opts.log(`${what}: ${msg}`);
    reported.set(what, msg);
  };
  const pass = async (): Promise<void> => {
    let answer: MirrorAnswer;
    try {
      answer = (await opts.api.get(DOCKER_API.mirror)) as MirrorAnswer;
    } catch (err) {
      return report('mirroring global networks into Docker', err);
    }
    for (const n of answer.Create ?? []) {
      const what = `Docker network ${n.Network} for the global tsnet network`;
      try {
        const id = await createMirrorNetwork(opts.dockerSocket, { name: n.Network, driver: opts.driver, subnet: n.Subnet, internal: n.Internal, labels: { [MIRROR_LABEL]: 'true' } });
        reported.delete(what);
        opts.log(`docker network ${n.Network} created on this host for the global tsnet network ${n.Network} (${id.slice(0, 12)})`);
      } catch (err) {
        report(what, err);
      }
    }
    for (const id of answer.Stale ?? []) {
      const what = `Docker network ${id.slice(0, 12)}, whose tsnet network was removed`;
      try {
        const n = await networkLabels(opts.dockerSocket, id);
        if (!n || n.labels[MIRROR_LABEL] !== 'true' || n.containers > 0) continue;
        await removeNetwork(opts.dockerSocket, id);
        reported.delete(what);
        opts.log(`docker network ${id.slice(0, 12)} removed: its global tsnet network was removed`);
      } catch (err) {
        report(what, err);
      }
    }
  };
  let running: Promise<void> | undefined;
  const sync = (): Promise<void> => (running ??= pass().finally(() => (running = undefined)));
  const timer = setInterval(() => void sync(), opts.intervalMs ?? MIRROR_SYNC_MS);
  timer.unref();
  void sync();
  return {
    sync,
    stop: () => clearInterval(timer),
  };
}
