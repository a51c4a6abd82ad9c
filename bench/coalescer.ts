// Microbenchmark (benny) of receive-side TCP coalescing for offload TAPs (src/dataplane/tcp-coalescer.ts):
// merging a burst of 45 TCPv4 segments (MSS 1448, timestamps: the largest super-frame that fits 64 KB)
// into one super-frame, against a burst of 45 segments of 45 different flows (nothing merges: every
// segment is referenced, then written as it is) and a non-TCP frame passing through. The output does
// no I/O, so the numbers are the coalescer's own cost per burst; the e2e bench measures what it saves
// the receiving kernel. Prints ns/op, ns per segment and MB/s; saves benny's JSON to bench/results/coalescer.json.
// Run: npx tsc -p tsconfig.json && node dist/bench/coalescer.js   (or node scripts/run-bench.mjs coalescer)
import b from 'benny';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpCoalescer, type CoalescedOutput } from '../src/dataplane/tcp-coalescer.js';
import { HEADROOM } from '../src/dataplane/port.js';
import { internetChecksum } from '../src/wire/index.js';

// Our choice: short runs keep the whole suite under a minute on 2 cores; margins are printed.
const CASE_OPTIONS = { maxTime: 1, minSamples: 10 };
const MSS = 1448;
const SEGMENTS = 45;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Ethernet/IPv4/TCP (timestamps) segment with valid checksums written at buf[off]; returns its length. */
function writeSegment(buf: Buffer, off: number, seq: number, id: number, srcPort: number, payload: number): number {
  const tcpLen = 32, len = 14 + 20 + tcpLen + payload;
  buf.fill(0, off, off + len);
  buf.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], off);
  buf.writeUInt16BE(0x0800, off + 12);
  const ip = off + 14, t = ip + 20;
  buf[ip] = 0x45;
  buf.writeUInt16BE(20 + tcpLen + payload, ip + 2);
  buf.writeUInt16BE(id, ip + 4);
  buf.writeUInt16BE(0x4000, ip + 6);
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  buf.set([192, 168, 77, 1, 192, 168, 77, 2], ip + 12);
  buf.writeUInt16BE(internetChecksum(buf, ip, 20), ip + 10);
  buf.writeUInt16BE(srcPort, t);
  buf.writeUInt16BE(5201, t + 2);
  buf.writeUInt32BE(seq >>> 0, t + 4);
  buf.writeUInt32BE(0x11223344, t + 8);
  buf[t + 12] = (tcpLen / 4) << 4;
  buf[t + 13] = 0x10;
  buf.writeUInt16BE(502, t + 14);
  buf.set([1, 1, 8, 10, 0, 1, 2, 3, 4, 5, 6, 7], t + 20);
  for (let i = 0; i < payload; i++) buf[t + tcpLen + i] = (seq + i * 7919) & 0xff;
  // pseudo-header: addresses, protocol, TCP length
  const pseudo = 0xc0a8 + 0x4d01 + 0xc0a8 + 0x4d02 + 6 + tcpLen + payload;
  buf.writeUInt16BE(internetChecksum(buf, t, tcpLen + payload, pseudo), t + 16);
  return len;
}

/** A burst laid out as a receive batch: each segment after HEADROOM, 8-byte aligned. */
function burst(sameFlow: boolean): { buf: Buffer; offs: Int32Array; lens: Int32Array } {
  const stride = (HEADROOM + 14 + 20 + 32 + MSS + 7) & ~7;
  const buf = Buffer.alloc(SEGMENTS * stride);
  const offs = new Int32Array(SEGMENTS);
  const lens = new Int32Array(SEGMENTS);
  for (let i = 0; i < SEGMENTS; i++) {
    offs[i] = i * stride + HEADROOM;
    lens[i] = sameFlow
      ? writeSegment(buf, offs[i], 0xfff00000 + i * MSS, 100 + i, 40000, MSS)
      : writeSegment(buf, offs[i], 0xfff00000, 100, 40000 + i, MSS);
  }
  return { buf, offs, lens };
}

class CountingOutput implements CoalescedOutput {
  frames = 0;
  superFrames = 0;
  writeFrame(): void {
    this.frames++;
  }
  writeSuperFrame(): void {
    this.superFrames++;
  }
}

const out = new CountingOutput();
const co = new TcpCoalescer(out);
const one = burst(true);
const many = burst(false);
const arp = Buffer.alloc(HEADROOM + 42);
arp.writeUInt16BE(0x0806, HEADROOM + 12);

const feed = (x: { buf: Buffer; offs: Int32Array; lens: Int32Array }): void => {
  for (let i = 0; i < SEGMENTS; i++) co.add(x.buf, x.offs[i], x.lens[i]);
  co.flush();
};

const cases: Array<[string, number, number, () => void]> = [
  [`merge ${SEGMENTS} x ${MSS} B segments of one flow into one super-frame`, SEGMENTS, SEGMENTS * MSS, () => feed(one)],
  [`${SEGMENTS} segments of ${SEGMENTS} flows (nothing merges)`, SEGMENTS, SEGMENTS * MSS, () => feed(many)],
  ['one ARP frame through add() + flush()', 1, 42, () => { co.add(arp, HEADROOM, 42); co.flush(); }],
];
const meta = new Map(cases.map(([name, frames, bytes]) => [name, { frames, bytes }]));

await b.suite(
  'tcp coalescer',
  ...cases.map(([name, , , fn]) => b.add(name, fn, CASE_OPTIONS)),
  b.cycle(() => undefined),
  b.complete((summary) => {
    const rows = summary.results.map((r) => {
      const m = meta.get(r.name) ?? { frames: 1, bytes: 0 };
      return {
        case: r.name,
        'ns/op': Number((1e9 / r.ops).toFixed(1)),
        'ns/frame': Number((1e9 / r.ops / m.frames).toFixed(1)),
        'MB/s': Math.round((r.ops * m.bytes) / 1e6),
        '±%': Number(r.margin.toFixed(2)),
      };
    });
    console.table(rows);
    console.log(`super-frames ${out.superFrames}, plain frames ${out.frames}`);
  }),
  b.save({ file: 'coalescer', folder: join(root, 'bench', 'results'), format: 'json', details: false }),
);
