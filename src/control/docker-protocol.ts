// Docker's remote network driver and IPAM driver protocol: the request and response bodies of
// /NetworkDriver.* and /IpamDriver.* (libnetwork drivers/remote/api/api.go and ipams/remote/api/api.go,
// field names exactly as Docker sends them). The daemon's /v1/docker/* routes take and return these
// bodies unchanged, so the plugin (src/docker) stays a thin translator. Plus `parseDockerBody`, which
// checks the few fields each verb needs and turns a malformed body into one bad-request sentence.
import { badRequest } from '../errors.js';

// --- from the spec (libnetwork netlabel and ipamapi) ---
export const GENERIC_OPTIONS = 'com.docker.network.generic';
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
export const GATEWAY_ADDRESS_TYPE = 'com.docker.network.gateway';
export const INTERNAL_OPTION = 'com.docker.network.internal';
export const DOCKER_MTU_OPTION = 'com.docker.network.driver.mtu';

// --- our choice: driver options (-o KEY=VALUE on docker network create) ---
/** the tsnet network a Docker network maps onto (created when it does not exist) */
export const TSNET_NETWORK_OPTION = 'tsnet.network';
/** driver of a tsnet network created for Docker: bridge (default) or overlay */
export const TSNET_DRIVER_OPTION = 'tsnet.driver';
/** scope of a tsnet network created for Docker: local (default) or global (discovery) */
export const TSNET_SCOPE_OPTION = 'tsnet.scope';
/** address spaces tsnet's IPAM driver reports */
export const LOCAL_ADDRESS_SPACE = 'tsnet-local';
export const GLOBAL_ADDRESS_SPACE = 'tsnet-global';

/** The daemon API paths of the Docker verbs (src/api/docker-routes.ts serves them, the plugin calls them). */
export const DOCKER_API = {
  summary: '/v1/docker',
  pools: '/v1/docker/ipam/pools',
  pool: (id: string) => `/v1/docker/ipam/pools/${encodeURIComponent(id)}`,
  addresses: (id: string) => `/v1/docker/ipam/pools/${encodeURIComponent(id)}/addresses`,
  releaseAddress: (id: string) => `/v1/docker/ipam/pools/${encodeURIComponent(id)}/addresses/release`,
  networks: '/v1/docker/networks',
  network: (id: string) => `/v1/docker/networks/${encodeURIComponent(id)}`,
  endpoints: '/v1/docker/endpoints',
  endpoint: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}`,
  join: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}/join`,
  leave: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}/leave`,
  /** tsnet's own verb: the plugin reports the container name it learned from dockerd */
  name: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}/name`,
  /** ProgramExternalConnectivity / RevokeExternalConnectivity: the endpoint's published ports */
  ports: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}/ports`,
  /** tsnet's own verb: the Docker networks this host's dockerd should add or drop (docker/network-mirror.ts) */
  mirror: '/v1/docker/mirror',
  /** tsnet's own verb: the names the endpoint's container sees, as /etc/hosts lines (docker/hosts-file.ts) */
  hosts: (id: string) => `/v1/docker/endpoints/${encodeURIComponent(id)}/hosts`,
} as const;

export interface IpamData {
  AddressSpace?: string;
  Pool: string;
  Gateway?: string;
  AuxAddresses?: Record<string, string>;
}

export interface CreateNetworkRequest {
  NetworkID: string;
  Options?: Record<string, unknown>;
  IPv4Data?: IpamData[];
  IPv6Data?: IpamData[];
}

export interface EndpointInterface {
  Address?: string;
  AddressIPv6?: string;
  MacAddress?: string;
}

export interface CreateEndpointRequest {
  NetworkID: string;
  EndpointID: string;
  Interface?: EndpointInterface;
  Options?: Record<string, unknown>;
}

export interface CreateEndpointResponse {
  Interface: { MacAddress?: string } | null;
}

export interface JoinRequest {
  NetworkID: string;
  EndpointID: string;
  SandboxKey: string;
  Options?: Record<string, unknown>;
}

export interface JoinResponse {
  InterfaceName: { SrcName: string; DstPrefix: string };
  Gateway?: string;
  DisableGatewayService: boolean;
  StaticRoutes: Array<{ Destination: string; RouteType: number; NextHop?: string }>;
}

/** Body of the endpoint-name verb (the plugin learned it from dockerd's API). */
export interface EndpointNameRequest {
  Name: string;
  Aliases?: string[];
}

export interface EndpointRef {
  NetworkID: string;
  EndpointID: string;
}

export interface RequestPoolRequest {
  AddressSpace?: string;
  Pool?: string;
  SubPool?: string;
  Options?: Record<string, string>;
  V6?: boolean;
}

export interface RequestPoolResponse {
  PoolID: string;
  Pool: string;
  Data: Record<string, string>;
}

export interface RequestAddressRequest {
  PoolID: string;
  Address?: string;
  Options?: Record<string, string>;
}

export interface RequestAddressResponse {
  Address: string;
  Data: Record<string, string>;
}

export interface ReleaseAddressRequest {
  PoolID: string;
  Address: string;
}

/** Fields Docker always sends as strings (when it sends them); any other type is a malformed request. */
const STRING_FIELDS = ['NetworkID', 'EndpointID', 'SandboxKey', 'PoolID', 'AddressSpace', 'Pool', 'SubPool', 'Address'] as const;

/** Checks that `body` is an object whose `required` fields are non-empty strings and whose other
 *  string fields, when present, are strings. */
export function parseDockerBody<T>(body: unknown, verb: string, required: readonly string[]): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('EDOCKER_BAD_REQUEST', `${verb}: the request body must be a JSON object.`);
  }
  const o = body as Record<string, unknown>;
  for (const f of required) {
    if (typeof o[f] !== 'string' || o[f] === '') throw badRequest('EDOCKER_BAD_REQUEST', `${verb}: the request has no ${f}.`);
  }
  for (const f of STRING_FIELDS) {
    if (o[f] !== undefined && o[f] !== null && typeof o[f] !== 'string') throw badRequest('EDOCKER_BAD_REQUEST', `${verb}: ${f} must be a string.`);
  }
  return body as T;
}

/** The -o options of `docker network create` (Docker nests them under com.docker.network.generic). */
export function genericOptions(options: Record<string, unknown> | undefined): Record<string, string> {
  const g = options?.[GENERIC_OPTIONS];
  const out: Record<string, string> = {};
  if (typeof g !== 'object' || g === null) return out;
  for (const [k, v] of Object.entries(g as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}
