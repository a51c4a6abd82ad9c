// The '/tsnet/sync/1.0.0' protocol: one request and one response per libp2p stream, each a
// length-prefixed msgpackr message. Carries hellos (host record + catalogue gossip), endpoint
// records, anti-entropy digests and claim rounds directly between hosts. Used by sync-service.ts
// (client and server) and sync-handlers.ts (message types).
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { REQUEST_TIMEOUT_MS, SYNC_PROTOCOL } from './constants.js';
import { packr, type Signed } from './signed.js';
import type { EndpointRecord } from './types.js';

// ---- our choice ----
/** Largest message we accept (a full catalogue of a large cluster fits easily). */
export const MAX_MESSAGE_BYTES = 4 << 20;

export type SyncMessage =
  /** host: sender's signed HostRecord; hosts/networks/claims: gossip of everything it knows */
  | { t: 'hello'; host: Signed; hosts: Signed[]; networks: Signed[]; claims: Signed[] }
  /** full: records is the sender's complete set for the network (authoritative) */
  | { t: 'endpoints'; networkId: string; records: EndpointRecord[]; full: boolean }
  /** digest of the sender's own records per network; the reply lists the networks that differ */
  | { t: 'digest'; digests: Record<string, string> }
  | { t: 'stale'; networks: string[] }
  /** a claim round: the sender's pending/held/released claim; the reply carries the receiver's own claim on the key */
  | { t: 'claim'; claim: Signed }
  | { t: 'claim-reply'; claim?: Signed }
  | { t: 'ok' }
  | { t: 'error'; message: string };

export type SyncHandler = (from: string, msg: SyncMessage) => Promise<SyncMessage>;

export async function serveSync(node: Libp2p, handler: SyncHandler): Promise<void> {
  await node.handle(
    SYNC_PROTOCOL,
    async (stream: Stream, connection) => {
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      try {
        const req = packr.unpack((await lp.read({ signal })).subarray()) as SyncMessage;
        let res: SyncMessage;
        try {
          res = await handler(connection.remotePeer.toString(), req);
        } catch (err) {
          res = { t: 'error', message: (err as Error).message };
        }
        await lp.write(packr.pack(res), { signal });
        await stream.close({ signal });
      } catch (err) {
        stream.abort(err as Error);
      }
    },
    { maxInboundStreams: 64 },
  );
}

export async function request(node: Libp2p, peer: PeerId, msg: SyncMessage, timeoutMs = REQUEST_TIMEOUT_MS): Promise<SyncMessage> {
  const signal = AbortSignal.timeout(timeoutMs);
  const stream = await node.dialProtocol(peer, SYNC_PROTOCOL, { signal });
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
    await lp.write(packr.pack(msg), { signal });
    const res = packr.unpack((await lp.read({ signal })).subarray()) as SyncMessage;
    await stream.close({ signal });
    if (res.t === 'error') throw new Error(res.message);
    return res;
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}
