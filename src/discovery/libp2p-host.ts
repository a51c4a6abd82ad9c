// Builds the libp2p host of a discovery node: TCP, noise, yamux, identify, ping and kad-dht in
// server mode on tsnet's private DHT protocol, with tsnet's record validators/selectors, the
// passthrough address mapper (keeps private and loopback addresses, CONVENTIONS.md facts), a raised
// inbound connection threshold, an optional peer gate and the pnet hook. Used by node.ts.
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { createLibp2p } from 'libp2p';
import { toMultiaddr } from './addresses.js';
import * as C from './constants.js';
import * as R from './dht-records.js';
import { clusterProtector } from './pnet.js';
import type { DiscoveryOptions } from './types.js';

export type Services = { identify: unknown; ping: Ping; dht: KadDHT };

export async function createLibp2pHost(key: PrivateKey, opts: DiscoveryOptions): Promise<Libp2p<Services>> {
  const protector = clusterProtector(opts.clusterKey);
  const allow = opts.allowPeer;
  const listen = opts.listen.map((a) => toMultiaddr(a).toString());
  const announce = opts.advertise ? [toMultiaddr(opts.advertise).toString()] : undefined;
  return (await createLibp2p({
    privateKey: key,
    start: false,
    addresses: { listen, announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(protector ? { connectionProtector: protector } : {}),
    connectionManager: { inboundConnectionThreshold: C.INBOUND_CONNECTION_THRESHOLD, dialTimeout: C.REDIAL_TIMEOUT_MS * 2 },
    connectionGater: allow
      ? {
          denyDialPeer: (p: PeerId) => !allow(p.toString()),
          denyInboundEncryptedConnection: (p: PeerId) => !allow(p.toString()),
          denyOutboundEncryptedConnection: (p: PeerId) => !allow(p.toString()),
        }
      : {},
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: C.DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: R.validators,
        selectors: R.selectors,
        reprovide: { interval: opts.reprovideIntervalMs ?? C.DEFAULT_REPROVIDE_INTERVAL_MS },
      }),
    },
  })) as unknown as Libp2p<Services>;
}
