// `tsnet switch --join PEER`: the foreground switch finds its network's peers through the cluster's
// DHT instead of a static --peer list, with no daemon. It starts a discovery node (src/discovery),
// looks the global network up by name (created by any daemon of the cluster: its VNI and subnet are
// used), joins it, keeps the tunnel port's peers equal to the network's live members and its
// static FDB/proxy-ARP entries equal to the other hosts' endpoints, and publishes each --attach'ed
// namespace as an endpoint (name = namespace name, the MAC and IPv4 of its eth0), claiming the name
// and checking the address against every host's endpoints first. The discovery node runs on its own
// worker thread, as the daemon's does (daemon/cluster-thread.ts): on the switch's thread its work
// held forwarding up for 5-30 ms at a time (bench/daemon-overlay-ping.ts --switch). Used by
// switch-command.ts.
import { badRequest, conflict, notFound } from '../errors.js';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_CLUSTER_PORT, type Cluster, type ClusterEndpoint, type GlobalNetworkDef } from '../control/cluster.js';
import { anyAddress, formatHostPort, isIpv6Address, parseHostPort } from '../control/host-port.js';
import { encryptionOption } from '../control/options.js';
import { startClusterThread } from '../daemon/cluster-thread.js';
import { macFor, type AttachSpec } from './switch-attach.js';

// ---- our choice ----
/** How long to look for the network in the cluster before giving up (catalogue gossip + DHT get). */
const FIND_NETWORK_TIMEOUT_MS = 20_000;
const FIND_NETWORK_RETRY_MS = 250;

/** The parts of the tunnel port (dataplane/vxlan-port.ts VxlanPort) discovery drives. */
export interface DiscoveryTunnel {
  addPeer(address: string, port?: number): number;
  removePeer(address: string): boolean;
  addRemoteEndpoint(mac: string, ip: string | null, vtep: string, vtepPort?: number): void;
  removeRemoteEndpoint(mac: string): void;
}

/** One attached namespace, as published: name = namespace name. */
export interface AttachedEndpoint {
  name: string;
  /** IPv4 without prefix */
  ipv4: string;
  mac: string;
}

export interface SwitchDiscoveryOptions {
  network: string;
  /** cluster members to dial: 'host:port' */
  join: string[];
  /** 'IP' or 'IP:PORT': where other hosts reach this one (VTEP and discovery) */
  advertise: string | undefined;
  /** --vni, if given: must match the network's */
  vni?: number;
  /** TCP 'IP:PORT' the discovery node listens on (default 0.0.0.0:<advertise port>) */
  clusterListen?: string;
  /** --cluster-key: the private cluster's key (discovery/pnet.ts readClusterKey) */
  clusterKey?: Uint8Array;
  /** this switch's VTEP UDP port */
  vtepPort: number;
  log: (line: string) => void;
}

export interface SwitchDiscovery {
  readonly network: GlobalNetworkDef;
  readonly vtep: string;
  /** Applies the members and remote endpoints to the tunnel, and follows their changes. */
  follow(tun: DiscoveryTunnel): void;
  /** Checks and claims the attached namespaces, then publishes them as endpoints. */
  publish(eps: AttachedEndpoint[]): Promise<void>;
  /** follow(tun), then publish every --attach that has an address. */
  connect(tun: DiscoveryTunnel, attaches: AttachSpec[]): Promise<void>;
  /** Withdraws the published endpoints and names, then stops the node. */
  stop(): Promise<void>;
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function inSubnet(ip: string, subnet: string): boolean {
  const [base, len] = subnet.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base!) & mask) >>> 0);
}

/** A stable endpoint id (64 hex) for an attached namespace on this switch's VTEP. */
const endpointIdOf = (networkId: string, vtep: string, name: string) => createHash('sha256').update(`${networkId}/${vtep}/${name}`).digest('hex');

async function findNetwork(cluster: Cluster, name: string): Promise<GlobalNetworkDef> {
  const deadline = Date.now() + FIND_NETWORK_TIMEOUT_MS;
  for (;;) {
    const def = await cluster.findNetwork(name).catch(() => null);
    if (def) return def;
    if (Date.now() > deadline) {
      throw notFound('ENETWORK_NOT_FOUND', `no global network named ${name} was found in the cluster; create it on a daemon with \`tsnet network create ${name}\`, or check --join.`);
    }
    await new Promise((r) => setTimeout(r, FIND_NETWORK_RETRY_MS));
  }
}

