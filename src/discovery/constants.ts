// Constants of the discovery layer: protocol names, DHT key namespaces, timer defaults.
// Used by src/discovery/*. Timer defaults keep CPU modest on 2 cores (bench/discovery-liveness.ts).

// ---- our choice: protocol identifiers (never mixed with the public IPFS DHT '/ipfs/kad/1.0.0') ----
export const DHT_PROTOCOL = '/tsnet/kad/1.0.0';
export const SYNC_PROTOCOL = '/tsnet/sync/1.0.0';

// ---- our choice: DHT key namespaces (kad-dht picks validators/selectors by the first path part) ----
export const NS_NETWORK = 'tsnet-net';
export const NS_HOST = 'tsnet-host';
export const NS_CLAIM = 'tsnet-claim';

// ---- our choice: timers (all overridable through DiscoveryOptions) ----
/**
 * Liveness: a ping every second; a host none of whose pings was answered for 5 s is down (at once
 * when the redial after its last connection closed fails). 5 s is memberlist's LAN failure time for
 * small clusters (1 s probe + 4 s suspicion), which Docker's overlay used; with 3 s, a 10% lossy
 * underlay (TCP retransmit backoff on the libp2p connection) marked live hosts down
 * (test/integration/fault-loss-partition, bench/discovery-liveness).
 */
export const DEFAULT_PING_INTERVAL_MS = 1000;
export const DEFAULT_DOWN_AFTER_MS = 5000;
/** Anti-entropy digest exchange, catalogue gossip, reconnects and provider lookups. */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 5000;
export const DEFAULT_REPROVIDE_INTERVAL_MS = 10 * 60_000;
/** Redial attempted when the last connection to a live host closes; failure means down. */
export const REDIAL_TIMEOUT_MS = 1500;
/** One request/response exchange on the sync protocol. */
export const REQUEST_TIMEOUT_MS = 5000;
/** DHT get/put budget on control paths (a missing record must not hang `network create`). */
export const DHT_TIMEOUT_MS = 4000;
/** Gossip pushes triggered by a change are coalesced over this window. */
export const GOSSIP_DEBOUNCE_MS = 50;
/** Own endpoint tombstones are kept this long so partitioned members learn the delete. */
export const TOMBSTONE_TTL_MS = 10 * 60_000;
/** Pending claims of other hosts that never became 'held' are forgotten after this. */
export const PENDING_CLAIM_TTL_MS = 30_000;
/** Connection manager: raise libp2p's 5 inbound connections/s per host (CONVENTIONS.md facts). */
export const INBOUND_CONNECTION_THRESHOLD = 200;
