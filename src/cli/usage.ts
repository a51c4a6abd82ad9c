// The text of `tsnet help`, and the part of it about one command (`tsnet network create --help`).
import type { FlagSpecs } from './args.js';

export const USAGE = `Usage: tsnet [--host SOCKET] COMMAND

Container networking in userspace: learning L2 switches, TAP ports, VXLAN overlay, DHT discovery.

Daemon:
  daemon [--state-dir DIR] [--socket PATH] ...   run the tsnet daemon (see tsnet daemon --help)
  info                                           show the daemon and its cluster
  switch --network NAME [--vni N] [--peer IP[:PORT]]... [--listen IP[:PORT]] [--attach NETNS[=IP/PREFIX]]... [-v]
                                                 run one network's switch in the foreground, no daemon
Networks:
  network create [-d bridge|overlay] [--subnet CIDR] [--gateway IP] [--ip-range CIDR]
                 [--aux-address NAME=IP]... [-o KEY=VALUE]... [--internal] [--peer IP[:PORT]]... NAME
  network ls [-q] [--no-trunc] [-f name|id|driver|scope=VALUE]... [--format json|TEMPLATE]
  network inspect [-f TEMPLATE] NETWORK...
  network rm NETWORK...
  network prune [-f]                             remove every network no container uses
  network connect [--ip IP] [--alias NAME]... NETWORK CONTAINER|NETNS|/proc/PID/ns/net
  network disconnect NETWORK CONTAINER
  network rotate-key NETWORK                     next key of an encrypted global network (also every -o key-rotation=12h)
  network attach|detach NETWORK --iface DEV      bridge an existing interface (veth, NIC) into the network
  stats NETWORK                                  switch counters and per-frame latency
  events [-f type=network|container] [-f event=ACTION] [--since 10m] [--until T]   network and container events
Watching the switch:
  fdb NETWORK                                    the MAC table: MAC, port or VTEP, learned/static, age
  peers NETWORK                                  remote VTEPs of an overlay network
  trace NETWORK [--port P] [-c N] [FILTER...]    live, one line per frame: learned, forwarded, flooded, dropped
  capture NETWORK [-w FILE] [--port P] [-c N] [--underlay] [FILTER...]   pcap (stdout: | tshark -r -)
  FILTER: arp ip ip6 icmp udp tcp, host IP, mac MAC, port NAME, l4port N, flooded dropped..., and/or/not
Containers (network namespaces):
  run [-d] [-it] [--rm] --name NAME [--net NETWORK] [--ip IP] [--alias NAME]... [--hostname H] -- CMD [ARG...]
      -p [HOSTIP:]HOSTPORT:PORT[/tcp|udp|sctp]   publish a port on the host (repeatable; the network must have egress)
  exec [-it] CONTAINER -- CMD [ARG...]
  ps [-a] [-q] [--no-trunc] [-f name|id|status|network=VALUE]... [--format TEMPLATE]
  stop [-t SECONDS] CONTAINER...                 SIGTERM, SIGKILL after 10 s (the namespace and endpoints stay)
  start CONTAINER...                             run a stopped container's command again
  restart [-t SECONDS] CONTAINER...
  logs [-f] [--tail N] CONTAINER                 what a detached (-d) container's command printed
  rm [-f] CONTAINER...
  inspect [-f TEMPLATE] CONTAINER...             e.g. -f '{{json .NetworkSettings}}'
  TEMPLATE: Go template as in docker inspect -f: {{.A.B}} {{json .A}} {{range .A}}..{{end}} {{if}} {{index}} {{len}}

The CLI finds the daemon at /run/tsnet/tsnet.sock, or --host PATH, or $TSNET_SOCKET.`;


const indentOf = (line: string) => line.length - line.trimStart().length;

/** Does a USAGE line describe `words` (`network attach` matches `network attach|detach ...`)? */
function describes(line: string, words: string[]): boolean {
  const given = line.trim().split(/\s+/);
  return words.every((w, i) => given[i] !== undefined && given[i]!.split('|').includes(w));
}

/** The USAGE lines of a command (`tsnet network create`, or `tsnet network` for all its verbs), with
 *  their continuation lines, then its flags; `specs` lists the flags the command's parser takes. */
export function commandUsage(command: string, specs: FlagSpecs = {}): string {
  const words = command.replace(/^tsnet\s+/, '').split(/\s+/).filter(Boolean);
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (indentOf(line) !== 2 || !describes(line, words)) continue;
    picked.push(`  tsnet ${line.trim()}`);
    for (let j = i + 1; j < lines.length && indentOf(lines[j]!) > 2 && lines[j]!.trim() !== ''; j++) picked.push(`${' '.repeat('tsnet '.length)}${lines[j]}`);
    // the explanation lines of placeholders it uses (FILTER:, TEMPLATE:)
    for (const l of lines) {
      const key = /^ {2}([A-Z]+):/.exec(l)?.[1];
      if (key && line.includes(key)) picked.push(`  ${l}`);
    }
  }
  const flags = Object.entries(specs).map(([name, s]) => `  ${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ' VALUE' : ''}${s.multiple ? ' (repeatable)' : ''}`);
  return [
    picked.length ? 'Usage:' : `Usage: ${command} (see tsnet help)`,
    ...picked,
    'Flags:',
    ...flags,
    '      --help    this text',
  ].join('\n');
}
