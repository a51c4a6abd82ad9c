// Published ports of Docker containers (`docker run -p HOSTPORT:PORT --net TSNET_NETWORK`): Docker
// hands a network driver the container's port bindings in ProgramExternalConnectivity (option
// com.docker.network.portmap, on the endpoint that is the container's gateway) and takes them back in
// RevokeExternalConnectivity. tsnet turns them into DNAT rules on the host (egress.ts publishPorts),
// remembers them on the endpoint (a Revoke or DeleteEndpoint removes exactly those), and refuses
// with one sentence what it cannot do: a binding with no host port (Docker's protocol has no way to
// tell Docker which port a driver chose), a host port another container (Docker's or tsnet's) already
// publishes (published-ports.ts), or a
// network without egress. Callers hold the lock.
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { findDockerEndpoint, type DockerEndpointRecord } from './docker-state.js';
import { assertCanPublish, checkHostPortsFree, describePort } from './published-ports.js';
import { publishPorts, unpublishPorts, type PortBinding } from './egress.js';

// --- from the spec (libnetwork netlabel.PortMap; types.PortBinding, Proto as an IP protocol number) ---
export const PORTMAP_OPTION = 'com.docker.network.portmap';
const PROTOCOLS: Record<number, PortBinding['proto']> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

interface DockerPortBinding {
  Proto?: number;
  Port?: number;
  HostIP?: string | null;
  HostPort?: number;
}

/** The bindings in a ProgramExternalConnectivity request, checked; [] when it has none. */
export function parsePortmap(options: Record<string, unknown> | undefined): PortBinding[] {
  const raw = options?.[PORTMAP_OPTION];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest('EDOCKER_BAD_PORTMAP', `Docker sent ${PORTMAP_OPTION} that is not a list.`);
  const out: PortBinding[] = [];
  for (const b of raw as DockerPortBinding[]) {
    // tsnet networks are IPv4: a binding on an IPv6 host address (Docker 27+ adds [::] next to
    // 0.0.0.0 for every -p) could never reach the container: left out
    if (b.HostIP?.includes(':')) continue;
    const proto = PROTOCOLS[b.Proto ?? -1];
    if (!proto) throw badRequest('EDOCKER_BAD_PORTMAP', `tsnet publishes tcp, udp and sctp ports, not IP protocol ${b.Proto}.`);
    if (!Number.isInteger(b.Port) || b.Port! < 1 || b.Port! > 65535) throw badRequest('EDOCKER_BAD_PORTMAP', `container port ${b.Port} is not a port number.`);
    if (!b.HostPort) throw badRequest('EDOCKER_NO_HOST_PORT', `publish port ${b.Port}/${proto} with a host port (-p HOSTPORT:${b.Port}): tsnet cannot tell Docker which port it would choose.`);
    if (!Number.isInteger(b.HostPort) || b.HostPort < 1 || b.HostPort > 65535) throw badRequest('EDOCKER_BAD_PORTMAP', `host port ${b.HostPort} is not a port number.`);
    const hostIp = b.HostIP && b.HostIP !== '0.0.0.0' ? b.HostIP : undefined;
    out.push({ proto, port: b.Port!, hostPort: b.HostPort, ...(hostIp ? { hostIp } : {}) });
  }
  return out;
}

const tagOf = (ep: DockerEndpointRecord) => ep.id.slice(0, 12);

export async function programDockerPorts(core: ControllerCore, endpointId: string, options: Record<string, unknown> | undefined): Promise<void> {
  const ep = findDockerEndpoint(core, endpointId);
  const bindings = parsePortmap(options);
  if (bindings.length === 0) return;
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  if (!net) throw conflict('EDOCKER_NETWORK_GONE', `the tsnet network of Docker endpoint ${tagOf(ep)} was removed; disconnect the container.`);
  await assertCanPublish(core, net);
  checkHostPortsFree(core, bindings, { dockerEndpointId: ep.id });
  if (ep.published?.length) await unpublishPorts(net, ep.ipv4, ep.published, tagOf(ep));
  await publishPorts(core, net, ep.ipv4, bindings, tagOf(ep));
  ep.published = bindings;
  await core.save();
  core.deps.log(`docker endpoint ${tagOf(ep)} publishes ${bindings.map(describePort).join(', ')}`);
}

/** Takes a container's published ports back (Revoke, Leave, DeleteEndpoint); nothing if it has none. */
export async function revokeDockerPorts(core: ControllerCore, ep: DockerEndpointRecord): Promise<void> {
  if (!ep.published?.length) return;
  const net = core.state.networks.find((n) => n.id === ep.networkId);
  if (net) await unpublishPorts(net, ep.ipv4, ep.published, tagOf(ep));
  delete ep.published;
  await core.save();
  core.deps.log(`docker endpoint ${tagOf(ep)} publishes no port any more`);
}
