// The state a discovery node's parts share: the libp2p host, this host's record, the tables of
// what the cluster knows (catalogue, claims, endpoints, members) and the envelope verifier.
// node.ts builds one NodeCore and hands it to the parts (sync-service.ts, sync-handlers.ts,
// member-events.ts, maintenance.ts, network-registry.ts, network-participation.ts).
import type { Libp2p } from '@libp2p/interface';
import type { NetworkCatalogue } from './catalogue.js';
import type { ClaimTable } from './claims.js';
import type { EndpointTable } from './endpoints.js';
import type { Services } from './libp2p-host.js';
import type { LocalHost } from './local-host.js';
import type { Membership } from './membership.js';
import type { Clock, DiscoveryLogger, HostRecord } from './types.js';
import type { EnvelopeVerifier } from './verified-envelopes.js';

export interface NodeCore {
  readonly libp2p: Libp2p<Services>;
  readonly peerId: string;
  readonly clock: Clock;
  readonly log: DiscoveryLogger;
  readonly local: LocalHost;
  readonly catalogue: NetworkCatalogue;
  readonly claimTable: ClaimTable;
  readonly endpoints: EndpointTable;
  readonly members: Membership;
  readonly verifier: EnvelopeVerifier;
}

/** Live hosts (other than this one) that joined a network. */
export function liveMembersOf(core: NodeCore, networkId: string): HostRecord[] {
  return core.members.live().filter((h) => h.rec.networks.includes(networkId)).map((h) => h.rec);
}
