// The pluggable L2 path between the two bench containers (bench/e2e/run.ts picks them by id).
// A path wires cA and cB of a Topology together, starts whatever switching processes it needs and
// says which PIDs do the switching so the harness can charge their CPU time per packet.
import type { Topology } from '../topology.js';

export type PathId = 'veth' | 'kernel' | 'tinc' | 'tinc-plain' | 'tsnet' | 'tsnet-poll' | 'tsnet-daemon' | 'tsnet-daemon-sealed';

export interface SwitchProcess {
  /** Which host namespace it runs in. */
  readonly host: 'A' | 'B';
  readonly pid: number;
  alive(): boolean;
  log(): string;
}

/** A switch's busy-poll counters (tsnet's VTEP: native/busy_poll.c), totals since it started. */
export interface BusyPollCounters {
  readonly host: 'A' | 'B';
  /** bursts that found a look-ahead window open */
  readonly aheadHits: number;
  /** bursts that came while busy-polling was in a hold-off (CPU contended), so found no window */
  readonly aheadMissHoldoff: number;
  /** bursts seen (met or missed; none when the switch kept polling through every gap) */
  readonly aheadBursts: number;
}

export interface PathHandle {
  /** Userspace processes that forward the frames (empty for kernel-only paths). */
  readonly switches: readonly SwitchProcess[];
  /** The switches' busy-poll counters, for paths whose switches report them (tsnet). */
  busyPollCounters?(): Promise<BusyPollCounters[]>;
  /** Stops the processes it started (namespaces are removed by the topology's cleanup). */
  stop(): Promise<void>;
}

export interface BenchPath {
  readonly id: PathId;
  /** One line for the report: what this path is. */
  readonly label: string;
  /** null when the path can run here, otherwise the reason it cannot (shown in the report). */
  unavailable(): string | null;
  /** Wires the containers; resolves once the processes are started (the harness waits for ping). */
  setup(t: Topology): Promise<PathHandle>;
}
