// Docker hosts for multi-host Docker tests: N "hosts" on one underlay (underlay.ts), each a network
// namespace running a real tsnet daemon that joins the others through the DHT (--advertise, --listen,
// --join the first host), and a private dockerd in that namespace and in a mount namespace of its own
// (so each sees only its own /run/docker/plugins) with the tsnet plugin process pointed at that
// host's daemon (dockerd.ts). Everything is registered with cleanupAll: containers and networks
// removed through Docker first, then dockerds stopped by PID, daemons killed, namespaces deleted.
import { startTestDaemon, type TestDaemon } from './daemon.js';
import { startTestDockerd, type TestDockerd } from './dockerd.js';
import { makeUnderlay } from './underlay.js';

// --- our choice ---
const CLUSTER_PORT = 7946;
const CLUSTER_UP_TIMEOUT_MS = 30_000;

export interface DockerHost {
  /** the host's network namespace */
  ns: string;
  /** its underlay address */
  address: string;
  daemon: TestDaemon;
  dockerd: TestDockerd;
}

const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;

/** Starts `count` Docker hosts whose tsnet daemons form one cluster; resolves once all see each other. */
export async function startDockerHosts(count: number): Promise<DockerHost[]> {
  const ul = makeUnderlay(count);
  const first = ul.hosts[0]!.address;
  const daemons: TestDaemon[] = [];
  for (const [i, h] of ul.hosts.entries()) {
    const join = i === 0 ? [] : ['--join', `${first}:${CLUSTER_PORT}`];
    daemons.push(await startTestDaemon({ hostNs: h.ns, extraArgs: ['--advertise', h.address, '--listen', `${h.address}:${CLUSTER_PORT}`, ...join] }));
  }
  const deadline = Date.now() + CLUSTER_UP_TIMEOUT_MS;
  while (!daemons.every((d) => upHosts(d) === count - 1)) {
    if (Date.now() > deadline) throw new Error(`the ${count} tsnet daemons did not all see each other within ${CLUSTER_UP_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return ul.hosts.map((h, i) => ({ ns: h.ns, address: h.address, daemon: daemons[i]!, dockerd: startTestDockerd({ netns: h.ns, apiSocket: daemons[i]!.socket }) }));
}
