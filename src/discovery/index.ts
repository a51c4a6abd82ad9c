// Public entry of the discovery layer (src/discovery): multi-host discovery with no central store.
// IMPORTANT: the Promise.withResolvers shim is imported FIRST so it is evaluated before any libp2p
// module (libp2p 3 needs it on Node 20). Import discovery only through this file, or import
// './promise-with-resolvers-shim.js' first yourself.
//
// API (all on the node returned by createDiscoveryNode; see node.ts for details):
//   createDiscoveryNode(opts: DiscoveryOptions): Promise<DiscoveryNode>
//     opts: listen ['ip:port'|multiaddr], vtep 'ip:port', advertise?, join? ['host:port' | multiaddr
//     with or without /p2p/], privateKey? | keyFile?, hostname?, clusterKey? (pnet hook, refused until
//     @libp2p/pnet is added), clock?, logger?, pingIntervalMs? (1000), downAfterMs? (5000),
//     antiEntropyIntervalMs? (5000), reprovideIntervalMs? (600000), allowPeer?(hostId) => boolean
//   node.start() / node.stop(); node.peerId; node.addresses(): string[]; node.hostRecord()
//   node.peers(): PeerInfo[]        live hosts with lastSeen, rttMs, vtep and their HostRecord
//   node.knownHosts(): HostRecord[]
//   Global networks (DHT under name and id + gossiped catalogue, see catalogue.ts):
//     publishNetwork(def) -> winning definition (throws ENETWORK_EXISTS / EVNI_IN_USE / EBADNETWORK)
//     findNetwork(nameOrId) -> def | null;  listNetworks() -> def[];  removeNetwork(nameOrId)
//   Membership and endpoints (records flow directly between members on '/tsnet/sync/1.0.0'):
//     joinNetwork(id) / leaveNetwork(id) / joinedNetworks() / membersOf(id)
//     publishEndpoint({networkId, endpointId, name, aliases, ipv4, mac, vtep?}) -> EndpointRecord
//       (joins the network if needed; hostId and version are assigned here)
//     removeEndpoint(networkId, endpointId); endpoints(networkId) -> live records (all hosts)
//     onEndpoint((networkId, record, 'upsert'|'delete') => void) -> unsubscribe   (other hosts' records)
//     onMember((networkId, hostRecord, 'up'|'down') => void) -> unsubscribe      (networks we joined)
//   Claims (claim-protocol.ts documents the scheme):
//     claimName(scope, name, owner) throws ENAME_IN_USE; releaseName(scope, name)
//     claimBlock(networkId, subnet, blockPrefixLen, {preferIndex?}) -> cidr (throws ENOBLOCKS)
//     releaseBlock(networkId, cidr); listBlocks(networkId?) -> BlockClaim[]
//     addressInUse(networkId, ipv4) -> EndpointRecord | undefined   (duplicate check)
import './promise-with-resolvers-shim.js';

export { createDiscoveryNode, DiscoveryNode } from './node.js';
export { networkCid } from './dht-client.js';
export type { EndpointListener, MemberListener } from './node.js';
export type { BlockClaim } from './claim-protocol.js';
export { newPrivateKey } from './identity.js';
export { compareForName } from './rules.js';
export type {
  ClaimRecord, Clock, DiscoveryLogger, DiscoveryOptions, EndpointEventKind, EndpointInput, EndpointRecord,
  HostRecord, MemberEventKind, NetworkDefinition, NetworkRecord, PeerInfo,
} from './types.js';
