// A Cluster with discovery on its own worker thread (cluster-worker.ts), for the daemon and for
// `tsnet switch --join` (cli/switch-discovery.ts). In one event loop, libp2p's steady-state work
// (liveness pings, anti-entropy, kad-dht lookups, peer-store updates; 5-30 ms at a time) held up
// forwarding: overlay ping between two daemons' containers had p99 2-4 ms and p99.9 11-42 ms
// (2026-12-06, 2000 pings at 2 ms after 4000 warm-up). Asynchronous calls go to the worker;
// synchronous reads come from the mirror it keeps current (cluster-thread-protocol.ts); events
// arrive after the mirror they depend on.
import { Worker } from 'node:worker_threads';
import type { ClusterEndpoint, ClusterHost, GlobalNetworkDef } from '../control/cluster.js';
import type { ClusterKeys, ClusterWithKeys } from '../control/encryption.js';
import type { OverlayKey } from '../dataplane/overlay-crypto.js';
import { errorFromWire, unavailable } from '../errors.js';
import type { ClusterOptions } from './cluster-adapter.js';
import type { ClusterCall, ClusterMirror, FromWorker, ToWorker } from './cluster-thread-protocol.js';

// --- our choice ---
/** How long stop() waits for the discovery node to close its connections before ending the thread. */
const STOP_TIMEOUT_MS = 5000;

const WORKER_URL = new URL('./cluster-worker.js', import.meta.url);

export async function startClusterThread(opts: ClusterOptions): Promise<ClusterWithKeys> {
  const { log, ...data } = opts;
  const worker = new Worker(WORKER_URL, { workerData: data });
  let mirror: ClusterMirror = { networks: [], endpoints: {}, members: {}, hosts: [], keys: {} };
  let nextId = 1;
  let exited = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const endpointFns: Array<(networkId: string, ep: ClusterEndpoint, kind: 'upsert' | 'delete') => void> = [];
  const memberFns: Array<(networkId: string, vtep: string, kind: 'up' | 'down') => void> = [];
  const keyFns = new Set<(networkId: string, keys: OverlayKey[]) => void>();
  let stopped: (() => void) | undefined;
  const gone = () => unavailable('ECLUSTER_GONE', 'the discovery thread has ended; restart the daemon.');

  const ready = new Promise<{ hostId: string; vtep: string }>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      switch (m.t) {
        case 'ready': resolve(m); break;
        case 'fatal': reject(errorFromWire(m.error)); break;
        case 'log': log(m.msg); break;
        case 'mirror': mirror = m.mirror; break;
        case 'endpoint': for (const f of endpointFns) f(m.networkId, m.ep, m.kind); break;
        case 'member': for (const f of memberFns) f(m.networkId, m.vtep, m.kind); break;
        case 'keys': for (const f of keyFns) f(m.networkId, m.keys); break;
        case 'reply': {
          const p = pending.get(m.id);
          pending.delete(m.id);
          if (m.error) p?.reject(errorFromWire(m.error));
          else p?.resolve(m.value);
          break;
        }
        case 'stopped': stopped?.(); break;
      }
    });
    worker.on('error', (err) => {
      log(`discovery thread failed: ${err.message}`);
      reject(err);
    });
    worker.on('exit', () => {
      exited = true;
      for (const p of pending.values()) p.reject(gone());
      pending.clear();
      stopped?.();
      reject(gone());
    });
  });
  const { hostId, vtep } = await ready.catch(async (err) => {
    await worker.terminate();
    throw err;
  });

  const call = <T>(method: ClusterCall, ...args: unknown[]): Promise<T> => {
    if (exited) return Promise.reject(gone());
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ t: 'call', id, method, args } satisfies ToWorker);
    });
  };

  const keys: ClusterKeys = {
    want: (id, rotateEveryMs) => call('keys.want', id, rotateEveryMs),
    forget: (id) => void call('keys.forget', id).catch(() => undefined),
    keys: (id) => mirror.keys[id] ?? [],
    onKeys: (fn) => {
      keyFns.add(fn);
      return () => keyFns.delete(fn);
    },
    rotate: (id) => call('keys.rotate', id),
  };
  return {
    hostId,
    vtep,
    keys,
    publishNetwork: (def) => call<GlobalNetworkDef>('publishNetwork', def),
    listNetworks: () => mirror.networks,
    findNetwork: (nameOrId) => call<GlobalNetworkDef | null>('findNetwork', nameOrId),
    removeNetwork: (id) => call('removeNetwork', id),
    joinNetwork: (id) => call('joinNetwork', id),
    leaveNetwork: (id) => call('leaveNetwork', id),
    endpoints: (networkId) => mirror.endpoints[networkId] ?? [],
    publishEndpoint: (ep) => call('publishEndpoint', ep),
    removeEndpoint: (networkId, endpointId) => call('removeEndpoint', networkId, endpointId),
    claimName: (scope, name, owner) => call('claimName', scope, name, owner),
    releaseName: (scope, name) => call('releaseName', scope, name),
    claimBlock: (networkId, subnet, prefix) => call<string>('claimBlock', networkId, subnet, prefix),
    addressInUse: (networkId, ipv4) =>
      (mirror.endpoints[networkId] ?? []).find((r) => r.hostId !== hostId && (r.ipv4 === ipv4 || r.ipv4.split('/')[0] === ipv4)),
    memberVteps: (networkId) => mirror.members[networkId] ?? [],
    hosts: (): ClusterHost[] => mirror.hosts,
    onEndpoint: (fn) => void endpointFns.push(fn),
    onMember: (fn) => void memberFns.push(fn),
    stop: async () => {
      if (exited) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      worker.postMessage({ t: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await done;
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
