// A minimal reader of dockerd's Engine API over its unix socket, for the one thing Docker's plugin
// protocol never tells a network driver: which container an endpoint belongs to (its name and
// network aliases). `GET /containers/json?all=1` lists each container's networks with their
// EndpointID; `GET /containers/{id}/json` gives the aliases and the host path of its /etc/hosts. Which socket: the one given
// (--docker-socket), else the socket beside the exec root holding the Join's SandboxKey
// (/var/run/docker/netns/X -> /var/run/docker.sock; a private dockerd with --exec-root ROOT/exec and
// -H unix://ROOT/docker.sock the same way), else /var/run/docker.sock. Used by endpoint-names.ts.
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unavailable } from '../errors.js';

// --- from the spec (Docker Engine API; dockerd's default socket) ---
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const DOCKER_SOCKET_NAME = 'docker.sock';

// --- our choice ---
const DOCKERD_TIMEOUT_MS = 5_000;

export interface ContainerOfEndpoint {
  id: string;
  name: string;
  aliases: string[];
  /** the container's /etc/hosts as dockerd keeps it on the host (bind-mounted into the container) */
  hostsPath?: string;
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
  NetworkSettings?: { Networks?: Record<string, { EndpointID?: string }> };
}

interface ContainerInspect {
  Name?: string;
  HostsPath?: string;
  NetworkSettings?: { Networks?: Record<string, { EndpointID?: string; Aliases?: string[] | null }> };
}

/** dockerd's API socket for an endpoint joined at `sandboxKey` (see the header). */
export function dockerSocketFor(sandboxKey: string | undefined, given?: string): string {
  if (given) return given;
  if (sandboxKey) {
    // SandboxKey = <exec-root>/netns/<id>; dockerd's default socket sits beside its default exec root
    const beside = join(dirname(dirname(dirname(sandboxKey))), DOCKER_SOCKET_NAME);
    if (existsSync(beside)) return beside;
  }
  return DEFAULT_DOCKER_SOCKET;
}

function getJson<T>(socketPath: string, path: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: DOCKERD_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) return reject(unavailable('EDOCKERD_API', `dockerd at ${socketPath} answered ${res.statusCode} to GET ${path}.`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch {
          reject(unavailable('EDOCKERD_API', `dockerd at ${socketPath} sent a response that is not JSON.`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(unavailable('EDOCKERD_API', `cannot ask dockerd at ${socketPath} for container names (${err.message}); pass the plugin --docker-socket.`)));
    req.end();
  });
}

/** The container that owns endpoint `endpointId`, or undefined while dockerd does not show it yet. */
export async function containerOfEndpoint(socketPath: string, endpointId: string): Promise<ContainerOfEndpoint | undefined> {
  const list = await getJson<ContainerSummary[]>(socketPath, '/containers/json?all=1');
  const c = list.find((x) => Object.values(x.NetworkSettings?.Networks ?? {}).some((n) => n.EndpointID === endpointId));
  if (!c) return undefined;
  const full = await getJson<ContainerInspect>(socketPath, `/containers/${encodeURIComponent(c.Id)}/json`);
  const net = Object.values(full.NetworkSettings?.Networks ?? {}).find((n) => n.EndpointID === endpointId);
  const name = (full.Name ?? c.Names?.[0] ?? '').replace(/^\//, '');
  if (!name) return undefined;
  return { id: c.Id, name, aliases: (net?.Aliases ?? []).filter((a) => a !== name), ...(full.HostsPath ? { hostsPath: full.HostsPath } : {}) };
}
