// Microbenchmark (benny) of software GSO and checksum completion for TAP offloads
// (src/dataplane/gso-segmenter.ts, src/wire/inet-checksum.ts): cutting a 64 KB TCPv4 super-frame into
// 46 segments of MSS 1448, completing the checksum of a 1448-byte TCP segment (NEEDS_CSUM), and the
// word-at-a-time sum against checksum.ts's 2-bytes-per-step checksumAdd (which chose WORDS_MIN_LEN).
// Prints ns/op and MB/s per case and saves benny's JSON to bench/results/segmenter.json.
// Run: npx tsc -p tsconfig.json && node dist/bench/segmenter.js   (or node scripts/run-bench.mjs segmenter)
import b from 'benny';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checksumAdd } from '../src/wire/index.js';
import { inetSum, inetCopySum } from '../src/wire/inet-checksum.js';
import { writeVnetHdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_NONE } from '../src/wire/virtio-net-hdr.js';
import { GsoSegmenter, completeChecksum } from '../src/dataplane/gso-segmenter.js';
import { HEADROOM } from '../src/dataplane/port.js';

// Our choice: short runs keep the whole suite under a minute on 2 cores; margins are printed.
const CASE_OPTIONS = { maxTime: 1, minSamples: 10 };
const MSS = 1448;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An Ethernet/IPv4/TCP (timestamps) frame with `payload` bytes after a virtio-net header, in a buffer
 *  laid out as the TAP reader will: HEADROOM, the 10-byte header, the frame. */
function frame(payload: number, gsoType: number): { buf: Buffer; hdrOff: number; off: number; len: number } {
  const hdrOff = HEADROOM, off = HEADROOM + 10, tcpLen = 32, len = 14 + 20 + tcpLen + payload;
  const buf = Buffer.alloc(off + len);
  buf.writeUInt16BE(0x0800, off + 12);
  const ip = off + 14, t = ip + 20;
  buf[ip] = 0x45;
  buf.writeUInt16BE(20 + tcpLen + payload, ip + 2);
  buf.writeUInt16BE(0x4000, ip + 6);
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  buf.set([192, 168, 77, 1, 192, 168, 77, 2], ip + 12);
  buf.writeUInt32BE(0xdeadbeef, t + 4);
  buf[t + 12] = (tcpLen / 4) << 4;
  buf[t + 13] = 0x18;
  buf.set([1, 1, 8, 10], t + 20);
  for (let i = 0; i < payload; i++) buf[t + tcpLen + i] = (i * 7919) & 0xff;
  writeVnetHdr(buf, hdrOff, VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType, 14 + 20 + tcpLen, gsoType === VIRTIO_NET_HDR_GSO_NONE ? 0 : MSS, 34, 16);
  return { buf, hdrOff, off, len };
}

const superFrame = frame(65535 - 20 - 32, VIRTIO_NET_HDR_GSO_TCPV4);
const one = frame(MSS, VIRTIO_NET_HDR_GSO_NONE);
const seg = new GsoSegmenter(64, HEADROOM + 9216, HEADROOM);
const copyDst = Buffer.alloc(4096);
const copyAligned = 4 + ((one.buf.byteOffset + one.off + 66 - copyDst.byteOffset) & 3);
let sink = 0; // consumed by every case so nothing is optimised away

const cases: Array<[string, number, () => void]> = [
  ['segment 64 KB TCPv4 super-frame (46 x 1448)', 65535, () => { sink += seg.segment(superFrame.buf, superFrame.off, superFrame.len, superFrame.hdrOff); }],
  ['completeChecksum 1448-byte TCP segment', 32 + MSS, () => { sink += completeChecksum(one.buf, one.off, one.len, 34, 16) ? 1 : 0; }],
  ['inetSum 1480 bytes (32-bit words)', 32 + MSS, () => { sink += inetSum(one.buf, one.off + 34, 32 + MSS); }],
  ['checksumAdd 1480 bytes (16-bit steps)', 32 + MSS, () => { sink += checksumAdd(one.buf, one.off + 34, 32 + MSS); }],
  ['inetCopySum 1448 bytes (copy + sum, same alignment)', MSS, () => { sink += inetCopySum(one.buf, one.off + 66, copyDst, copyAligned, MSS); }],
  ['inetCopySum 1448 bytes (misaligned: byte loop)', MSS, () => { sink += inetCopySum(one.buf, one.off + 66, copyDst, copyAligned + 1, MSS); }],
  ['Buffer.copy 1448 bytes (allocates a view)', MSS, () => { sink += one.buf.copy(copyDst, 2, one.off + 66, one.off + 66 + MSS); }],
  ['inetSum 40 bytes (below WORDS_MIN_LEN)', 40, () => { sink += inetSum(one.buf, one.off + 14, 40); }],
  ['checksumAdd 40 bytes', 40, () => { sink += checksumAdd(one.buf, one.off + 14, 40); }],
];
const bytesOf = new Map(cases.map(([name, bytes]) => [name, bytes]));

await b.suite(
  'tcp segmenter and checksums',
  ...cases.map(([name, , fn]) => b.add(name, fn, CASE_OPTIONS)),
  b.cycle(() => undefined),
  b.complete((summary) => {
    const rows = summary.results.map((r) => ({
      case: r.name,
      'ns/op': Number((1e9 / r.ops).toFixed(1)),
      'MB/s': Math.round((r.ops * (bytesOf.get(r.name) ?? 0)) / 1e6),
      '±%': Number(r.margin.toFixed(2)),
    }));
    console.table(rows);
    if (sink === -1) console.log('unreachable');
  }),
  b.save({ file: 'segmenter', folder: join(root, 'bench', 'results'), format: 'json', details: false }),
);
