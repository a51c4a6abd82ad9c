// `tsnet daemon [--state-dir DIR] [--socket PATH] [--netns-prefix P] [--dns IP]...`: runs the daemon
// in the foreground until SIGINT/SIGTERM. Needs root (TAP devices, namespaces).
import { BUSY_POLL_AHEAD_FLAG_MAX_US, BUSY_POLL_FLAG_MAX_US, intFlag, parseArgs, str, list, needPositionals } from '../cli/args.js';
import { badRequest, forbidden } from '../errors.js';
import { DEFAULT_CLUSTER_PORT } from '../control/cluster.js';
import { anyAddress, formatHostPort, isIpv6Address, kernelHasIpv6, parseHostPort } from '../control/host-port.js';
import { startDaemon } from './daemon.js';
import { DEFAULT_BUSY_POLL_AHEAD_US, DEFAULT_BUSY_POLL_US } from '../dataplane/vtep.js';
import { readClusterKey } from '../discovery/pnet.js';
import { DEFAULT_PLUGIN_SOCKET } from '../docker/plugin-server.js';

export const DEFAULT_STATE_DIR = '/var/lib/tsnet';

const DAEMON_USAGE = `Usage: tsnet daemon [--state-dir DIR] [--socket PATH] [--netns-prefix PREFIX] [--dns IP]...

  --state-dir DIR        where networks, endpoints and containers are saved (default ${DEFAULT_STATE_DIR})
  --socket PATH          the API socket (default /run/tsnet/tsnet.sock, or --host / $TSNET_SOCKET)
  --netns-prefix PREFIX  prefix of the namespaces created for containers (several daemons on one machine)
  --dns IP               upstream resolver for names tsnet does not own (default: /etc/resolv.conf)
  --vxlan-port PORT      UDP port of this host's VXLAN endpoint (default 4789)
  --vxlan-bind IP        the one address it listens on (default :: for IPv4 and IPv6 peers alike, or
                         0.0.0.0 on a kernel without IPv6)
  --busy-poll US         keep the data plane polling this long after each packet (default ${DEFAULT_BUSY_POLL_US}; 0 = off)
  --busy-poll-ahead US   when bursts come at a steady period, start polling this long before the next
                         is due (default ${DEFAULT_BUSY_POLL_AHEAD_US}; 0 = off)
  --advertise IP[:PORT]  join a cluster: the address other hosts reach this one at (like --cluster-advertise)
  --listen IP:PORT       where the cluster node listens (TCP, default 0.0.0.0:7946)
  --join HOST[:PORT]     a member of the cluster to join (any member; repeat for more); no consul or etcd
  --cluster-key FILE     private cluster: only hosts with this key file can connect (libp2p pnet swarm.key)
  --docker-plugin        also serve Docker's network and IPAM plugin API on /run/docker/plugins/tsnet.sock
  --docker-plugin-socket PATH   the plugin socket (implies --docker-plugin)
  --docker-socket PATH   dockerd's API socket: container names, and the Docker networks made for global
                         tsnet networks (default: found from the sandbox path, else /var/run/docker.sock)
  --metrics IP:PORT      serve Prometheus metrics at http://IP:PORT/metrics (off by default; e.g. 127.0.0.1:9523)
  --dashboard IP:PORT    serve the live dashboard at http://IP:PORT/ (off by default; e.g. 127.0.0.1:9524)`;

export async function daemonCommand(argv: string[], socketFromCli: string): Promise<number> {
  const a = parseArgs(
    argv,
    { 'state-dir': { type: 'string' }, socket: { type: 'string' }, 'netns-prefix': { type: 'string' }, dns: { type: 'string', multiple: true }, 'docker-plugin': { type: 'boolean' }, 'vxlan-port': { type: 'string' }, 'vxlan-bind': { type: 'string' }, 'busy-poll': { type: 'string' }, 'busy-poll-ahead': { type: 'string' }, advertise: { type: 'string' }, listen: { type: 'string' }, join: { type: 'string', multiple: true }, 'docker-plugin-socket': { type: 'string' }, 'docker-socket': { type: 'string' }, 'cluster-key': { type: 'string' }, metrics: { type: 'string' }, dashboard: { type: 'string' }, help: { type: 'boolean' } },
    'tsnet daemon',
  );
  if (a.flags.help) {
    process.stdout.write(DAEMON_USAGE + '\n');
    return 0;
  }
  needPositionals(a, 0, 0, 'tsnet daemon [OPTIONS]');
  if (process.getuid?.() !== 0) throw forbidden('ENOT_ROOT', 'the tsnet daemon needs root (CAP_NET_ADMIN) to create TAP devices and namespaces; run it with sudo.');
  const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  const vxlanPort = Number(str(a, 'vxlan-port') ?? 4789);
  if (!Number.isInteger(vxlanPort) || vxlanPort < 1 || vxlanPort > 65535) throw badRequest('EBAD_FLAG', `--vxlan-port must be a UDP port number, not "${str(a, 'vxlan-port')}".`);
  const advertise = str(a, 'advertise');
  const join = list(a, 'join');
  if (join.length && !advertise) throw badRequest('EBAD_FLAG', '--join needs --advertise ADDR: the address other hosts reach this one at.');
  const clusterKeyFile = str(a, 'cluster-key');
  if (clusterKeyFile && !advertise) throw badRequest('EBAD_FLAG', '--cluster-key needs --advertise ADDR: it protects the cluster connections.');
  const clusterKey = clusterKeyFile ? readClusterKey(clusterKeyFile) : undefined;
  // an IPv6 underlay: the cluster node and the VTEP listen on IPv6 unless told otherwise
  const v6 = advertise !== undefined && isIpv6Address(parseHostPort(advertise, DEFAULT_CLUSTER_PORT, { what: '--advertise', code: 'EBAD_FLAG' }).address);
  const daemon = await startDaemon({
    vxlanPort,
    vxlanBind: str(a, 'vxlan-bind') ?? anyAddress(v6 || kernelHasIpv6()),
    busyPollUs: intFlag(a, 'busy-poll', 0, BUSY_POLL_FLAG_MAX_US),
    busyPollAheadUs: intFlag(a, 'busy-poll-ahead', 0, BUSY_POLL_AHEAD_FLAG_MAX_US),
    metricsListen: str(a, 'metrics'),
    dashboardListen: str(a, 'dashboard'),
    cluster: advertise ? { advertise, listen: str(a, 'listen') ?? formatHostPort(anyAddress(v6), DEFAULT_CLUSTER_PORT), join, clusterKey } : undefined,
    stateDir: str(a, 'state-dir') ?? DEFAULT_STATE_DIR,
    socketPath: str(a, 'socket') ?? socketFromCli,
    netnsPrefix: str(a, 'netns-prefix') ?? '',
    dnsUpstreams: list(a, 'dns').length ? list(a, 'dns') : undefined,
    dockerSocket: str(a, 'docker-socket'),
    dockerPluginSocket: a.flags['docker-plugin'] || str(a, 'docker-plugin-socket') ? (str(a, 'docker-plugin-socket') ?? DEFAULT_PLUGIN_SOCKET) : undefined,
    log,
  });
  await new Promise<void>((resolve) => {
    const done = (sig: string) => {
      log(`${sig}: stopping (containers and their interfaces stay up)`);
      resolve();
    };
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await daemon.stop();
  return 0;
}
