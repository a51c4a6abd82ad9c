// /etc/netns/NAME/{resolv.conf,hosts} of a named sandbox: `ip netns exec NAME` bind-mounts them over
// /etc, so the container's resolver is the name server on its networks' gateways and its own names
// resolve locally. Rewritten on every connect and disconnect.
import type { ControllerCore } from './controller-core.js';
import type { SandboxRecord } from './model.js';
import { writeNetnsEtc } from './netns.js';

/** glibc reads at most 3 nameserver lines (resolv.h MAXNS). */
const MAX_NAMESERVERS = 3;

export function resolvConfFor(core: ControllerCore, s: SandboxRecord): string {
  const gateways = core
    .endpointsOfSandbox(s)
    .map((e) => core.networkOf(e)?.ipam.gateway)
    .filter((g): g is string => !!g);
  const lines = ['# written by tsnet: the name server of each network this container is on'];
  for (const g of gateways.slice(0, MAX_NAMESERVERS)) lines.push(`nameserver ${g}`);
  lines.push('options ndots:0 timeout:2 attempts:2');
  return lines.join('\n') + '\n';
}

export function hostsFor(core: ControllerCore, s: SandboxRecord): string {
  const host = s.hostname ?? s.name;
  const lines = ['# written by tsnet', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const e of core.endpointsOfSandbox(s)) lines.push(`${e.ipv4}\t${host}${host !== s.name ? ' ' + s.name : ''}`);
  return lines.join('\n') + '\n';
}

/** Only for sandboxes whose namespace tsnet made: a namespace joined from outside (`network connect
 *  NET NAME`) is its owner's, and so are any /etc/netns/NAME files it has; its processes reach the
 *  name server on each network's gateway directly. */
export async function writeSandboxEtc(core: ControllerCore, s: SandboxRecord): Promise<void> {
  if (!s.netnsName || s.external) return;
  await writeNetnsEtc(s.netnsName, { resolvConf: resolvConfFor(core, s), hosts: hostsFor(core, s) });
}
