// Microbenchmark of the VXLAN data path (benny): what src/dataplane/vxlan-port.ts and vtep.ts do per
// frame, in place, with no socket (encapsulation: flow hash, MSS check, header in the headroom;
// decapsulation: checks, VNI demux, member lookup, MSS check, delivery to the switch's sink), the MSS
// rewrite of a SYN, and one full output() with its sendto() on loopback (to the discard port, where
// nothing listens: the kernel drops it). Prints ns/op per case and saves benny's JSON to
// bench/results/vxlan.json. Run as: npx tsc -p tsconfig.json && node dist/bench/vxlan.js
import b from 'benny';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEADROOM, type FrameSink, type Port } from '../src/dataplane/port.js';
import { createVtep } from '../src/dataplane/vtep.js';
import { createVxlanPort } from '../src/dataplane/vxlan-port.js';
import { clampMss } from '../src/dataplane/overlay-mss-clamp.js';
import { flowSlot, innerFlowHash } from '../src/dataplane/vxlan-flow-hash.js';
import {
  buildEthernet, buildIpv4, checksumAdd, checksumFinish, ETHERTYPE_IPV4, IPPROTO_TCP, parseIpv4,
  pseudoHeaderSumIpv4, writeVxlanHeader,
} from '../src/wire/index.js';

// Our choice: short runs keep the suite under half a minute on 2 cores; margins are printed.
const CASE_OPTIONS = { maxTime: 1, minSamples: 10 };
const DISCARD_PORT = 9; // RFC 863; nothing listens on it here

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tcpFrame(flags: number, payload: number, mss = 1460): Buffer {
  const tcp = Buffer.alloc(24 + payload);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(5201, 2);
  tcp[12] = 6 << 4;
  tcp[13] = flags;
  tcp.set([2, 4, mss >>> 8, mss & 0xff], 20);
  const ps = pseudoHeaderSumIpv4(parseIpv4('10.0.42.1'), parseIpv4('10.0.42.2'), IPPROTO_TCP, tcp.length);
  tcp.writeUInt16BE(checksumFinish(checksumAdd(tcp, 0, tcp.length, ps)), 16);
  const ip = buildIpv4({ protocol: IPPROTO_TCP, src: '10.0.42.1', dst: '10.0.42.2', dontFragment: true, payload: tcp });
  return buildEthernet({ dst: '02:42:0a:00:2a:02', src: '02:42:0a:00:2a:01', ethertype: ETHERTYPE_IPV4, payload: ip });
}

const data = tcpFrame(0x10, 1446); // a full-size ACK segment: 1514 bytes
const frameBuf = Buffer.alloc(HEADROOM + data.length);
data.copy(frameBuf, HEADROOM);
const syn = tcpFrame(0x02, 0);
const synBuf = Buffer.from(syn);
const received = Buffer.alloc(8 + data.length);
writeVxlanHeader(received, 0, 42);
data.copy(received, 8);

const vtep = createVtep({ address: '127.0.0.1', port: 0 });
await vtep.start();
const tun = createVxlanPort({ vtep, vni: 42, mtu: 1450 });
tun.addPeer('127.0.0.1', DISCARD_PORT);
let sink = 0; // consumed by every case so nothing is optimised away
const countingSink: FrameSink = {
  input(_p: Port, _b: Buffer, _off: number, len: number): void {
    sink += len;
  },
};
tun.setSink(countingSink);

await b.suite(
  'vxlan data path',
  b.add('encap in place: flow hash + MSS check + header (1514 B)', () => {
    sink += clampMss(frameBuf, HEADROOM, data.length, 1450);
    sink += flowSlot(innerFlowHash(frameBuf, HEADROOM, data.length), 8);
    sink += writeVxlanHeader(frameBuf, HEADROOM - 8, 42);
  }, CASE_OPTIONS),
  b.add('decap: Vtep.receive -> VxlanPort -> sink (1522 B)', () => {
    vtep.receive(received, '127.0.0.1', 4789);
  }, CASE_OPTIONS),
  b.add('MSS clamp of a SYN (rewrite + RFC 1624 checksum)', () => {
    syn.copy(synBuf);
    sink += clampMss(synBuf, 0, synBuf.length, 1350);
  }, CASE_OPTIONS),
  b.add('VxlanPort.output + sendto on loopback (1514 B)', () => {
    tun.output(frameBuf, HEADROOM, data.length, 0);
  }, CASE_OPTIONS),
  b.cycle(() => undefined),
  b.complete((summary) => {
    const rows = summary.results.map((r) => ({ case: r.name, 'ns/op': Number((1e9 / r.ops).toFixed(1)), 'ops/s': Math.round(r.ops), '±%': Number(r.margin.toFixed(2)) }));
    console.table(rows);
    if (sink === -1) console.log('unreachable');
  }),
  b.save({ file: 'vxlan', folder: join(root, 'bench', 'results'), format: 'json', details: false }),
);
console.log(`vtep counters: ${JSON.stringify(vtep.counters)}`);
await vtep.stop();
