// Learns the container name of each endpoint Docker joins, in the background: Docker's Join carries
// no name, and dockerd shows the endpoint on its container only once the start has gone further, so
// after a successful Join this polls dockerd's API (dockerd-api.ts) until the endpoint appears, then
// reports the name and aliases to the tsnet daemon (POST /v1/docker/endpoints/:id/name), which
// publishes them with the endpoint on global networks (cross-host names), and hands the container's
// hosts file to the keeper (hosts-file.ts). Never delays or fails the Join itself. Built by
// plugin-server.ts.
import type { ApiClient } from '../api/client.js';
import { DOCKER_API } from '../control/docker-protocol.js';
import { containerOfEndpoint, dockerSocketFor } from './dockerd-api.js';
import type { HostsFileKeeper } from './hosts-file.js';

// --- our choice ---
/** How long to look for the endpoint's container (a `docker run` that takes longer is unusual). */
const LEARN_TIMEOUT_MS = 60_000;
const LEARN_RETRY_MS = 250;

export interface EndpointNamer {
  /** Starts learning the name of a joined endpoint (returns at once). */
  joined(endpointId: string, sandboxKey: string): void;
  /** Stops every pending lookup. */
  stop(): void;
}

export function createEndpointNamer(opts: { api: ApiClient; dockerSocket?: string; hosts?: HostsFileKeeper; log: (msg: string) => void }): EndpointNamer {
  const pending = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const learn = async (endpointId: string, sandboxKey: string, deadline: number): Promise<void> => {
    pending.delete(endpointId);
    if (stopped) return;
    const socket = dockerSocketFor(sandboxKey, opts.dockerSocket);
    let lastError = '';
    try {
      const c = await containerOfEndpoint(socket, endpointId);
      if (c) {
        if (c.hostsPath) opts.hosts?.keep(endpointId, c.hostsPath);
        await opts.api.post(DOCKER_API.name(endpointId), { Name: c.name, Aliases: c.aliases });
        return;
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      opts.log(`endpoint ${endpointId.slice(0, 12)}: its container name was not found through dockerd at ${socket}${lastError ? ` (${lastError})` : ''}; it is reachable by IP only on other hosts`);
      return;
    }
    pending.set(endpointId, setTimeout(() => void learn(endpointId, sandboxKey, deadline), LEARN_RETRY_MS));
  };
  return {
    joined(endpointId, sandboxKey) {
      clearTimeout(pending.get(endpointId));
      void learn(endpointId, sandboxKey, Date.now() + LEARN_TIMEOUT_MS);
    },
    stop() {
      stopped = true;
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
    },
  };
}
