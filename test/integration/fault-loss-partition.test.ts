// Underlay faults between two hosts (SECURITY.md), injected with iptables inside the host namespaces
// (tc netem does not exist here): random loss of 1% and then 10% of every packet in and out of host 2
// (`-m statistic --mode random`): pings are mostly answered, neither host sees the other down (a
// false "down" withdraws the peer's endpoints and drops its VXLAN traffic as not-member), a 2 MB TCP
// transfer (iperf3) between containers on the two hosts completes, and the control plane converges (a global network created
// during the loss, and a container on it, appear on the other host and answer by name). Then a
// partition (DROP between the two underlay addresses): each side sees the other down; after healing,
// both see each other up again and names and pings work again.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cleanupAll, sh, trySh } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay } from '../helpers/underlay.js';
import { until as waitUntil } from '../helpers/until.js';

const t = suite('loss and partition on the underlay');
let h1: TestDaemon;
let h2: TestDaemon;
let ul: ReturnType<typeof makeUnderlay>;

const until = <T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000) => waitUntil(what, fn, timeoutMs);

const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;

/** The daemon's "host ... is down" log lines so far (its log is read between our synchronous calls). */
const downLines = (d: TestDaemon) => d.log.join('').split('\n').filter((l) => / is down: /.test(l));

