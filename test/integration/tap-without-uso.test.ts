// A daemon on a kernel without USO (Linux < 6.2, e.g. Debian 12's own 6.1): the daemon runs under a
// seccomp filter (test/helpers/as-kernel-without-uso.py) that refuses TUNSETOFFLOAD with the USO
// flags as such a kernel does, so every container TAP falls back to TSO and checksum offload alone.
// Checked on real containers of a bridge network: the TAPs have TSO but no UDP segmentation, inspect
// says so, a UDP_SEGMENT sender's datagrams (cut by its own kernel and queued on its TAP in bursts)
// all arrive in order and are written into the receiving container one by one (a kernel without USO
// refuses UDP_L4 super-frames, so merging them would lose them), and TCP still goes as super-frames.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cleanupAll, trySh } from '../helpers/netns.js';
import { features } from '../helpers/ethtool.js';
import { tcpTransfer } from '../helpers/tcp-transfer.js';
import { COUNT, udpSegmentTransfer } from '../helpers/udp-segment-transfer.js';

// Debian's python3 with python3-seccomp (a python3 earlier on PATH may lack the module)
const WRAPPER = ['/usr/bin/python3', resolve('test/helpers/as-kernel-without-uso.py')];

interface PortView {
  Name: string;
  Kind: string;
  Counters: { txFrames: number; drops: Record<string, number> };
  Offload?: { udpSegmentation: boolean; superFrames: number; udpSuperFrames: number; udpCoalescedFrames: number; coalescedFrames: number; passedThrough: number };
}

let d: TestDaemon;
const ips: Record<string, string> = {};

function ports(): PortView[] {
  const [net] = JSON.parse(d.ok('network', 'inspect', 'nouso')) as Array<{ Tsnet: { Ports: PortView[] } }>;
  return net!.Tsnet.Ports;
}

/** The endpoint port of container `name` (its TAP port is named after its endpoint id). */
function portOf(name: string): PortView {
  const [c] = JSON.parse(d.ok('inspect', name)) as Array<{ NetworkSettings: { Networks: Record<string, { EndpointID: string }> } }>;
  const ep = c!.NetworkSettings.Networks.nouso!.EndpointID.slice(0, 12);
  const p = ports().find((x) => x.Name.endsWith(`:${ep}`));
  if (!p) throw new Error(`no port for ${name} (${ep}) in ${JSON.stringify(ports().map((x) => x.Name))}`);
  return p;
}

test.before(async () => {
  const probe = trySh(WRAPPER[0]!, ['-c', 'import seccomp']);
  if (probe.status !== 0) throw new Error(`this test needs Debian's python3-seccomp (scripts/setup.sh installs it): ${probe.stderr}`);
  d = await startTestDaemon({ wrapper: WRAPPER });
  d.ok('network', 'create', '--subnet', '10.83.0.0/24', 'nouso');
  for (const name of ['ua', 'ub']) {
    d.ok('run', '-d', '--name', name, '--net', 'nouso', '--', 'sleep', '600');
    const [c] = JSON.parse(d.ok('inspect', name)) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    ips[name] = c!.NetworkSettings.Networks.nouso!.IPAddress;
  }
});

test.after(() => cleanupAll());

test('the TAPs fall back to TSO and checksum offload, and inspect says USO is off', () => {
  for (const name of ['ua', 'ub']) {
    const f = features(d.prefix + name, 'eth0');
    assert.is(f['tcp-segmentation-offload'], 'on', `TSO on ${name}'s eth0`);
    assert.is(f['tx-udp-segmentation'], 'off', `no USO on ${name}'s eth0`);
    assert.is(portOf(name).Offload?.udpSegmentation, false, `inspect of ${name}'s port`);
  }
});

test('UDP_SEGMENT sends arrive whole and in order; the datagrams go into the container one by one', async () => {
  const r = await udpSegmentTransfer(d.prefix + 'ua', d.prefix + 'ub', ips.ub!);
  const a = portOf('ua');
  const b = portOf('ub');
  const where = `A ${JSON.stringify(a)}, B ${JSON.stringify(b)}`;
  assert.is(r.got.length, COUNT, `every datagram arrived (${where})`);
  assert.is(r.bad, 0, 'each with its own bytes, in order');
  assert.equal(r.got, r.expected, 'each with its own length');
  assert.is(a.Offload!.udpSuperFrames, 0, `A's kernel cut its sends itself (${where})`);
  assert.is(b.Offload!.udpCoalescedFrames, 0, `nothing merged into a UDP_L4 frame for B (${where})`);
  assert.ok(b.Counters.txFrames >= COUNT, `written one by one (${where})`);
  for (const p of [a, b]) assert.equal(p.Counters.drops, {}, `no drop on ${p.Name} (${where})`);
});

test('TCP still goes as super-frames (TSO) and arrives intact', async () => {
  const r = await tcpTransfer(d.prefix + 'ua', d.prefix + 'ub', ips.ub!, 4 << 20);
  assert.is(r.received, 4 << 20);
  assert.is(r.receivedSha, r.sentSha);
  const a = portOf('ua');
  assert.ok(a.Offload!.superFrames > 0, `A's TAP gave TCP super-frames (${JSON.stringify(a.Offload)})`);
});

test.run();
