// Published ports of tsnet containers (`tsnet run -p [HOSTIP:]HOSTPORT:PORT[/tcp|udp|sctp]`), and the
// rule shared with Docker's (docker-ports.ts): one host port (per protocol and host address) belongs
// to one container. A container's ports go to its gateway endpoint, the one its default route uses
// (the first network that is not internal); they follow it when that network is disconnected and
// another one takes over, and go when the container goes. The rules themselves are egress.ts's
// publishPorts. Callers hold the lock.
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { hasDockerState, dockerState } from './docker-state.js';
import { canPublish, publishPorts, unpublishPorts, type PortBinding } from './egress.js';
import type { NetworkRecord, SandboxRecord } from './model.js';
import { tryParseIpv4 } from '../wire/ip-addr.js';

const SPEC_RE = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

/** Parses one -p value; throws one sentence naming the expected form. */
export function parsePublishSpec(text: string): PortBinding {
  const m = SPEC_RE.exec(text);
  const bad = () => badRequest('EBAD_PUBLISH', `-p ${text}: write it as HOSTPORT:PORT, HOSTIP:HOSTPORT:PORT, optionally with /tcp, /udp or /sctp (e.g. -p 8080:80).`);
  if (!m) throw bad();
  const [, hostIp, hostPort, port, proto] = m;
  if (hostIp !== undefined && tryParseIpv4(hostIp) === null) throw bad();
  const n = (s: string) => Number(s);
  if (n(hostPort!) < 1 || n(hostPort!) > 65535 || n(port!) < 1 || n(port!) > 65535) throw bad();
  return { proto: (proto ?? 'tcp') as PortBinding['proto'], port: n(port!), hostPort: n(hostPort!), ...(hostIp && hostIp !== '0.0.0.0' ? { hostIp } : {}) };
}

const overlaps = (a: PortBinding, b: PortBinding) => a.proto === b.proto && a.hostPort === b.hostPort && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);
export const describePort = (b: PortBinding) => `${b.hostIp ? `${b.hostIp}:` : ''}${b.hostPort}->${b.port}/${b.proto}`;

/** Refuses to publish on a network with no way out of this host (both -p and Docker's bindings). */
export async function assertCanPublish(core: ControllerCore, net: NetworkRecord): Promise<void> {
  if (core.deps.egress && (await canPublish(core, net))) return;
  throw conflict('ENO_EGRESS', `network ${net.name} has no way out of this host (--internal, -o masquerade=false or no iptables), so it cannot publish ports; publish them on another network.`);
}

/** Refuses `bindings` if another tsnet or Docker container publishes one of their host ports. */
export function checkHostPortsFree(core: ControllerCore, bindings: PortBinding[], owner: { sandboxId?: string; dockerEndpointId?: string }): void {
  const holders: Array<{ who: string; published: PortBinding[] }> = [
    ...core.state.sandboxes.filter((s) => s.id !== owner.sandboxId && s.published?.length).map((s) => ({ who: `container ${s.name}`, published: s.published! })),
    ...(hasDockerState(core) ? dockerState(core).endpoints : [])
      .filter((e) => e.id !== owner.dockerEndpointId && e.published?.length)
      .map((e) => ({ who: e.name ? `container ${e.name}` : `endpoint ${e.id.slice(0, 12)}`, published: e.published! })),
  ];
  for (const b of bindings) {
    for (const h of holders) if (h.published.some((o) => overlaps(b, o))) throw conflict('EPORT_IN_USE', `host port ${b.hostPort}/${b.proto} is already published by ${h.who}.`);
  }
  for (const [i, b] of bindings.entries()) if (bindings.slice(0, i).some((o) => overlaps(b, o))) throw badRequest('EBAD_PUBLISH', `host port ${b.hostPort}/${b.proto} is given twice.`);
}

/** Puts a container's published ports on its current gateway endpoint (or takes them off when it has
 *  none); nothing to do when they are already there. */
export async function refreshPublishedPorts(core: ControllerCore, s: SandboxRecord, opts: { removing?: boolean } = {}): Promise<void> {
  if (!s.published?.length) return;
  const gateway = opts.removing ? undefined : core.endpointsOfSandbox(s).find((e) => !core.networkOf(e)?.internal);
  const via = s.publishedVia;
  if (via && via.endpointId === gateway?.id) return;
  const tag = s.id.slice(0, 12);
  if (via) {
    const oldNet = core.state.networks.find((n) => n.id === via.networkId);
    if (oldNet) await unpublishPorts(oldNet, via.ipv4, s.published, tag);
    delete s.publishedVia;
  }
  const net = gateway ? core.networkOf(gateway) : undefined;
  if (gateway && net && core.deps.egress && (await canPublish(core, net))) {
    await publishPorts(core, net, gateway.ipv4, s.published, tag);
    s.publishedVia = { endpointId: gateway.id, networkId: net.id, ipv4: gateway.ipv4 };
    core.deps.log(`container ${s.name} publishes ${s.published.map(describePort).join(', ')} via ${net.name}`);
  }
  await core.save();
}
