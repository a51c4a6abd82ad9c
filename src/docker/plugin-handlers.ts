// The Docker plugin's verbs: each /NetworkDriver.* and /IpamDriver.* call Docker makes is answered
// here, either from constants (capabilities, address spaces, the connectivity calls tsnet has nothing
// to do for) or by exactly one daemon API call through the typed client (convention 5: the plugin is
// a thin translator; the work happens in src/control/docker-*.ts). After a successful Join the
// server's onJoined hook starts learning the container's name from dockerd (endpoint-names.ts), which
// Docker's protocol never carries; onLeft stops keeping its hosts file (hosts-file.ts). Used by
// plugin-server.ts.
import type { ApiClient } from '../api/client.js';
import {
  DOCKER_API,
  GLOBAL_ADDRESS_SPACE,
  LOCAL_ADDRESS_SPACE,
  parseDockerBody,
  type CreateEndpointRequest,
  type CreateNetworkRequest,
  type EndpointRef,
  type JoinRequest,
  type ReleaseAddressRequest,
  type RequestAddressRequest,
  type RequestPoolRequest,
} from '../control/docker-protocol.js';

// --- from the spec (Docker plugin API: docs/extend/plugin_api.md, plugins_network.md, plugins_ipam.md) ---
export const NETWORK_DRIVER = 'NetworkDriver';
export const IPAM_DRIVER = 'IpamDriver';

export type Scope = 'local' | 'global';

/** Which error field Docker reads: `Err` for the network driver (and Activate), `Error` for IPAM. */
export type ErrorField = 'Err' | 'Error';

export interface PluginVerb {
  errorField: ErrorField;
  handle(body: unknown): Promise<unknown>;
}

export interface PluginOptions {
  /** Docker's scope for the driver: local (default) or global (needs Docker's own cluster store) */
  scope?: Scope;
  /** called after each successful Join (the plugin then learns the container's name from dockerd) */
  onJoined?: (endpointId: string, sandboxKey: string) => void;
  /** called after each successful Leave and DeleteEndpoint */
  onLeft?: (endpointId: string) => void;
}

const need = <T>(body: unknown, verb: string, fields: string[]) => parseDockerBody<T>(body, verb, fields);
const nothing = async () => ({});

export function pluginVerbs(api: ApiClient, opts: PluginOptions = {}): Map<string, PluginVerb> {
  const scope = opts.scope ?? 'local';
  const net = (handle: (body: unknown) => Promise<unknown>): PluginVerb => ({ errorField: 'Err', handle });
  const ipam = (handle: (body: unknown) => Promise<unknown>): PluginVerb => ({ errorField: 'Error', handle });
  const left = (endpointId: string, call: (id: string) => Promise<unknown>) =>
    call(endpointId).then((answer) => {
      opts.onLeft?.(endpointId);
      return answer;
    });
  const verbs: Array<[string, PluginVerb]> = [
    ['/Plugin.Activate', net(async () => ({ Implements: [NETWORK_DRIVER, IPAM_DRIVER] }))],
    // --- network driver ---
    ['/NetworkDriver.GetCapabilities', net(async () => ({ Scope: scope, ConnectivityScope: scope }))],
    ['/NetworkDriver.CreateNetwork', net((b) => api.post(DOCKER_API.networks, need<CreateNetworkRequest>(b, 'CreateNetwork', ['NetworkID'])))],
    ['/NetworkDriver.DeleteNetwork', net((b) => api.delete(DOCKER_API.network(need<{ NetworkID: string }>(b, 'DeleteNetwork', ['NetworkID']).NetworkID)))],
    ['/NetworkDriver.CreateEndpoint', net((b) => api.post(DOCKER_API.endpoints, need<CreateEndpointRequest>(b, 'CreateEndpoint', ['NetworkID', 'EndpointID'])))],
    ['/NetworkDriver.DeleteEndpoint', net((b) => left(need<EndpointRef>(b, 'DeleteEndpoint', ['NetworkID', 'EndpointID']).EndpointID, (id) => api.delete(DOCKER_API.endpoint(id))))],
    ['/NetworkDriver.EndpointOperInfo', net((b) => api.get(DOCKER_API.endpoint(need<EndpointRef>(b, 'EndpointOperInfo', ['NetworkID', 'EndpointID']).EndpointID)))],
    [
      '/NetworkDriver.Join',
      net((b) => {
        const req = need<JoinRequest>(b, 'Join', ['NetworkID', 'EndpointID', 'SandboxKey']);
        return api.post(DOCKER_API.join(req.EndpointID), req).then((answer) => {
          opts.onJoined?.(req.EndpointID, req.SandboxKey);
          return answer;
        });
      }),
    ],
    ['/NetworkDriver.Leave', net((b) => left(need<EndpointRef>(b, 'Leave', ['NetworkID', 'EndpointID']).EndpointID, (id) => api.post(DOCKER_API.leave(id), {})))],
    // published ports (-p) of the container whose gateway is this network
    [
      '/NetworkDriver.ProgramExternalConnectivity',
      net((b) => api.post(DOCKER_API.ports(need<EndpointRef>(b, 'ProgramExternalConnectivity', ['NetworkID', 'EndpointID']).EndpointID), b as object)),
    ],
    ['/NetworkDriver.RevokeExternalConnectivity', net((b) => api.delete(DOCKER_API.ports(need<EndpointRef>(b, 'RevokeExternalConnectivity', ['NetworkID', 'EndpointID']).EndpointID)))],
    // discovery is tsnet's own: nothing to do
    ['/NetworkDriver.DiscoverNew', net(nothing)],
    ['/NetworkDriver.DiscoverDelete', net(nothing)],
    // swarm-only (global scope with a manager): there is nothing to allocate cluster-wide for tsnet
    ['/NetworkDriver.AllocateNetwork', net(async () => ({ Options: {} }))],
    ['/NetworkDriver.FreeNetwork', net(nothing)],
    // --- IPAM driver ---
    ['/IpamDriver.GetCapabilities', ipam(async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }))],
    ['/IpamDriver.GetDefaultAddressSpaces', ipam(async () => ({ LocalDefaultAddressSpace: LOCAL_ADDRESS_SPACE, GlobalDefaultAddressSpace: GLOBAL_ADDRESS_SPACE }))],
    ['/IpamDriver.RequestPool', ipam((b) => api.post(DOCKER_API.pools, need<RequestPoolRequest>(b, 'RequestPool', [])))],
    ['/IpamDriver.ReleasePool', ipam((b) => api.delete(DOCKER_API.pool(need<{ PoolID: string }>(b, 'ReleasePool', ['PoolID']).PoolID)))],
    [
      '/IpamDriver.RequestAddress',
      ipam((b) => {
        const req = need<RequestAddressRequest>(b, 'RequestAddress', ['PoolID']);
        return api.post(DOCKER_API.addresses(req.PoolID), req);
      }),
    ],
    [
      '/IpamDriver.ReleaseAddress',
      ipam((b) => {
        const req = need<ReleaseAddressRequest>(b, 'ReleaseAddress', ['PoolID', 'Address']);
        return api.post(DOCKER_API.releaseAddress(req.PoolID), req);
      }),
    ],
  ];
  return new Map(verbs);
}
