// The daemon API's routes: each maps one HTTP verb+path to one controller call.
import type { NetworkController } from '../control/controller.js';
import { badRequest } from '../errors.js';
import type { ConnectRequest, DisconnectRequest, InfoResponse, NetworkCreateRequest, RunRequest } from './types.js';
import { Router } from './router.js';
import { addObserveRoutes } from './observe-routes.js';
import { addDockerRoutes } from './docker-routes.js';
import { logsRoute } from './logs-route.js';
import { eventsRoute } from './events-route.js';
import { DEFAULT_STOP_TIMEOUT_S } from '../control/sandbox-lifecycle.js';

function asObject<T>(body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('EBAD_BODY', 'request body must be a JSON object.');
  return body as T;
}

/** `stop`'s grace time in seconds before SIGKILL (Docker's default 10). */
function stopTimeout(v: unknown): number {
  if (v === undefined) return DEFAULT_STOP_TIMEOUT_S;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 3600) throw badRequest('EBAD_ARGS', 'the stop timeout is a number of seconds from 0 to 3600.');
  return v;
}

export function buildRoutes(ctl: NetworkController, info: () => InfoResponse): Router {
  const r = new Router();
  r.add('GET', '/v1/info', () => info());
  r.add('GET', '/v1/networks', () => ctl.listNetworks());
  r.add('POST', '/v1/networks', ({ body }) => ctl.createNetwork(asObject<NetworkCreateRequest>(body)));
  r.add('GET', '/v1/networks/:ref', ({ params }) => ctl.inspectNetwork(params.ref!));
  r.add('GET', '/v1/networks/:ref/stats', ({ params }) => ctl.networkStats(params.ref!));
  r.add('DELETE', '/v1/networks/:ref', ({ params }) => ctl.removeNetwork(params.ref!));
  r.add('POST', '/v1/networks/:ref/connect', ({ params, body }) => ctl.connect(params.ref!, asObject<ConnectRequest>(body)));
  r.add('POST', '/v1/networks/:ref/rotate-key', ({ params }) => ctl.rotateNetworkKey(params.ref!));
  r.add('POST', '/v1/networks/:ref/disconnect', ({ params, body }) => ctl.disconnect(params.ref!, asObject<DisconnectRequest>(body)));
  r.add('GET', '/v1/containers', () => ctl.listContainers());
  r.add('POST', '/v1/containers', ({ body }) => ctl.run(asObject<RunRequest>(body)));
  r.add('GET', '/v1/containers/:ref', ({ params }) => ctl.inspectContainer(params.ref!));
  r.add('DELETE', '/v1/containers/:ref', ({ params, query }) => ctl.removeContainer(params.ref!, query.get('force') === '1'));
  r.add('POST', '/v1/containers/:ref/stop', ({ params, body }) => ctl.stopContainer(params.ref!, stopTimeout(asObject<{ timeout?: unknown }>(body).timeout)));
  r.add('POST', '/v1/containers/:ref/start', ({ params }) => ctl.startContainer(params.ref!));
  r.add('GET', '/v1/events', ({ query }) => eventsRoute(ctl, query));
  r.add('GET', '/v1/containers/:ref/logs', ({ params, query }) => logsRoute(ctl, params.ref!, query));
  r.add('POST', '/v1/containers/:ref/started', ({ params, body }) => ctl.containerStarted(params.ref!, Number(asObject<{ pid?: number }>(body).pid)));
  r.add('POST', '/v1/containers/:ref/exited', ({ params, body }) => ctl.containerExited(params.ref!, Number(asObject<{ exitCode?: number }>(body).exitCode)));
  addDockerRoutes(r, ctl);
  addObserveRoutes(r, ctl);
  return r;
}
