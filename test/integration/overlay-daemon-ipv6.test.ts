// Two daemons whose overlay runs over an IPv6 underlay: host namespaces joined by a veth with
// fd00:78::1/64 and fd00:78::2/64, each daemon's VTEP bound to its IPv6 address (`--vxlan-bind`),
// and a static-peer overlay (`network create -d overlay -o vni=78 --peer fd00:78::N`) on both.
// Checks the network's MTU (1500 - 70: the outer header is IPv6), that containers on the two hosts
// ping each other at exactly that size with DF set, and that the underlay carried the frames as
// IPv6/UDP to port 4789 with VNI 78, nothing over IPv4. A daemon whose VTEP is IPv4 (`--vxlan-bind
// 0.0.0.0`) refuses an IPv6 peer with one clear sentence. Daemons with no `--vxlan-bind` listen on
// [::] for both families: between two hosts whose link has an IPv4 and an IPv6 address, one overlay
// with an IPv4 peer and one with an IPv6 peer work side by side, each over its own family.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, ip, makeNetns, makeVeth, onCleanup, trySh } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const A6 = 'fd00:78::1';
const B6 = 'fd00:78::2';
const UL = ['d6ul0', 'd6ul1'];
const INNER_MTU = 1500 - 70;
// ping's payload for a packet of exactly INNER_MTU bytes: minus IPv4 (20) and ICMP (8) headers
const FULL_PAYLOAD = INNER_MTU - 28;

const t = suite('overlay between daemons over an IPv6 underlay');
const h: TestDaemon[] = [];
let hosts: string[] = [];

t.before(async () => {
  hosts = [makeNetns('d6ha'), makeNetns('d6hb')];
  makeVeth({ name: UL[0], ns: hosts[0]! }, { name: UL[1], ns: hosts[1]! });
  for (const [i, addr] of [A6, B6].entries()) {
    ip('-n', hosts[i]!, 'addr', 'add', `${addr}/64`, 'dev', UL[i]!, 'nodad');
    ip('-n', hosts[i]!, 'link', 'set', UL[i]!, 'up');
  }
  h.push(await startTestDaemon({ hostNs: hosts[0]!, extraArgs: ['--vxlan-bind', A6] }));
  h.push(await startTestDaemon({ hostNs: hosts[1]!, extraArgs: ['--vxlan-bind', B6] }));
});
t.after(() => cleanupAll());

t('create the overlay on both hosts with the other IPv6 VTEP as peer', () => {
  h[0]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=78', '--peer', B6, '--subnet', '10.78.0.0/24', '--ip-range', '10.78.0.0/25', 'ov6');
  h[1]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=78', '--peer', A6, '--subnet', '10.78.0.0/24', '--ip-range', '10.78.0.128/25', 'ov6');
  const [net] = JSON.parse(h[0]!.ok('network', 'inspect', 'ov6')) as Array<Record<string, any>>;
  assert.is(net!.Tsnet.Vni, 78);
  assert.is(net!.Tsnet.Mtu, INNER_MTU);
});

t('containers on the two hosts ping each other at the full MTU, carried as IPv6/UDP', async () => {
  h[0]!.ok('run', '-d', '--name', 'left', '--net', 'ov6', '--', 'sleep', '600');
  h[1]!.ok('run', '-d', '--name', 'right', '--net', 'ov6', '--', 'sleep', '600');
  const addrOf = (d: TestDaemon, name: string) => (JSON.parse(d.ok('inspect', name)) as Array<any>)[0].NetworkSettings.Networks.ov6.IPAddress as string;
  const [leftIp, rightIp] = [addrOf(h[0]!, 'left'), addrOf(h[1]!, 'right')];
  const mtu = JSON.parse(h[0]!.inContainer('left', 'ip', ['-j', 'link', 'show', 'eth0']).stdout)[0].mtu;
  assert.is(mtu, INNER_MTU);

  const dir = mkdtempSync(join(tmpdir(), 'tsnet-ov6-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'underlay.pcap');
  const dump = spawn('ip', ['netns', 'exec', hosts[0]!, 'tcpdump', '-i', UL[0]!, '-w', pcap, '-U', 'udp or icmp or icmp6'], { stdio: 'ignore' });
  onCleanup(() => dump.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 500)); // tcpdump needs to open the device before traffic flows
  const there = h[0]!.inContainer('left', 'ping', ['-c', '3', '-W', '2', '-M', 'do', '-s', String(FULL_PAYLOAD), rightIp]);
  assert.is(there.status, 0, there.stdout + there.stderr);
  const back = h[1]!.inContainer('right', 'ping', ['-c', '3', '-W', '2', '-M', 'do', '-s', String(FULL_PAYLOAD), leftIp]);
  assert.is(back.status, 0, back.stdout + back.stderr);
  const tooBig = h[0]!.inContainer('left', 'ping', ['-c', '1', '-W', '1', '-M', 'do', '-s', String(FULL_PAYLOAD + 1), rightIp]);
  assert.is.not(tooBig.status, 0, 'one byte more does not leave the container with DF set');
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));

  const fields = trySh('tshark', ['-r', pcap, '-d', 'udp.port==4789,vxlan', '-T', 'fields', '-e', 'frame.protocols', '-e', 'ipv6.src', '-e', 'vxlan.vni', '-e', 'icmp.type']).stdout;
  const frames = fields.split('\n').filter(Boolean).map((line) => {
    const [protocols, v6src, vni, icmpType] = line.split('\t');
    return { line, protocols: protocols!, outerSrc: v6src!.split(',')[0], vni, icmpType };
  });
  // 3 + 3 pings, request and reply each; the containers' own IPv6 neighbour discovery crosses too
  const echoes = frames.filter((f) => f.protocols.includes(':vxlan:') && (f.icmpType === '8' || f.icmpType === '0'));
  assert.ok(echoes.length >= 12, `12 echo frames in VXLAN on the underlay (${echoes.length}): ${fields}`);
  for (const f of frames.filter((x) => x.protocols.includes(':vxlan:'))) {
    assert.ok(f.protocols.startsWith('eth:ethertype:ipv6:udp:vxlan:'), `outer header IPv6/UDP: ${f.line}`);
    assert.ok(f.outerSrc === A6 || f.outerSrc === B6, `sent by a VTEP: ${f.line}`);
    assert.is(f.vni, '78', f.line);
  }
  assert.not.ok(frames.some((f) => f.protocols.startsWith('eth:ethertype:ip:')), `nothing over IPv4 on the underlay: ${fields}`);
});