/** Starts the discovery node, finds and joins the network. */
export async function startSwitchDiscovery(opts: SwitchDiscoveryOptions): Promise<SwitchDiscovery> {
  if (opts.join.length === 0) throw badRequest('EBAD_FLAG', '--join needs at least one cluster member, like --join 10.210.0.1:7946.');
  if (!opts.advertise) throw badRequest('EBAD_FLAG', '--join needs --advertise IP: the address other hosts reach this switch at.');
  const adv = parseHostPort(opts.advertise, DEFAULT_CLUSTER_PORT, { what: '--advertise', code: 'EBAD_FLAG' });
  const cluster = await startClusterThread({
    listen: opts.clusterListen ?? formatHostPort(anyAddress(isIpv6Address(adv.address)), adv.port),
    advertise: formatHostPort(adv.address, adv.port),
    vxlanPort: opts.vtepPort,
    join: opts.join,
    hostname: `${hostname()}/switch`,
    listenFlag: '--cluster-listen',
    clusterKey: opts.clusterKey,
    log: opts.log,
  });
  const vtep = cluster.vtep;
  let network: GlobalNetworkDef;
  try {
    network = await findNetwork(cluster, opts.network);
    if (opts.vni !== undefined && opts.vni !== network.vni) {
      throw badRequest('EBAD_FLAG', `network ${network.name} has VNI ${network.vni} in the cluster, not ${opts.vni}; drop --vni.`);
    }
    if (encryptionOption(network.options)) {
      throw badRequest('EENCRYPTED_NETWORK', `network ${network.name} is encrypted, and tsnet switch does not seal frames; connect to it through a tsnet daemon.`);
    }
    await cluster.joinNetwork(network.id);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  opts.log(`joined global network ${network.name} (${network.subnet}, VNI ${network.vni}) as host ${cluster.hostId}`);
  const published: AttachedEndpoint[] = [];
  // the cluster's events cannot be unsubscribed: they stop reaching the tunnel once stop() begins
  let following = true;
  const remoteOf = (r: ClusterEndpoint) => r.hostId !== cluster.hostId;

  const d: SwitchDiscovery = {
    network,
    vtep,
    async connect(tun, attaches) {
      d.follow(tun);
      await d.publish(attaches.filter((s) => s.cidr !== null).map((s) => ({ name: s.netns, ipv4: s.cidr!.split('/')[0]!, mac: macFor(s.cidr) })));
    },
    follow(tun) {
      const apply = (r: ClusterEndpoint, kind: 'upsert' | 'delete') => {
        try {
          if (kind === 'upsert') {
            const v = parseHostPort(r.vtep, opts.vtepPort, { what: 'VTEP' });
            tun.addRemoteEndpoint(r.mac, r.ipv4.split('/')[0]!, v.address, v.port);
            opts.log(`endpoint ${r.name} ${r.ipv4} ${r.mac} at VTEP ${r.vtep}`);
          } else {
            tun.removeRemoteEndpoint(r.mac);
            opts.log(`endpoint ${r.name} ${r.ipv4} gone`);
          }
        } catch (err) {
          opts.log(`endpoint ${r.name}: ${(err as Error).message}`);
        }
      };
      const member = (v: string, kind: 'up' | 'down') => {
        try {
          const p = parseHostPort(v, opts.vtepPort, { what: 'VTEP' });
          if (kind === 'up') tun.addPeer(p.address, p.port);
          else tun.removePeer(p.address);
          opts.log(`member VTEP ${v} ${kind}`);
        } catch (err) {
          // a member this switch cannot reach (another address family) must not stop the others
          opts.log(`member VTEP ${v}: ${(err as Error).message}`);
        }
      };
      cluster.onMember((nid, v, kind) => following && nid === network.id && member(v, kind));
      cluster.onEndpoint((nid, r, kind) => following && nid === network.id && remoteOf(r) && apply(r, kind));
      for (const v of cluster.memberVteps(network.id)) member(v, 'up');
      for (const r of cluster.endpoints(network.id)) if (remoteOf(r)) apply(r, 'upsert');
    },
    async publish(eps) {
      for (const ep of eps) {
        if (!inSubnet(ep.ipv4, network.subnet)) {
          throw badRequest('EBAD_ATTACH', `${ep.name}'s address ${ep.ipv4} is outside network ${network.name}'s subnet ${network.subnet}; pick one inside it.`);
        }
        if (ep.ipv4 === network.gateway) throw conflict('EADDR_IN_USE', `${ep.ipv4} is the gateway of network ${network.name}; pick another address.`);
        const other = cluster.addressInUse(network.id, ep.ipv4);
        if (other) throw conflict('EADDR_IN_USE', `address ${ep.ipv4} is already used by ${other.name} on another host; pick another.`);
        await cluster.claimName(network.id, ep.name, endpointIdOf(network.id, vtep, ep.name));
        await cluster.publishEndpoint({ networkId: network.id, endpointId: endpointIdOf(network.id, vtep, ep.name), name: ep.name, aliases: [], ipv4: ep.ipv4, mac: ep.mac });
        published.push(ep);
        opts.log(`published ${ep.name} ${ep.ipv4} ${ep.mac} on ${network.name}`);
      }
    },
    async stop() {
      following = false;
      for (const ep of published) {
        await cluster.removeEndpoint(network.id, endpointIdOf(network.id, vtep, ep.name)).catch(() => undefined);
        await cluster.releaseName(network.id, ep.name).catch(() => undefined);
      }
      await cluster.leaveNetwork(network.id).catch(() => undefined);
      await cluster.stop();
    },
  };
  return d;
}
