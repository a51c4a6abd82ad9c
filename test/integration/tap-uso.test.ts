// UDP segmentation offload from containers (USO, native/tap_open.c TAP_OFFLOADS; the switch's software
// GSO in gso-segmenter.ts): a sender in namespace A uses UDP_SEGMENT (Python, setsockopt 103), so A's
// kernel hands its offload TAP each send as one UDP_L4 super-frame. Through a switch to a plain TAP
// in namespace B the super-frames are cut into datagrams; to an offload TAP they go whole and B's
// kernel cuts them. Either way every datagram must arrive once, in order, with its own length and
// bytes (each send's last one shorter), and the super-frames must really have come from A's TAP.
// Over IPv6 too: B's kernel checks the UDP checksums the switch computed (IPv6 has no way around them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createTapPort } from '../../src/dataplane/tap-port.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, inNs, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';
import { plumbTap, runInNs } from '../helpers/tcp-transfer.js';
import { until } from '../helpers/until.js';
import { features } from '../helpers/ethtool.js';

const SENDS = 12;
const PER_SEND = 9; // datagrams per UDP_SEGMENT send
const SIZE = 1000; // gso_size
const LAST_SIZE = 321; // each send's last datagram
const COUNT = SENDS * PER_SEND;
const PORT = 5400;

// Datagram i (the j-th of send x, i = x * PER_SEND + j): byte k = (i * 31 + k) & 0xff.
const RECEIVER = `const pat=(i,n)=>{const b=Buffer.alloc(n);for(let k=0;k<n;k++)b[k]=(i*31+k)&0xff;return b;};
const [count,per,size,last,port,addr]=process.argv.slice(1).map((x,i)=>i<5?+x:x);
const d=require('dgram').createSocket({type:addr.includes(':')?'udp6':'udp4',recvBufferSize:4<<20});const got=[];let bad=0,t;
const done=()=>{console.log(JSON.stringify({got,bad}));d.close();};
d.on('message',m=>{const i=got.length;const n=i%per===per-1?last:size;if(!m.equals(pat(i,n)))bad++;got.push(m.length);clearTimeout(t);
if(got.length===count)done();else t=setTimeout(done,3000);});d.bind(port,addr,()=>console.log('ready'));`;
// Sender: one sendto per PER_SEND datagrams, the kernel cuts at SIZE (UDP_SEGMENT); 20 ms apart so
// that the receiver keeps up whatever its socket buffer.
const SENDER = `import socket,sys,time
sends,per,size,last,port=map(int,sys.argv[1:6]); addr=sys.argv[6]
pat=lambda i,n: bytes(((i*31+k)&0xff) for k in range(n))
s=socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET,socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP,103,size)  # UDP_SEGMENT (include/uapi/linux/udp.h)
for x in range(sends):
    s.sendto(b''.join(pat(x*per+j,size if j<per-1 else last) for j in range(per)),(addr,port))
    time.sleep(0.02)`;

/** Turns IPv6 back on for eth0 in ns (plumbTap turns it off) and adds addr without DAD. */
function addIpv6(ns: string, addr: string): void {
  const r = inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.eth0.disable_ipv6=0']);
  if (r.status !== 0) throw new Error(`sysctl in ${ns} failed: ${r.stderr}`);
  ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0', 'nodad');
}

async function transfer(offloadB: boolean, v6 = false) {
  const nsA = makeNetns('usoA');
  const nsB = makeNetns('usoB');
  const devA = TapDevice.open({ name: uniqueName('usoa'), offload: true });
  onCleanup(() => devA.close());
  const devB = TapDevice.open({ name: uniqueName('usob'), offload: offloadB });
  onCleanup(() => devB.close());
  plumbTap(devA.name, nsA, '10.82.0.1/24');
  plumbTap(devB.name, nsB, '10.82.0.2/24');
  if (v6) {
    addIpv6(nsA, 'fd82::1/64');
    addIpv6(nsB, 'fd82::2/64');
  }
  const dst = v6 ? 'fd82::2' : '10.82.0.2';
  assert.is(features(nsA, 'eth0')['tx-udp-segmentation'], 'on', "USO on A's TAP");
  let portError: TsnetError | null = null;
  const onError = (e: TsnetError) => (portError = e);
  const sw = createSwitch({ name: 'uso' });
  const a = createTapPort(devA, { onError });
  const b = createTapPort(devB, { onError });
  onCleanup(() => a.close());
  onCleanup(() => b.close());
  sw.addPort(a);
  sw.addPort(b);

  const args = [String(COUNT), String(PER_SEND), String(SIZE), String(LAST_SIZE), String(PORT), dst];
  const receiver = spawn('ip', ['netns', 'exec', nsB, process.execPath, '-e', RECEIVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => receiver.kill());
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until('the receiver to bind', () => out.includes('ready'), 30_000, 25);
  await runInNs(nsA, ['python3', '-c', SENDER, String(SENDS), String(PER_SEND), String(SIZE), String(LAST_SIZE), String(PORT), dst]);
  const line = await until('the receiver to finish', () => /\{.*\}/.exec(out)?.[0], 30_000, 25);
  const r = JSON.parse(line) as { got: number[]; bad: number };
  const lengths = Array.from({ length: COUNT }, (_, i) => (i % PER_SEND === PER_SEND - 1 ? LAST_SIZE : SIZE));
  const where = `A ${JSON.stringify(a.offloadStats)}, B ${JSON.stringify(b.offloadStats)}, switch segmented ${sw.counters.segmented}`;
  assert.is(portError, null, 'no port error');
  assert.is(r.got.length, COUNT, `every datagram arrived (${where})`);
  assert.is(r.bad, 0, 'each with its own bytes, in order');
  assert.equal(r.got, lengths, 'each with its own length');
  // ARP and the like are plain; each UDP_SEGMENT send came as one super-frame
  assert.ok(a.offloadStats.udpSuperFrames >= SENDS, `A's TAP gave the sends as UDP super-frames (${where})`);
  return { a, b, sw };
}

test('USO sends through a switch to a plain TAP are cut into their datagrams (software GSO)', async () => {
  try {
    const { sw } = await transfer(false);
    assert.ok(sw.counters.segmented >= SENDS, `the switch cut them (${sw.counters.segmented})`);
    assert.ok(sw.counters.segments >= COUNT);
  } finally {
    cleanupAll();
  }
});

test('USO sends to an offload TAP go whole, the receiving kernel cuts them', async () => {
  try {
    const { b, sw } = await transfer(true);
    assert.ok(b.offloadStats.passedThrough >= SENDS, `written whole (${JSON.stringify(b.offloadStats)})`);
    assert.is(sw.counters.segmented, 0, 'nothing cut');
  } finally {
    cleanupAll();
  }
});

test('IPv6 USO sends cut for a plain TAP reach a real kernel with valid checksums', async () => {
  try {
    const { sw } = await transfer(false, true);
    assert.ok(sw.counters.segmented >= SENDS, `the switch cut them (${sw.counters.segmented})`);
  } finally {
    cleanupAll();
  }
});

test.run();
