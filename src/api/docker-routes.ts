// The daemon API's routes for Docker (the tsnet network + IPAM plugin, src/docker): one route per
// plugin verb that needs the daemon, each taking Docker's request body as it is and returning
// Docker's response body, each one controller call under the controller lock. Registered by
// routes.ts with `addDockerRoutes(router, ctl)`.
import type { NetworkController } from '../control/controller.js';
import type { ControllerCore } from '../control/controller-core.js';
import { createDockerEndpoint, deleteDockerEndpoint, dockerEndpointInfo, dockerHostsEntries, dockerSummary, joinDockerEndpoint, leaveDockerEndpoint } from '../control/docker-endpoints.js';
import { releaseAddress, releasePool, requestAddress, requestPool } from '../control/docker-ipam.js';
import { setDockerEndpointName } from '../control/docker-cluster.js';
import { programDockerPorts, revokeDockerPorts } from '../control/docker-ports.js';
import { dockerState } from '../control/docker-state.js';
import { createDockerNetwork, deleteDockerNetwork, dockerMirror } from '../control/docker-networks.js';
import {
  parseDockerBody,
  type CreateEndpointRequest,
  type CreateNetworkRequest,
  type EndpointNameRequest,
  type JoinRequest,
  type ReleaseAddressRequest,
  type RequestAddressRequest,
  type RequestPoolRequest,
} from '../control/docker-protocol.js';
import type { Router } from './router.js';

export { DOCKER_API } from '../control/docker-protocol.js';


export function addDockerRoutes(router: Router, ctl: NetworkController): Router {
  const core: ControllerCore = ctl.core;
  const locked = <T>(fn: () => Promise<T>) => core.lock.run(fn);
  router.add('GET', '/v1/docker', () => dockerSummary(core));
  router.add('GET', '/v1/docker/mirror', () => dockerMirror(core));
  router.add('POST', '/v1/docker/ipam/pools', ({ body }) => locked(() => requestPool(core, parseDockerBody<RequestPoolRequest>(body, 'RequestPool', []))));
  router.add('DELETE', '/v1/docker/ipam/pools/:id', ({ params }) => locked(() => releasePool(core, params.id!)).then(() => ({})));
  router.add('POST', '/v1/docker/ipam/pools/:id/addresses', ({ params, body }) =>
    locked(() => requestAddress(core, { ...parseDockerBody<RequestAddressRequest>(body, 'RequestAddress', []), PoolID: params.id! })),
  );
  router.add('POST', '/v1/docker/ipam/pools/:id/addresses/release', ({ params, body }) =>
    locked(() => releaseAddress(core, { ...parseDockerBody<ReleaseAddressRequest>(body, 'ReleaseAddress', ['Address']), PoolID: params.id! })).then(() => ({})),
  );
  router.add('POST', '/v1/docker/networks', ({ body }) => locked(() => createDockerNetwork(core, parseDockerBody<CreateNetworkRequest>(body, 'CreateNetwork', ['NetworkID']))).then(() => ({})));
  router.add('DELETE', '/v1/docker/networks/:id', ({ params }) => locked(() => deleteDockerNetwork(core, params.id!)).then(() => ({})));
  router.add('POST', '/v1/docker/endpoints', ({ body }) =>
    locked(() => createDockerEndpoint(core, parseDockerBody<CreateEndpointRequest>(body, 'CreateEndpoint', ['NetworkID', 'EndpointID']))),
  );
  router.add('GET', '/v1/docker/endpoints/:id', ({ params }) => dockerEndpointInfo(core, params.id!));
  router.add('DELETE', '/v1/docker/endpoints/:id', ({ params }) => locked(() => deleteDockerEndpoint(core, params.id!)).then(() => ({})));
  router.add('POST', '/v1/docker/endpoints/:id/join', ({ params, body }) =>
    locked(() => joinDockerEndpoint(core, params.id!, parseDockerBody<JoinRequest>(body, 'Join', ['SandboxKey']))),
  );
  router.add('POST', '/v1/docker/endpoints/:id/name', ({ params, body }) => {
    const req = parseDockerBody<EndpointNameRequest>(body, 'EndpointName', ['Name']);
    const aliases = Array.isArray(req.Aliases) ? req.Aliases.filter((a): a is string => typeof a === 'string') : [];
    return locked(() => setDockerEndpointName(core, params.id!, req.Name, aliases)).then(() => ({}));
  });
  router.add('POST', '/v1/docker/endpoints/:id/ports', ({ params, body }) =>
    locked(() => programDockerPorts(core, params.id!, (parseDockerBody<{ Options?: Record<string, unknown> }>(body, 'ProgramExternalConnectivity', []).Options))).then(() => ({})),
  );
  router.add('DELETE', '/v1/docker/endpoints/:id/ports', ({ params }) =>
    locked(async () => {
      const ep = dockerState(core).endpoints.find((e) => e.id === params.id);
      if (ep) await revokeDockerPorts(core, ep); // an endpoint already deleted has nothing left to revoke
    }).then(() => ({})),
  );
  router.add('GET', '/v1/docker/endpoints/:id/hosts', ({ params }) => dockerHostsEntries(core, params.id!));
  router.add('POST', '/v1/docker/endpoints/:id/leave', ({ params }) => locked(() => leaveDockerEndpoint(core, params.id!)).then(() => ({})));
  return router;
}
