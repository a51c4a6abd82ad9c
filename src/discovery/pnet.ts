// Hook for a libp2p private network (pnet): with a pre-shared cluster key, connections from hosts
// without the key are refused before any protocol runs. The @libp2p/pnet module is not a dependency
// yet; until it is, a clusterKey is refused with EPNET_UNSUPPORTED rather than ignored (running
// unprotected when the user asked for protection would be worse). To enable: add @libp2p/pnet and
// return `preSharedKey({ psk: clusterKey })` here; node.ts already passes the result to libp2p as
// `connectionProtector`. Used by node.ts.
import { badRequest } from '../errors.js';

export function clusterProtector(clusterKey: Uint8Array | undefined): undefined {
  if (clusterKey === undefined) return undefined;
  throw badRequest('EPNET_UNSUPPORTED', 'a cluster key (private network) is not supported by this build yet; start without clusterKey.');
}
