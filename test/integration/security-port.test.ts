// Port security through the real daemon: a container on a bridge network sends raw Ethernet frames
// (python3 AF_PACKET socket inside its namespace) with a forged source MAC, a forged source IPv4
// address and a forged ARP sender; none reaches its neighbour (tcpdump inside the neighbour sees
// none) and each is counted per reason on the container's switch port in `network inspect`. Then
// the same container's own frames still pass. Everything is removed by cleanupAll.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { cleanupAll, onCleanup } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const t = suite('port security');
let d: TestDaemon;


interface Port { Name: string; Counters: { rxFrames: number; drops: Record<string, number> } }

function portOf(container: string): Port {
  const [n] = JSON.parse(d.ok('network', 'inspect', 'guarded')) as Array<{ Containers: Record<string, { Name: string; EndpointID: string }>; Tsnet: { Ports: Port[] } }>;
  const ep = Object.values(n!.Containers).find((c) => c.Name === container)!;
  return n!.Tsnet.Ports.find((p) => p.Name.endsWith(ep.EndpointID.slice(0, 12)))!;
}

/** Sends one raw frame (hex) out of eth0 inside a container: python3 AF_PACKET. */
function sendRaw(container: string, hex: string): void {
  const py = `import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0)); s.send(bytes.fromhex('${hex}'))`;
  const r = d.inContainer(container, 'python3', ['-c', py]);
  assert.is(r.status, 0, r.stderr);
}

const mac = (m: string) => m.replace(/:/g, '');
const ipHex = (ip: string) => ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('');

/** An IPv4/UDP frame (checksums zero: the receiver's kernel need not accept it, tcpdump sees it). */
function udpFrame(dst: string, src: string, srcIp: string, dstIp: string, marker: string): string {
  const payload = Buffer.from(marker).toString('hex');
  const udpLen = 8 + marker.length;
  const ipLen = 20 + udpLen;
  const ip = '4500' + ipLen.toString(16).padStart(4, '0') + '00004000' + '4011' + '0000' + ipHex(srcIp) + ipHex(dstIp);
  const udp = '3039' + '3039' + udpLen.toString(16).padStart(4, '0') + '0000' + payload;
  return mac(dst) + mac(src) + '0800' + ip + udp;
}

function arpRequest(srcMac: string, sha: string, spa: string, tpa: string): string {
  return 'ffffffffffff' + mac(srcMac) + '0806' + '0001080006040001' + mac(sha) + ipHex(spa) + '000000000000' + ipHex(tpa);
}

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.66.0.0/24', 'guarded');
  d.ok('run', '-d', '--name', 'evil', '--net', 'guarded', '--ip', '10.66.0.10', '--', 'sleep', '600');
  d.ok('run', '-d', '--name', 'victim', '--net', 'guarded', '--ip', '10.66.0.20', '--', 'sleep', '600');
});
t.after(() => cleanupAll());

t('forged source MAC, source IPv4 and ARP sender are dropped, counted, and never delivered', async () => {
  const [n] = JSON.parse(d.ok('network', 'inspect', 'guarded')) as Array<{ Containers: Record<string, { Name: string; MacAddress: string }> }>;
  const evilMac = Object.values(n!.Containers).find((c) => c.Name === 'evil')!.MacAddress;
  const victimMac = Object.values(n!.Containers).find((c) => c.Name === 'victim')!.MacAddress;
  // tcpdump inside the victim prints every frame with our markers that arrives
  const dump: ChildProcess = spawn('ip', ['netns', 'exec', d.prefix + 'victim', 'tcpdump', '-i', 'eth0', '-l', '-n', '-A', 'udp port 12345 or arp'], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    if (dump.exitCode === null && dump.signalCode === null) dump.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  dump.stdout!.on('data', (b) => (out += b));
  dump.stderr!.on('data', (b) => (err += b));
  await until('tcpdump in the victim', () => err.includes('listening on'));

  sendRaw('evil', udpFrame(victimMac, '02:42:0a:42:00:63', '10.66.0.10', '10.66.0.20', 'FORGED-MAC'));
  sendRaw('evil', udpFrame(victimMac, evilMac, '10.66.0.99', '10.66.0.20', 'FORGED-IP'));
  sendRaw('evil', arpRequest(evilMac, evilMac, '10.66.0.1', '10.66.0.20')); // claims the gateway
  sendRaw('evil', udpFrame(victimMac, evilMac, '10.66.0.10', '10.66.0.20', 'HONEST-FRAME'));
  await until('the honest frame at the victim', () => out.includes('HONEST-FRAME'));
  const exited = new Promise((r) => dump.once('exit', r));
  dump.kill('SIGINT');
  await exited;
  assert.not.ok(out.includes('FORGED-MAC'), 'forged MAC delivered');
  assert.not.ok(out.includes('FORGED-IP'), 'forged IP delivered');
  assert.not.ok(/ARP.*tell 10\.66\.0\.1\b/.test(out), 'forged ARP delivered');
  const p = portOf('evil');
  assert.is(p.Counters.drops['spoofed-mac'], 1);
  assert.is(p.Counters.drops['spoofed-ip'], 1);
  assert.is(p.Counters.drops['spoofed-arp'], 1);
});

t.run();
