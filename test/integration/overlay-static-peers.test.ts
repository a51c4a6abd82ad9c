// An overlay network between two daemons with static peers and no discovery:
// `network create -d overlay -o vni=42 --peer IP` on each host. Containers on the two hosts reach
// each other through tsnet's userspace VXLAN (learning + head-end replication), the container MTU is
// the underlay's minus 50, a TCP transfer completes, and the frames on the underlay are VXLAN with
// VNI 42 (tshark decodes them).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, inNs, onCleanup, trySh } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay } from '../helpers/underlay.js';

const t = suite('overlay with static peers');
let h: TestDaemon[] = [];
let ul: ReturnType<typeof makeUnderlay>;

t.before(async () => {
  ul = makeUnderlay(2);
  for (const host of ul.hosts) h.push(await startTestDaemon({ hostNs: host.ns }));
});
t.after(() => cleanupAll());

t('create the overlay on both hosts with each other as peer', () => {
  const [a, b] = ul.hosts;
  h[0]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=42', '--peer', b!.address, '--subnet', '10.42.0.0/24', '--ip-range', '10.42.0.0/25', 'ov');
  h[1]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=42', '--peer', a!.address, '--subnet', '10.42.0.0/24', '--ip-range', '10.42.0.128/25', 'ov');
  const [net] = JSON.parse(h[0]!.ok('network', 'inspect', 'ov')) as Array<Record<string, any>>;
  assert.is(net!.Driver, 'overlay');
  assert.is(net!.Tsnet.Vni, 42);
  assert.is(net!.Tsnet.Mtu, 1450);
});

t('containers on the two hosts ping each other and move TCP through the tunnel', async () => {
  h[0]!.ok('run', '-d', '--name', 'left', '--net', 'ov', '--', 'sleep', '600');
  h[1]!.ok('run', '-d', '--name', 'right', '--net', 'ov', '--', 'sleep', '600');
  const rightIp = (JSON.parse(h[1]!.ok('inspect', 'right')) as Array<any>)[0].NetworkSettings.Networks.ov.IPAddress as string;
  assert.match(rightIp, /^10\.42\.0\.1\d\d$/);
  const mtu = JSON.parse(h[0]!.inContainer('left', 'ip', ['-j', 'link', 'show', 'eth0']).stdout)[0].mtu;
  assert.is(mtu, 1450);

  const dir = mkdtempSync(join(tmpdir(), 'tsnet-ov-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'underlay.pcap');
  const dump = spawn('ip', ['netns', 'exec', ul.hosts[0]!.ns, 'tcpdump', '-i', 'ul0', '-w', pcap, '-U', 'udp port 4789'], { stdio: 'ignore' });
  onCleanup(() => dump.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 500)); // tcpdump needs to open the device before traffic flows
  const ping = h[0]!.inContainer('left', 'ping', ['-c', '3', '-W', '2', rightIp]);
  assert.is(ping.status, 0, ping.stdout + ping.stderr);
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));
  const fields = trySh('tshark', ['-r', pcap, '-d', 'udp.port==4789,vxlan', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'icmp.type']).stdout;
  assert.match(fields, /^42\t8$/m, 'an echo request inside VNI 42');
  assert.match(fields, /^42\t0$/m, 'an echo reply inside VNI 42');

  const server = spawn('ip', ['netns', 'exec', h[1]!.prefix + 'right', 'iperf3', '-s', '-1'], { stdio: 'ignore' });
  onCleanup(() => server.kill('SIGKILL'));
  let r = { status: -1, stdout: '', stderr: '' };
  for (let i = 0; i < 20 && r.status !== 0; i++) {
    r = inNs(h[0]!.prefix + 'left', 'iperf3', ['-c', rightIp, '-n', '4M', '-J'], 60_000);
    if (r.status !== 0) await new Promise((res) => setTimeout(res, 250));
  }
  assert.is(r.status, 0, r.stdout.slice(0, 500) + r.stderr);
  // iperf3 exits 0 once the server acknowledged the whole transfer; it reports what it sent
  const end = JSON.parse(r.stdout).end as { sum_sent: { bytes: number; retransmits: number } };
  assert.ok(end.sum_sent.bytes >= 4 * 1024 * 1024, `sent ${end.sum_sent.bytes} bytes`);
  console.log(`    4 MiB over the overlay: ${end.sum_sent.retransmits} retransmits`);
  // the bulk left as TSO super-frames the switch cut for the tunnel and was merged again at the receiver
  type Reader = { wakeups: number; batches: number; frames: number; drops: number; readNowFrames: number };
  type Stats = { Switch: { segmented: number; segments: number }; Ports: Array<{ Kind: string; Offload?: { superFrames: number; coalescedFrames: number }; Reader?: Reader }> };
  const stats = (i: number) => JSON.parse(h[i]!.ok('stats', 'ov')) as Stats;
  const sent = stats(0);
  const got = stats(1);
  const sentOffload = sent.Ports.find((p) => p.Offload)?.Offload;
  assert.ok(sentOffload && sentOffload.superFrames > 0, `super-frames read on host 1 (${JSON.stringify(sentOffload)})`);
  assert.ok(sent.Switch.segmented > 0 && sent.Switch.segments > sent.Switch.segmented, `cut for the tunnel (${JSON.stringify(sent.Switch)})`);
  const gotOffload = got.Ports.find((p) => p.Offload)?.Offload;
  assert.ok(gotOffload && gotOffload.coalescedFrames > 0, `segments merged into super-frames on host 2 (${JSON.stringify(gotOffload)})`);
  // each TAP port shows its reader's counters, read-backs included
  for (const s of [sent, got]) {
    const taps = s.Ports.filter((p) => p.Kind === 'tap');
    assert.ok(taps.length > 0 && taps.every((p) => p.Reader && p.Reader.readNowFrames <= p.Reader.frames), JSON.stringify(taps));
    assert.ok(taps.some((p) => p.Reader!.frames > 0), `the container's TAP was read (${JSON.stringify(taps)})`);
  }
});

t('remove', () => {
  for (const d of h) {
    d.ok('rm', '-f', d === h[0] ? 'left' : 'right');
    d.ok('network', 'rm', 'ov');
  }
});

t.run();
