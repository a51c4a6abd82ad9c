// UDP coalescing on the real data path (src/dataplane/udp-coalescer.ts): a plain TAP in namespace A and
// an offload TAP in namespace B as two ports of one switch. A sends a burst of numbered UDP datagrams
// of one flow while nothing reads its TAP yet (the kernel queues them there), then the port starts
// reading: the switch takes them in batches and B's port writes them as UDP_L4 super-frames, which
// B's kernel cuts back into datagrams for a socket without UDP_GRO. Every datagram must arrive once,
// in order, with its own length and bytes (a shorter last one too), and the port must have merged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createTapPort } from '../../src/dataplane/tap-port.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';
import { plumbTap, runInNs } from '../helpers/tcp-transfer.js';
import { until } from '../helpers/until.js';

const COUNT = 150;
// small datagrams: 150 of them fit a default socket receive buffer (212992 bytes of truesize) even
// if the receiver has read none yet, so the kernel drops none while the test reads
const SIZE = 64;
const LAST_SIZE = 23;
const PORT = 5300;

// Datagram i: SIZE bytes (LAST_SIZE for the last), byte k = (i * 31 + k) & 0xff.
const PATTERN = `const pat=(i,n)=>{const b=Buffer.alloc(n);for(let k=0;k<n;k++)b[k]=(i*31+k)&0xff;return b;};`;
// Receiver: prints "ready", then one JSON line once COUNT datagrams came (or 3 s after the last one).
const RECEIVER = `${PATTERN}const d=require('dgram').createSocket({type:'udp4',recvBufferSize:4<<20});const [count,size,last,port,addr]=process.argv.slice(1).map((x,i)=>i<4?+x:x);
const got=[];let bad=0,t;const done=()=>{console.log(JSON.stringify({got,bad}));d.close();};
d.on('message',m=>{const i=got.length;const n=i===count-1?last:size;if(!m.equals(pat(i,n)))bad++;got.push(m.length);clearTimeout(t);
if(got.length===count)done();else t=setTimeout(done,3000);});d.bind(port,addr,()=>console.log('ready'));`;
// Sender: the datagrams back to back; exits once all were handed to the kernel.
const SENDER = `${PATTERN}const d=require('dgram').createSocket('udp4');const [count,size,last,port,addr]=process.argv.slice(1).map((x,i)=>i<4?+x:x);
let left=count;for(let i=0;i<count;i++)d.send(pat(i,i===count-1?last:size),port,addr,()=>{if(--left===0)d.close();});`;

function macOf(ns: string): string {
  return JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'eth0'))[0].address as string;
}

test('plain TAP to offload TAP: a burst of one UDP flow goes as UDP_L4 super-frames, every datagram intact and in order', async () => {
  try {
    const nsA = makeNetns('gcuA');
    const nsB = makeNetns('gcuB');
    const devA = TapDevice.open({ name: uniqueName('gcua'), offload: false });
    onCleanup(() => devA.close());
    const devB = TapDevice.open({ name: uniqueName('gcub'), offload: true });
    onCleanup(() => devB.close());
    plumbTap(devA.name, nsA, '10.81.0.1/24');
    plumbTap(devB.name, nsB, '10.81.0.2/24');
    // static neighbours: nothing has to answer ARP while A's TAP is not read yet
    ip('-n', nsA, 'neigh', 'replace', '10.81.0.2', 'lladdr', macOf(nsB), 'dev', 'eth0');
    ip('-n', nsB, 'neigh', 'replace', '10.81.0.1', 'lladdr', macOf(nsA), 'dev', 'eth0');
    let portError: TsnetError | null = null;
    const onError = (e: TsnetError) => (portError = e);
    const sw = createSwitch({ name: 'gcu' });
    const b = createTapPort(devB, { onError });
    onCleanup(() => b.close());
    sw.addPort(b);

    const args = [String(COUNT), String(SIZE), String(LAST_SIZE), String(PORT), '10.81.0.2'];
    const receiver = spawn('ip', ['netns', 'exec', nsB, process.execPath, '-e', RECEIVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(() => receiver.kill());
    let out = '';
    receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until('the receiver to bind', () => out.includes('ready'), 30_000, 25);
    await runInNs(nsA, [process.execPath, '-e', SENDER, ...args.slice(0, 4), '10.81.0.2']);

    const a = createTapPort(devA, { onError }); // now A's queue is read, in batches
    onCleanup(() => a.close());
    sw.addPort(a);
    const line = await until('the receiver to finish', () => /\{.*\}/.exec(out)?.[0], 30_000, 25);
    const r = JSON.parse(line) as { got: number[]; bad: number };
    assert.is(portError, null, 'no port error');
    assert.is(r.got.length, COUNT, `every datagram arrived (${JSON.stringify(b.offloadStats)}, A read ${JSON.stringify(a.counters)})`);
    assert.is(r.bad, 0, 'each with its own bytes, in order');
    assert.equal(r.got, [...Array(COUNT - 1).fill(SIZE), LAST_SIZE], 'each with its own length');
    assert.ok(b.offloadStats.udpCoalescedFrames > 0, `B's port wrote UDP super-frames (${JSON.stringify(b.offloadStats)})`);
    assert.ok(b.offloadStats.udpCoalescedDatagrams > COUNT / 2, `most datagrams were merged (${JSON.stringify(b.offloadStats)})`);
  } finally {
    cleanupAll();
  }
});

test.run();
