// The discovery thread of the daemon and of `tsnet switch --join`: runs the libp2p cluster (cluster-adapter.ts) on a worker thread so
// its work (noise, yamux, kad-dht queries, peer-store updates, garbage) never holds up the data
// plane on the main thread. Answers the main thread's calls, forwards events and keeps the main
// thread's mirror of the synchronous reads current (cluster-thread-protocol.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { asTsnetError } from '../errors.js';
import { startCluster } from './cluster-adapter.js';
import type { ClusterCall, ClusterMirror, ClusterWorkerData, FromWorker, ToWorker, WireError } from './cluster-thread-protocol.js';
import type { ClusterWithKeys } from '../control/encryption.js';

// --- our choice ---
/** How often the mirror is compared with the node's state and sent if it changed (host liveness
 *  and round-trip times, networks other hosts created); events and replies send it at once. */
const MIRROR_REFRESH_MS = 500;

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const wire = (err: unknown): WireError => asTsnetError(err).toWire();

/** Networks the mirror carries per-network reads for: the catalogue's and any this host used. */
const used = new Set<string>();
let lastMirror = '';

function sendMirror(c: ClusterWithKeys, force = false): void {
  const networks = c.listNetworks();
  const ids = new Set([...networks.map((n) => n.id), ...used]);
  const mirror: ClusterMirror = { networks, endpoints: {}, members: {}, hosts: c.hosts(), keys: {} };
  const listed = new Set(networks.map((n) => n.id));
  for (const id of ids) {
    const endpoints = c.endpoints(id);
    const members = c.memberVteps(id);
    const keys = c.keys?.keys(id) ?? [];
    if (!listed.has(id) && endpoints.length + members.length + keys.length === 0) {
      used.delete(id); // a removed network: nothing left to read (an absent id reads as empty)
      continue;
    }
    mirror.endpoints[id] = endpoints;
    mirror.members[id] = members;
    mirror.keys[id] = keys;
  }
  const text = JSON.stringify(mirror);
  if (!force && text === lastMirror) return;
  lastMirror = text;
  post({ t: 'mirror', mirror });
}

/** The network a call is about: its first argument, or the id in a definition or endpoint record
 *  (name claims are scoped by network id or 'cluster', and carry no per-network reads; findNetwork
 *  takes a name). */
function networkIdOf(method: ClusterCall, first: unknown): string | undefined {
  if (method === 'claimName' || method === 'releaseName' || method === 'findNetwork') return undefined;
  if (typeof first === 'string') return first;
  const o = first as { networkId?: string; id?: string } | undefined;
  return o?.networkId ?? o?.id;
}

async function call(c: ClusterWithKeys, method: ClusterCall, args: unknown[]): Promise<unknown> {
  const id = networkIdOf(method, args[0]);
  if (id) used.add(id);
  if (method.startsWith('keys.')) {
    const keys = c.keys;
    if (!keys) throw new Error('this cluster has no key service');
    const fn = (keys as unknown as Record<string, (...a: unknown[]) => unknown>)[method.slice(5)]!;
    return fn.apply(keys, args);
  }
  const fn = (c as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
  return fn.apply(c, args);
}

async function main(): Promise<void> {
  let cluster: ClusterWithKeys;
  try {
    cluster = await startCluster({ ...(workerData as ClusterWorkerData), log: (msg) => post({ t: 'log', msg }) });
  } catch (err) {
    post({ t: 'fatal', error: wire(err) });
    port.close();
    return;
  }
  const c = cluster;
  c.onEndpoint((networkId, ep, kind) => {
    used.add(networkId);
    sendMirror(c);
    post({ t: 'endpoint', networkId, ep, kind });
  });
  c.onMember((networkId, vtep, kind) => {
    sendMirror(c);
    post({ t: 'member', networkId, vtep, kind });
  });
  c.keys?.onKeys((networkId, keys) => {
    sendMirror(c);
    post({ t: 'keys', networkId, keys });
  });
  sendMirror(c, true);
  const refresh = setInterval(() => sendMirror(c), MIRROR_REFRESH_MS);
  post({ t: 'ready', hostId: c.hostId, vtep: c.vtep });
  port.on('message', (m: ToWorker) => {
    if (m.t === 'stop') {
      clearInterval(refresh);
      c.stop()
        .catch((err) => post({ t: 'log', msg: `discovery stop: ${(err as Error).message}` }))
        .finally(() => {
          post({ t: 'stopped' });
          port.close();
        });
      return;
    }
    call(c, m.method, m.args).then(
      (value) => {
        sendMirror(c);
        post({ t: 'reply', id: m.id, value });
      },
      (err) => {
        sendMirror(c);
        post({ t: 'reply', id: m.id, error: wire(err) });
      },
    );
  });
}

void main();
