// The daemon's embedded name server: the control plane's resolver (src/control/resolver.ts) answering
// from the controller's view of names (src/control/names.ts), one listener per network gateway.
import { createResolver } from '../control/resolver.js';
import type { NameAnswer } from '../control/names.js';

export interface NameServer {
  addListener(ip: string, port?: number): Promise<void>;
  removeListener(ip: string): Promise<void>;
  stop(): Promise<void>;
}

export function startNameServer(opts: { lookup: (clientIp: string, qname: string) => NameAnswer; upstreams?: string[]; log: (msg: string) => void }): NameServer {
  const resolver = createResolver({
    lookup: (clientIp, qname) => opts.lookup(clientIp, qname),
    upstreams: opts.upstreams,
    log: opts.log,
  });
  return {
    addListener: (ip, port = 53) => resolver.addListener(ip, port),
    removeListener: (ip) => resolver.removeListener(ip),
    stop: async () => {
      await resolver.stop();
    },
  };
}
