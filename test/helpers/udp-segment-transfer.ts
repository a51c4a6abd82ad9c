// A UDP_SEGMENT transfer between two namespaces, for the USO tests: a Python sender in `fromNs` makes
// SENDS sends of PER_SEND datagrams each (setsockopt UDP_SEGMENT, gso_size SIZE, each send's last
// datagram LAST_SIZE bytes, 20 ms apart); a Node receiver in `toNs` checks every datagram's length
// and bytes in order. With USO on the sender's TAP each send leaves its kernel as one UDP_L4
// super-frame; without it, the kernel cuts the send and queues its datagrams on the TAP at once.
import { spawn } from 'node:child_process';
import { onCleanup } from './netns.js';
import { runInNs } from './tcp-transfer.js';
import { until } from './until.js';

export const SENDS = 12;
export const PER_SEND = 9; // datagrams per UDP_SEGMENT send
const SIZE = 1000; // gso_size
const LAST_SIZE = 321; // each send's last datagram
export const COUNT = SENDS * PER_SEND;
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

export interface UdpSegmentResult {
  /** lengths of the datagrams received, in order */
  got: number[];
  /** how many had the wrong bytes for their place */
  bad: number;
  /** the lengths that were sent */
  expected: number[];
}

/** Sends from fromNs to dst (an address in toNs) and waits for the receiver's verdict. */
export async function udpSegmentTransfer(fromNs: string, toNs: string, dst: string): Promise<UdpSegmentResult> {
  const args = [String(COUNT), String(PER_SEND), String(SIZE), String(LAST_SIZE), String(PORT), dst];
  const receiver = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', RECEIVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => receiver.kill());
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until('the receiver to bind', () => out.includes('ready'), 30_000, 25);
  await runInNs(fromNs, ['python3', '-c', SENDER, String(SENDS), String(PER_SEND), String(SIZE), String(LAST_SIZE), String(PORT), dst]);
  const line = await until('the receiver to finish', () => /\{.*\}/.exec(out)?.[0], 30_000, 25);
  const r = JSON.parse(line) as { got: number[]; bad: number };
  return { ...r, expected: Array.from({ length: COUNT }, (_, i) => (i % PER_SEND === PER_SEND - 1 ? LAST_SIZE : SIZE)) };
}