/** Drops `probability` of packets in and out of the host's underlay interface; returns the undo. */
function loss(ns: string, probability: number): () => void {
  const rules = [
    ['INPUT', '-i', 'ul0'],
    ['OUTPUT', '-o', 'ul0'],
  ].map((r) => [...r, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP']);
  for (const r of rules) sh('ip', ['netns', 'exec', ns, 'iptables', '-A', ...r]);
  return () => {
    for (const r of rules) trySh('ip', ['netns', 'exec', ns, 'iptables', '-D', ...r]);
  };
}

/** Drops everything between two underlay addresses, on the first host (both directions). */
function partition(ns: string, peer: string): () => void {
  const rules = [
    ['INPUT', '-s', peer, '-j', 'DROP'],
    ['OUTPUT', '-d', peer, '-j', 'DROP'],
  ];
  for (const r of rules) sh('ip', ['netns', 'exec', ns, 'iptables', '-A', ...r]);
  return () => {
    for (const r of rules) trySh('ip', ['netns', 'exec', ns, 'iptables', '-D', ...r]);
  };
}

function pingStats(d: TestDaemon, ctr: string, target: string, count: number): { sent: number; got: number } {
  const r = d.inContainer(ctr, 'ping', ['-c', String(count), '-i', '0.05', '-W', '5', target], 60_000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  return { sent: Number(m?.[1] ?? count), got: Number(m?.[2] ?? 0) };
}

/** iperf3 -n 2M from a container on host 2 to a server in a container on host 1. */
async function transfer(serverIp: string): Promise<{ status: number; out: string }> {
  const server = spawn('ip', ['netns', 'exec', h1.prefix + 'srv', 'iperf3', '-s', '-1', '-B', serverIp], { stdio: 'ignore' });
  try {
    const r = await until('iperf3 to finish', () => {
      const c = h2.inContainer('cli', 'iperf3', ['-c', serverIp, '-n', '2M', '--connect-timeout', '3000'], 120_000);
      return c.status === 0 || !/unable to connect|Connection refused/.test(c.stderr + c.stdout) ? c : undefined;
    }, 30_000);
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    server.kill('SIGKILL');
  }
}

t.before(async () => {
  ul = makeUnderlay(2, { subnet: '10.213.0' });
  const [a, b] = ul.hosts;
  h1 = await startTestDaemon({ hostNs: a!.ns, extraArgs: ['--advertise', a!.address, '--listen', `${a!.address}:7946`] });
  h2 = await startTestDaemon({ hostNs: b!.ns, extraArgs: ['--advertise', b!.address, '--listen', `${b!.address}:7946`, '--join', `${a!.address}:7946`] });
  await until('the two hosts to see each other', () => upHosts(h1) === 1 && upHosts(h2) === 1);
  h1.ok('network', 'create', 'lossy');
  await until('lossy on host 2', () => h2.ok('network', 'ls').includes('lossy'));
  h1.ok('run', '-d', '--name', 'srv', '--net', 'lossy', '--', 'sleep', '3600');
  h2.ok('run', '-d', '--name', 'cli', '--net', 'lossy', '--', 'sleep', '3600');
  await until('cli pings srv by name', () => h2.inContainer('cli', 'ping', ['-c', '1', '-W', '2', 'srv']).status === 0);
});
t.after(() => cleanupAll());

// most replies, not a timing bound: late replies (a busy CI core) still count within ping's -W 5
for (const [pct, minReplies] of [[1, 0.8], [10, 0.5]] as const) {
  t(`${pct}% random loss on host 2's underlay: pings mostly answered, 2 MB over TCP, control plane converges`, async () => {
    const downBefore = [downLines(h1).length, downLines(h2).length];
    const undo = loss(ul.hosts[1]!.ns, pct / 100);
    try {
      const srvIp = (JSON.parse(h1.ok('inspect', 'srv')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>)[0]!.NetworkSettings.Networks.lossy!.IPAddress;
      const p = pingStats(h2, 'cli', srvIp, 100);
      console.log(`    ${pct}% loss: ${p.got}/${p.sent} pings answered`);
      assert.ok(p.got >= p.sent * minReplies, `${p.got} of ${p.sent} pings answered`);
      const x = await transfer(srvIp);
      assert.is(x.status, 0, x.out.slice(-500));
      // control plane under loss: a new global network and a container on it reach the other host
      const name = `under${pct}`;
      h1.ok('network', 'create', name);
      await until(`${name} on host 2`, () => h2.ok('network', 'ls').includes(name));
      h1.ok('network', 'connect', name, 'srv');
      h2.ok('network', 'connect', name, 'cli');
      const ipOn = (net: string) => (JSON.parse(h1.ok('inspect', 'srv')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>)[0]!.NetworkSettings.Networks[net]!.IPAddress;
      const srvOnNew = ipOn(name);
      await until(`srv's endpoint on ${name} reachable from host 2`, () => h2.inContainer('cli', 'ping', ['-c', '1', '-W', '2', srvOnNew]).status === 0);
      h2.ok('network', 'disconnect', name, 'cli');
      h1.ok('network', 'disconnect', name, 'srv');
      await until(`${name} removable`, () => h1.cli('network', 'rm', name).status === 0);
      await new Promise((r) => setTimeout(r, 200)); // the daemons' last log lines reach us
      const falseDowns = [...downLines(h1).slice(downBefore[0]), ...downLines(h2).slice(downBefore[1])];
      assert.equal(falseDowns, [], 'no host was seen down while the underlay only lost packets');
    } finally {
      undo();
    }
  });
}

t('partition between the two hosts: each sees the other down; after healing, names and pings converge', async () => {
  const [a, b] = ul.hosts;
  const heal = partition(a!.ns, b!.address);
  try {
    await until('each host sees the other down', () => upHosts(h1) === 0 && upHosts(h2) === 0);
    await until('srv no longer resolves on host 2', () => h2.inContainer('cli', 'dig', ['+short', '+time=1', '+tries=1', 'srv']).stdout.trim() === '');
  } finally {
    heal();
  }
  await until('both hosts up again', () => upHosts(h1) === 1 && upHosts(h2) === 1);
  await until('cli pings srv by name again', () => h2.inContainer('cli', 'ping', ['-c', '1', '-W', '2', 'srv']).status === 0);
  await until('srv pings cli by name again', () => h1.inContainer('srv', 'ping', ['-c', '1', '-W', '2', 'cli']).status === 0);
});

t.run();