t('a daemon with an IPv4 VTEP refuses an IPv6 peer, in one sentence', async () => {
  const v4host = makeNetns('d6hc');
  const d = await startTestDaemon({ hostNs: v4host, extraArgs: ['--vxlan-bind', '0.0.0.0'] });
  const r = d.cli('network', 'create', '-d', 'overlay', '-o', 'vni=79', '--peer', B6, '--subnet', '10.79.0.0/24', 'mixed');
  assert.is.not(r.status, 0, r.stdout);
  assert.match(r.stderr, /IPv6/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(d.ok('network', 'ls'), /mixed/, 'the network was rolled back');
  d.ok('info'); // the daemon is still there
});

t('daemons with no --vxlan-bind reach an IPv4 and an IPv6 peer, each network over its own family', async () => {
  const ds = [makeNetns('d6hd'), makeNetns('d6he')];
  makeVeth({ name: 'dsul0', ns: ds[0]! }, { name: 'dsul1', ns: ds[1]! });
  const v4 = ['10.213.0.1', '10.213.0.2'];
  const v6 = ['fd00:213::1', 'fd00:213::2'];
  for (const i of [0, 1]) {
    ip('-n', ds[i]!, 'addr', 'add', `${v4[i]}/24`, 'dev', `dsul${i}`);
    ip('-n', ds[i]!, 'addr', 'add', `${v6[i]}/64`, 'dev', `dsul${i}`, 'nodad');
    ip('-n', ds[i]!, 'link', 'set', `dsul${i}`, 'up');
  }
  const d = [await startTestDaemon({ hostNs: ds[0]! }), await startTestDaemon({ hostNs: ds[1]! })];
  for (const i of [0, 1]) {
    const o = 1 - i;
    d[i]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=80', '--peer', v4[o]!, '--subnet', '10.80.0.0/24', '--ip-range', `10.80.0.${i * 128}/25`, 'dual4');
    d[i]!.ok('network', 'create', '-d', 'overlay', '-o', 'vni=81', '--peer', v6[o]!, '--subnet', '10.81.0.0/24', '--ip-range', `10.81.0.${i * 128}/25`, 'dual6');
    d[i]!.ok('run', '-d', '--name', `dual${i}`, '--net', 'dual4', '--', 'sleep', '600');
    d[i]!.ok('network', 'connect', 'dual6', `dual${i}`);
  }
  const mtuOf = (net: string) => (JSON.parse(d[0]!.ok('network', 'inspect', net)) as Array<Record<string, any>>)[0]!.Tsnet.Mtu;
  assert.is(mtuOf('dual4'), 1500 - 50, 'an IPv4 peer: 50 bytes of outer headers');
  assert.is(mtuOf('dual6'), 1500 - 70, 'an IPv6 peer: 70');

  const dir = mkdtempSync(join(tmpdir(), 'tsnet-dual-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'underlay.pcap');
  const dump = spawn('ip', ['netns', 'exec', ds[0]!, 'tcpdump', '-i', 'dsul0', '--immediate-mode', '-w', pcap, '-U', 'udp port 4789'], { stdio: 'ignore' });
  onCleanup(() => dump.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 500)); // tcpdump needs to open the device before traffic flows
  const nets = JSON.parse(d[1]!.ok('inspect', 'dual1'))[0].NetworkSettings.Networks as Record<string, { IPAddress: string }>;
  for (const net of ['dual4', 'dual6']) {
    const r = d[0]!.inContainer('dual0', 'ping', ['-c', '3', '-W', '2', nets[net]!.IPAddress]);
    assert.is(r.status, 0, `${net}: ${r.stdout}${r.stderr}`);
  }
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));
  const fields = trySh('tshark', ['-r', pcap, '-d', 'udp.port==4789,vxlan', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'icmp.type']).stdout;
  const echoes = fields.split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => f[3] === '8' || f[3] === '0');
  const over = (vni: string) => echoes.filter((f) => f[0] === vni);
  assert.ok(over('80').length >= 6 && over('81').length >= 6, `requests and replies of both networks crossed the underlay: ${fields}`);
  // ip.src / ipv6.src list the outer header's address first, then the inner packet's
  const outer = (field: string | undefined) => field?.split(',')[0] ?? '';
  for (const f of over('80')) assert.ok(v4.includes(outer(f[1])) && !f[2], `VNI 80 over IPv4 between the hosts: ${f.join(' ')}`);
  for (const f of over('81')) assert.ok(v6.includes(outer(f[2])) && !f[1]?.includes('10.213.'), `VNI 81 over IPv6 between the hosts: ${f.join(' ')}`);
  for (const i of [0, 1]) {
    d[i]!.ok('rm', '-f', `dual${i}`);
    d[i]!.ok('network', 'rm', 'dual4', 'dual6');
  }
});

t('remove', () => {
  for (const d of h) {
    d.ok('rm', '-f', d === h[0] ? 'left' : 'right');
    d.ok('network', 'rm', 'ov6');
  }
});

t.run();
