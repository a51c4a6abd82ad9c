// The daemon's Cluster (src/control/cluster.ts) over a libp2p discovery node (src/discovery): DHT
// catalogue of global networks, endpoint records between members, name and IPAM-block claims, and
// liveness events. Import order matters: src/discovery/index.ts loads the Promise.withResolvers shim
// before libp2p (Node 20).
import { hostname as osHostname } from 'node:os';
import { createDiscoveryNode, type DiscoveryNode, type NetworkDefinition } from '../discovery/index.js';
import { createNetworkKeyService } from '../discovery/keys.js';
import { DEFAULT_CLUSTER_PORT, type ClusterEndpoint, type ClusterHost, type GlobalNetworkDef } from '../control/cluster.js';
import type { ClusterWithKeys } from '../control/encryption.js';
import { unavailable } from '../errors.js';
import { formatHostPort, parseHostPort } from '../control/host-port.js';

export interface ClusterOptions {
  /** 'ip:port' the libp2p node listens on (TCP) */
  listen: string;
  /** address others use to reach this host: the discovery address and the VTEP address */
  advertise: string;
  vxlanPort: number;
  join: string[];
  /** the host's libp2p identity, created if missing; absent: a new identity each start */
  keyFile?: string;
  /** how other hosts list this one (default: the OS hostname) */
  hostname?: string;
  /** the command-line flag that sets `listen`, named when it cannot be used (default --listen) */
  listenFlag?: string;
  /** --cluster-key: the libp2p private-network key (src/discovery/pnet.ts readClusterKey) */
  clusterKey?: Uint8Array;
  log: (msg: string) => void;
}

const toDef = (d: NetworkDefinition): GlobalNetworkDef => ({ id: d.id, name: d.name, subnet: d.subnet, gateway: d.gateway, vni: d.vni, options: { ...d.options }, createdAt: d.createdAt });

/** A --join member given as a bare IP ("10.210.0.1", "fd00::1") gets the default cluster port, as
 *  --advertise does; IP:PORT, [IPv6]:PORT, HOST:PORT and multiaddrs pass as they are. */
function withClusterPort(member: string): string {
  try {
    const { address, port } = parseHostPort(member, DEFAULT_CLUSTER_PORT);
    return formatHostPort(address, port);
  } catch {
    return member; // a host name or a multiaddr: the discovery node parses it
  }
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterWithKeys> {
  // "IP", "IP:PORT", a bare IPv6 address or "[IPv6]:PORT"; without a port, the one it listens on
  const listenPort = Number(/:(\d+)$/.exec(opts.listen)?.[1] ?? DEFAULT_CLUSTER_PORT);
  const adv = parseHostPort(opts.advertise, listenPort, { what: '--advertise', code: 'EBAD_FLAG' });
  const vtep = formatHostPort(adv.address, opts.vxlanPort);
  const node: DiscoveryNode = await createDiscoveryNode({
    listen: [opts.listen],
    advertise: formatHostPort(adv.address, adv.port),
    join: opts.join.map(withClusterPort),
    vtep,
    hostname: opts.hostname ?? osHostname(),
    keyFile: opts.keyFile,
    clusterKey: opts.clusterKey,
    logger: { debug: () => undefined, info: (m) => opts.log(m), warn: (m) => opts.log(m) },
  });
  await node.start().catch((err: Error) => {
    // libp2p reports a listen failure as a paragraph with stack traces; the cause is its last 'Error:'
    const why = /Error: (listen \w+[^\n]*)/.exec(err.message)?.[1];
    if (!why) throw err;
    throw unavailable('ECLUSTER_LISTEN', `cannot listen for the cluster on ${opts.listen} (${why}); give ${opts.listenFlag ?? '--listen'} an address of this host and a free port.`);
  });
  const logger = { debug: () => undefined, info: (m: string) => opts.log(m), warn: (m: string) => opts.log(m) };
  const keys = createNetworkKeyService({ node, log: logger });
  await keys.start().catch(async (err) => {
    await node.stop();
    throw err;
  });
  const hostId = node.peerId;
  const vtepOf = (v: string) => v;
  return {
    hostId,
    vtep,
    publishNetwork: async (def) =>
      toDef(await node.publishNetwork({ ...def, driver: 'overlay', createdBy: hostId })),
    listNetworks: () => node.listNetworks().map(toDef),
    findNetwork: async (nameOrId) => {
      const def = await node.findNetwork(nameOrId);
      return def ? toDef(def) : null;
    },
    removeNetwork: (id) => node.removeNetwork(id),
    joinNetwork: (id) => node.joinNetwork(id),
    leaveNetwork: (id) => node.leaveNetwork(id),
    endpoints: (networkId) => node.endpoints(networkId).map((r) => ({ ...r })),
    publishEndpoint: async (ep) => {
      await node.publishEndpoint({ ...ep, vtep });
    },
    removeEndpoint: (networkId, endpointId) => node.removeEndpoint(networkId, endpointId),
    claimName: (scope, name, owner) => node.claimName(scope, name, owner),
    releaseName: (scope, name) => node.releaseName(scope, name),
    claimBlock: (networkId, subnet, prefix) => node.claimBlock(networkId, subnet, prefix),
    addressInUse: (networkId, ipv4) => {
      const r = node.addressInUse(networkId, ipv4);
      return r && r.hostId !== hostId ? (r as ClusterEndpoint) : undefined;
    },
    memberVteps: (networkId) => node.membersOf(networkId).map((h) => vtepOf(h.vtep)),
    hosts: (): ClusterHost[] => {
      const live = new Map(node.peers().map((p) => [p.hostId, p]));
      return node
        .knownHosts()
        .filter((h) => h.hostId !== hostId)
        .map((h) => {
          const p = live.get(h.hostId);
          return { hostId: h.hostId, hostname: h.hostname, vtep: h.vtep, advertise: h.advertise, state: p ? 'up' : 'down', lastSeen: p?.lastSeen, rttMs: p?.rttMs };
        });
    },
    onEndpoint: (fn) => {
      node.onEndpoint((networkId, rec, kind) => fn(networkId, rec as ClusterEndpoint, kind));
    },
    onMember: (fn) => {
      node.onMember((networkId, host, kind) => fn(networkId, vtepOf(host.vtep), kind));
    },
    keys: {
      want: (id, rotateEveryMs) => keys.want(id, rotateEveryMs),
      forget: (id) => keys.forget(id),
      keys: (id) => keys.keys(id),
      onKeys: (fn) => keys.onKeys(fn),
      rotate: (id) => keys.rotate(id),
    },
    stop: async () => {
      await keys.stop();
      await node.stop();
    },
  };
}
