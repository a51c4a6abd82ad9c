// The text of `tsnet help`.
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
  network ls [-q] [--format json]
  network inspect NETWORK...
  network rm NETWORK...
  network connect [--ip IP] [--alias NAME]... NETWORK CONTAINER|NETNS|/proc/PID/ns/net
  network disconnect NETWORK CONTAINER
  stats NETWORK                                  switch counters and per-frame latency
Containers (network namespaces):
  run [-d] [--rm] --name NAME [--net NETWORK] [--ip IP] [--alias NAME]... [--hostname H] -- CMD [ARG...]
  exec CONTAINER -- CMD [ARG...]
  ps [-a]
  rm [-f] CONTAINER...
  inspect [-f '{{json .NetworkSettings}}'] CONTAINER...

The CLI finds the daemon at /run/tsnet/tsnet.sock, or --host PATH, or $TSNET_SOCKET.`;
