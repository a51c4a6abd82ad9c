// The overlay side of the observing tools on two real daemons ("hosts" in their own namespaces on
// one underlay) with a static-peer overlay network: `tsnet peers` lists the other VTEP, and `tsnet
// capture --underlay` writes the VXLAN packets of a ping as they cross the underlay; tshark
// dissects them (outer IPv4/UDP 4789, VXLAN VNI, inner ICMP) and they match, field for field, what
// tcpdump captures on the underlay interface at the same time (source ports included).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, onCleanup } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay } from '../helpers/underlay.js';

const t = suite('observe: peers and capture --underlay on an overlay');
const VNI = '4242';
let a: TestDaemon;
let b: TestDaemon;
let dir: string;
let bIp = '';
let ul: ReturnType<typeof makeUnderlay>;

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function background(cmd: string, args: string[]) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  let err = '';
  p.stderr.on('data', (x: Buffer) => (err += x));
  p.stdout.resume();
  const exited = new Promise<number>((resolve) => p.on('exit', (c) => resolve(c ?? -1)));
  return { p, exited, err: () => err };
}

const fields = (file: string, f: string[]) =>
  spawnSync('tshark', ['-r', file, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], { encoding: 'utf8' }).stdout.trim().split('\n');

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-underlay-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  ul = makeUnderlay(2);
  a = await startTestDaemon({ hostNs: ul.hosts[0]!.ns });
  b = await startTestDaemon({ hostNs: ul.hosts[1]!.ns });
  const create = (d: TestDaemon, range: string, peer: string) =>
    d.ok('network', 'create', '-d', 'overlay', '--subnet', '10.77.0.0/24', '--ip-range', range, '-o', `vni=${VNI}`, '--peer', peer, 'ov');
  create(a, '10.77.0.0/25', ul.hosts[1]!.address);
  create(b, '10.77.0.128/25', ul.hosts[0]!.address);
  a.ok('run', '-d', '--name', 'ra', '--net', 'ov', '--', 'sleep', '600');
  b.ok('run', '-d', '--name', 'rb', '--net', 'ov', '--', 'sleep', '600');
  bIp = (JSON.parse(b.ok('inspect', 'rb')) as Array<any>)[0].NetworkSettings.Networks.ov.IPAddress;
  await until('ra to reach rb over the overlay', () => a.inContainer('ra', 'ping', ['-c', '1', '-W', '1', bIp]).status === 0);
});
t.after(() => cleanupAll());

t('peers lists the other VTEP with what the switch knows behind it', () => {
  const out = a.ok('peers', 'ov');
  assert.match(out, /^VTEP\s+HOST\s+STATE\s+LAST SEEN\s+RTT\s+PATH MTU\s+ENDPOINTS\s+MACS\s+TX\s+RX\s+DROPS/);
  assert.match(out, new RegExp(`${ul.hosts[1]!.address.replace(/\./g, '\\.')}:4789\\s+-\\s+static\\s+-\\s+-\\s+\\d+\\s+\\d+\\s+[1-9]`));
  assert.match(out, /vxlan4242 \(VNI 4242\): tx \d+ frames, rx \d+ frames/);
  assert.match(out, /underlay socket \(all overlays of this host\): rx [1-9]\d* datagrams in \d+ batches .* busy-poll [1-9]\d* windows \(\d+ cut\), look-ahead \d+ windows met \d+ bursts/);
  const v = JSON.parse(a.ok('peers', 'ov', '--format', 'json')) as { vni: number; peers: Array<{ macs: number }>; underlay: { sent: number; busyPollAheadWindows: number } };
  assert.is(v.vni, Number(VNI));
  assert.ok(v.underlay.sent > 0 && Number.isInteger(v.underlay.busyPollAheadWindows), JSON.stringify(v.underlay));
  assert.ok(v.peers[0]!.macs >= 1, 'rb was learned behind the peer');
  assert.match(a.ok('fdb', 'ov'), new RegExp(`vxlan4242\\s+${ul.hosts[1]!.address.replace(/\./g, '\\.')}:4789\\s+learned`));
});

t('capture --underlay matches what tcpdump sees on the underlay, and tshark dissects it', async () => {
  const synth = join(dir, 'underlay.pcap');
  const real = join(dir, 'real.pcap');
  const tcpdump = background('ip', ['netns', 'exec', ul.hosts[0]!.ns, 'tcpdump', '-U', '-n', '-i', 'ul0', '-w', real, '-c', '4', 'udp dst port 4789 and udp[8:2] = 0x0800 and udp[28:2] = 0x0800 and udp[39] = 1']);
  const cap = background(process.execPath, [CLI, '--host', a.socket, 'capture', 'ov', '--underlay', '-c', '4', '-w', synth, 'icmp']);
  await until('tcpdump to listen', () => /listening on ul0/.test(tcpdump.err()));
  await until('the capture to be live (its pcap header written)', () => existsSync(synth) && statSync(synth).size >= 24);
  // no sleep: ping until both captures have their 4 packets (2 echo requests + 2 replies)
  await until('both captures to finish', () => {
    a.inContainer('ra', 'ping', ['-c', '1', '-W', '1', bIp]);
    return cap.p.exitCode !== null && tcpdump.p.exitCode !== null;
  });
  assert.is(await cap.exited, 0, cap.err());
  assert.ok(existsSync(synth) && statSync(synth).size > 24);
  const f = ['ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'vxlan.vni', 'eth.type', 'arp.opcode', 'icmp.type'];
  const mine = fields(synth, f);
  assert.is(mine.length, 4, mine.join('\n'));
  // outer addresses, UDP port, VNI and the inner ICMP type, packet for packet, as on the wire
  const wire = fields(real, f);
  assert.equal(mine, wire);
  assert.equal(mine.map((r) => r.split('\t').pop()), ['8', '0', '8', '0'], 'echo request, reply, request, reply');
  for (const row of mine) {
    const [src, dst, , dport, vni] = row.split('\t');
    assert.match(src!, /^10\.210\.0\.\d,10\.77\.0\.\d+$/);
    assert.match(dst!, /^10\.210\.0\.\d,10\.77\.0\.\d+$/);
    assert.match(dport!, /^4789/);
    assert.is(vni, VNI);
  }
  const malformed = spawnSync('tshark', ['-r', synth, '-Y', '_ws.malformed || _ws.expert.severity >= "error"'], { encoding: 'utf8' });
  assert.is(malformed.stdout.trim(), '', 'no malformed or error-level packets');
});

t.run();
