// A minimal reader of dockerd's Engine API over its unix socket, for the one thing Docker's plugin
// protocol never tells a network driver: which container an endpoint belongs to (its name and
// network aliases). `GET /containers/json?all=1` lists each container's networks with their
// EndpointID; `GET /containers/{id}/json` gives the aliases and the host path of its /etc/hosts. Which socket: the one given
// (--docker-socket), else the socket beside the exec root holding the Join's SandboxKey
// (/var/run/docker/netns/X -> /var/run/docker.sock; a private dockerd with --exec-root ROOT/exec and
// -H unix://ROOT/docker.sock the same way), else /var/run/docker.sock. Also creates and removes the
// Docker networks the plugin mirrors from global tsnet networks. Used by endpoint-names.ts and
// network-mirror.ts.
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { notFound, unavailable } from '../errors.js';

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

function callJson<T>(socketPath: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : undefined;
    const req = request({ socketPath, path, method, headers, timeout: DOCKERD_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) {
          let why = '';
          try {
            why = String((JSON.parse(text) as { message?: unknown }).message ?? '');
          } catch {
            /* not JSON */
          }
          const sentence = `dockerd at ${socketPath} answered ${res.statusCode} to ${method} ${path}${why ? `: ${why}` : ''}.`;
          return reject(res.statusCode === 404 ? notFound('EDOCKERD_NOT_FOUND', sentence) : unavailable('EDOCKERD_API', sentence));
        }
        if (text === '') return resolve(undefined as T);
        try {
          resolve(JSON.parse(text) as T);
        } catch {
          reject(unavailable('EDOCKERD_API', `dockerd at ${socketPath} sent a response that is not JSON.`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(unavailable('EDOCKERD_API', `cannot reach dockerd at ${socketPath} (${err.message}); pass the plugin --docker-socket.`)));
    req.end(payload);
  });
}
const getJson = <T>(socketPath: string, path: string) => callJson<T>(socketPath, 'GET', path);

/** A Docker network on tsnet's driver, as this host's plugin creates it for a global tsnet network. */
export interface MirrorNetworkSpec {
  name: string;
  /** the plugin's driver name (the plugin socket's file name) */
  driver: string;
  subnet: string;
  internal: boolean;
  labels: Record<string, string>;
}

/** POST /networks/create: the Docker network `spec.name` mapped onto the tsnet network of that name,
 *  addresses from tsnet's IPAM (the same request as `docker network create -d tsnet --ipam-driver tsnet
 *  --ipam-opt tsnet.network=N --subnet S -o tsnet.network=N N`). Returns Docker's network id. */
export async function createMirrorNetwork(socketPath: string, spec: MirrorNetworkSpec): Promise<string> {
  const mapTo = { 'tsnet.network': spec.name };
  const answer = await callJson<{ Id?: string }>(socketPath, 'POST', '/networks/create', {
    Name: spec.name,
    CheckDuplicate: true,
    Driver: spec.driver,
    Internal: spec.internal,
    IPAM: { Driver: spec.driver, Config: [{ Subnet: spec.subnet }], Options: mapTo },
    Options: mapTo,
    Labels: spec.labels,
  });
  return answer?.Id ?? '';
}

/** The labels and container count of Docker network `id`, or undefined when dockerd has no such network. */
export async function networkLabels(socketPath: string, id: string): Promise<{ labels: Record<string, string>; containers: number } | undefined> {
  try {
    const n = await getJson<{ Labels?: Record<string, string> | null; Containers?: Record<string, unknown> | null }>(socketPath, `/networks/${encodeURIComponent(id)}`);
    return { labels: n.Labels ?? {}, containers: Object.keys(n.Containers ?? {}).length };
  } catch (err) {
    if ((err as { code?: string }).code === 'EDOCKERD_NOT_FOUND') return undefined;
    throw err;
  }
}

export function removeNetwork(socketPath: string, id: string): Promise<void> {
  return callJson<void>(socketPath, 'DELETE', `/networks/${encodeURIComponent(id)}`);
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
