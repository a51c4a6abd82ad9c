// The controller's shared core: the persisted CNM state, lookups by name/id/prefix with typed
// errors, the mutation lock, and saving. networks.ts, endpoints.ts and sandboxes.ts implement the
// verbs on top of it.
import { EventBus } from './events.js';
import type { Datapath } from './datapath.js';
import type { DaemonStateV1, EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { Mutex } from './mutex.js';
import type { Cluster, ClusterEndpoint } from './cluster.js';
import { notFound, badRequest } from '../errors.js';

export interface StateStoreLike<T> {
  load(): Promise<T | undefined>;
  save(state: T): Promise<void>;
}

/** What the controller needs from the name server: listen on each network's gateway. */
export interface ResolverLike {
  addListener(ip: string, port?: number): Promise<void>;
  removeListener(ip: string): Promise<void>;
}

export interface ControllerDeps {
  store: StateStoreLike<DaemonStateV1>;
  datapath: Datapath;
  /** prefix of the named namespaces the daemon creates for containers ('' by default) */
  netnsPrefix: string;
  logDir: string;
  hostRoutes: () => Promise<string[]>;
  resolver?: ResolverLike;
  /** egress NAT through iptables (egress.ts): the daemon; off where nothing may touch the host's rules */
  egress?: boolean;
  /** multi-host discovery; absent on a single host */
  cluster?: Cluster;
  log: (msg: string) => void;
}

export class ControllerCore {
  readonly lock = new Mutex();
  /** network and container events (`tsnet events`) */
  readonly events = new EventBus();
  /** other hosts' endpoints on global networks: networkId -> endpointId -> record */
  readonly remote = new Map<string, Map<string, ClusterEndpoint>>();
  constructor(
    readonly deps: ControllerDeps,
    public state: DaemonStateV1,
  ) {}

  save(): Promise<void> {
    return this.deps.store.save(this.state);
  }

  /** A network by exact name, full id, or unique id prefix (Docker's rule). */
  findNetwork(ref: string): NetworkRecord {
    const nets = this.state.networks.filter((n) => !n.pending);
    const exact = nets.find((n) => n.id === ref) ?? nets.find((n) => n.name === ref);
    if (exact) return exact;
    if (/^[0-9a-f]{1,64}$/.test(ref)) {
      const byPrefix = nets.filter((n) => n.id.startsWith(ref));
      if (byPrefix.length === 1) return byPrefix[0]!;
      if (byPrefix.length > 1) throw badRequest('EAMBIGUOUS', `network id prefix ${ref} matches ${byPrefix.length} networks; give more characters.`);
    }
    throw notFound('ENETWORK_NOT_FOUND', `network ${ref} not found.`);
  }

  findSandbox(ref: string): SandboxRecord {
    const all = this.state.sandboxes.filter((s) => !s.pending);
    const exact = all.find((s) => s.id === ref) ?? all.find((s) => s.name === ref);
    if (exact) return exact;
    if (/^[0-9a-f]{1,64}$/.test(ref)) {
      const byPrefix = all.filter((s) => s.id.startsWith(ref));
      if (byPrefix.length === 1) return byPrefix[0]!;
      if (byPrefix.length > 1) throw badRequest('EAMBIGUOUS', `container id prefix ${ref} matches ${byPrefix.length} containers; give more characters.`);
    }
    throw notFound('ECONTAINER_NOT_FOUND', `container ${ref} not found.`);
  }

  /** A sandbox by container name/id, or by the namespace it lives in (a name or a /proc/PID/ns/net path). */
  findSandboxOrNamespace(ref: string): SandboxRecord {
    const byNs = this.state.sandboxes.find((s) => !s.pending && (s.netnsPath === ref || (s.external && s.netnsName === ref)));
    return byNs ?? this.findSandbox(ref);
  }

  endpointsOfNetwork(networkId: string): EndpointRecord[] {
    return this.state.endpoints.filter((e) => e.networkId === networkId && !e.pending);
  }

  endpointsOfSandbox(s: SandboxRecord): EndpointRecord[] {
    return s.endpoints.map((id) => this.state.endpoints.find((e) => e.id === id)).filter((e): e is EndpointRecord => !!e && !e.pending);
  }

  networkOf(e: EndpointRecord): NetworkRecord | undefined {
    return this.state.networks.find((n) => n.id === e.networkId);
  }
}
