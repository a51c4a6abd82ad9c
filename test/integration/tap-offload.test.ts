// TAP offloads (TapOpenOptions.offload: IFF_VNET_HDR + TUNSETOFFLOAD TSO/CSUM) and the packed read
// layout, on real TAP devices in network namespaces: two offload TAPs joined by a small relay in this
// process carry a TCP transfer intact while the kernel hands us TSO super-frames; re-attaching a
// persistent TAP from inside its namespace sets or clears the offloads; a burst of small frames is
// packed into one buffer without overlap, each with its virtio_net_hdr right before it; a batch
// without room for the header is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import {
  TapDevice,
  TapReadBatch,
  TAP_MAX_OFFLOAD_FRAME,
  VNET_HDR_LEN,
} from '../../src/native/tap.js';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VNET_CSUM_OFFSET_OFF,
  VNET_CSUM_START_OFF,
  VNET_GSO_SIZE_OFF,
  VNET_GSO_TYPE_OFF,
} from '../../src/wire/virtio-net-hdr.js';
import { TsnetError } from '../../src/errors.js';
import { cleanupAll, ip, makeNetns, onCleanup, trySh, uniqueName } from '../helpers/netns.js';
import { until } from '../helpers/until.js';
import { features } from '../helpers/ethtool.js';
import { plumbTap, runInNs, tcpTransfer } from '../helpers/tcp-transfer.js';

const ETH_MAX = 1514; // an MTU-sized frame: anything longer came from TSO
const BYTES = 8 * 1024 * 1024;

function expectTsnetError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TsnetError);
    assert.is((e as TsnetError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

interface RelayStats {
  frames: number;
  gso: number;
  gsoTcp4: number;
  needsCsum: number;
  big: number;
  maxLen: number;
  maxGsoSize: number;
  writeDrops: number;
}

/** Copies every frame read from `from` to `to`, header included (writeGso with the same header). */
function relay(from: TapDevice, to: TapDevice, onError: (e: TsnetError) => void): RelayStats {
  const s: RelayStats = { frames: 0, gso: 0, gsoTcp4: 0, needsCsum: 0, big: 0, maxLen: 0, maxGsoSize: 0, writeDrops: 0 };
  const batch = TapReadBatch.forDevice(from);
  const b = batch.buffer;
  from.startReading(
    batch,
    (count) => {
      for (let i = 0; i < count; i++) {
        const off = batch.offset(i);
        const len = batch.lengths[i];
        const h = off - VNET_HDR_LEN;
        const gsoType = b[h + VNET_GSO_TYPE_OFF] & ~VIRTIO_NET_HDR_GSO_ECN;
        s.frames++;
        if (gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
          s.gso++;
          if (gsoType === VIRTIO_NET_HDR_GSO_TCPV4) s.gsoTcp4++;
          s.maxGsoSize = Math.max(s.maxGsoSize, b.readUInt16LE(h + VNET_GSO_SIZE_OFF));
        }
        if (b[h] & VIRTIO_NET_HDR_F_NEEDS_CSUM) s.needsCsum++;
        if (len > ETH_MAX) s.big++;
        s.maxLen = Math.max(s.maxLen, len);
        if (!to.writeGso(b, b, off, len, h)) s.writeDrops++;
      }
    },
    onError,
  );
  return s;
}

test('two offload TAPs joined by a relay carry a TCP transfer intact, as TSO super-frames', async () => {
  try {
    const nsA = makeNetns('toA');
    const nsB = makeNetns('toB');
    const tapA = TapDevice.open({ name: uniqueName('toa'), offload: true });
    onCleanup(() => tapA.close());
    assert.ok(tapA.offload);
    plumbTap(tapA.name, nsA, '10.77.0.1/24');

    // B: created persistent WITHOUT offloads, then re-attached from inside its namespace (the
    // setns thread) WITH offloads, and made non-persistent so that close() removes it.
    const nameB = uniqueName('tob');
    const plainB = TapDevice.open({ name: nameB, persist: true });
    onCleanup(() => plainB.close());
    onCleanup(() => trySh('ip', ['link', 'del', nameB]));
    plumbTap(nameB, nsB, '10.77.0.2/24');
    plainB.close();
    assert.is(features(nsB, 'eth0')['tcp-segmentation-offload'], 'off');
    const tapB = TapDevice.open({ name: 'eth0', attach: true, netnsPath: `/var/run/netns/${nsB}`, offload: true, persist: false });
    onCleanup(() => tapB.close());
    for (const [ns, what] of [[nsA, 'A'], [nsB, 'B']] as const) {
      const f = features(ns, 'eth0');
      assert.is(f['tcp-segmentation-offload'], 'on', `TSO on ${what}`);
      assert.is(f['tx-checksumming'], 'on', `checksum offload on ${what}`);
    }

    let relayError: TsnetError | null = null;
    const onError = (e: TsnetError) => (relayError = e);
    const aToB = relay(tapA, tapB, onError);
    const bToA = relay(tapB, tapA, onError);

    const result = await tcpTransfer(nsA, nsB, '10.77.0.2', BYTES);

    assert.is(relayError, null, 'no reader error');
    assert.is(result.received, BYTES, 'every byte arrived');
    assert.is(result.receivedSha, result.sentSha, 'the bytes are the ones sent');
    assert.ok(aToB.gsoTcp4 > 0, `TCPv4 super-frames seen A->B (${JSON.stringify(aToB)})`);
    assert.ok(aToB.big > 0 && aToB.maxLen > ETH_MAX, `frames longer than ${ETH_MAX} seen (max ${aToB.maxLen})`);
    assert.ok(aToB.maxLen <= TAP_MAX_OFFLOAD_FRAME);
    assert.ok(aToB.maxGsoSize > 0 && aToB.maxGsoSize <= 1460, `gso_size is an MSS (${aToB.maxGsoSize})`);
    assert.ok(aToB.needsCsum > 0, 'checksums left to the receiver (NEEDS_CSUM)');
    assert.ok(bToA.frames > 0, 'ACKs flowed back');
    if (process.env.TSNET_DEBUG) console.log(JSON.stringify({ aToB, bToA }));
  } finally {
    cleanupAll();
  }
});

test('re-attaching a persistent offload TAP from its namespace clears or sets the offloads; write() sends plain frames', async () => {
  try {
    const ns = makeNetns('tor');
    const name = uniqueName('tor');
    const first = TapDevice.open({ name, persist: true, offload: true });
    onCleanup(() => first.close());
    onCleanup(() => trySh('ip', ['link', 'del', name]));
    plumbTap(name, ns, '10.78.0.2/24');
    assert.is(features(ns, 'eth0')['tcp-segmentation-offload'], 'on');
    first.close();
    const netnsPath = `/var/run/netns/${ns}`;

    // Without offload: the offloads are cleared and frames come without a header.
    const plain = TapDevice.open({ name: 'eth0', attach: true, netnsPath });
    onCleanup(() => plain.close());
    assert.not.ok(plain.offload);
    assert.is(features(ns, 'eth0')['tcp-segmentation-offload'], 'off');
    assert.is(features(ns, 'eth0')['tx-checksumming'], 'off');
    expectTsnetError(() => plain.writeGso(Buffer.alloc(VNET_HDR_LEN), Buffer.alloc(60), 0, 60), 'ETAP_NO_OFFLOAD');
    plain.close();

    // With offload again: set, and an ARP request read shows its (empty) header right before it.
    const tap = TapDevice.open({ name: 'eth0', attach: true, netnsPath, offload: true });
    onCleanup(() => tap.close());
    assert.is(features(ns, 'eth0')['tcp-segmentation-offload'], 'on');
    const batch = TapReadBatch.forDevice(tap);
    let request: Buffer | null = null;
    let header: Buffer | null = null;
    tap.startReading(
      batch,
      (count) => {
        for (let i = 0; i < count && !request; i++) {
          const off = batch.offset(i);
          if (batch.lengths[i] >= 42 && batch.buffer.readUInt16BE(off + 12) === 0x0806 && batch.buffer.readUInt16BE(off + 20) === 1) {
            request = Buffer.from(batch.buffer.subarray(off, off + batch.lengths[i]));
            header = Buffer.from(batch.buffer.subarray(off - VNET_HDR_LEN, off));
          }
        }
      },
      () => undefined,
    );
    const pinging = new Promise<void>((resolve) => execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-W', '1', '10.78.0.9'], () => resolve()));
    const req = await until('an ARP request', () => request ?? undefined, 20_000, 25);
    assert.is(req.readUInt32BE(0), 0xffffffff, 'the frame starts with the broadcast destination');
    assert.equal(header, Buffer.alloc(VNET_HDR_LEN), 'an ARP frame has no offload work: all-zero header');

    // TAP -> namespace: write() (zero header) and writeBatch() deliver ARP replies to eth0.
    const reply = Buffer.alloc(42);
    req.copy(reply, 0, 6, 12); // to the requester
    reply.writeUIntBE(0x02005e4e0009, 6, 6);
    reply.writeUInt16BE(0x0806, 12);
    req.copy(reply, 14, 14, 20); // htype, ptype, hlen, plen
    reply.writeUInt16BE(2, 20); // reply
    reply.writeUIntBE(0x02005e4e0009, 22, 6);
    req.copy(reply, 28, 38, 42); // sender IP = the asked-for address
    req.copy(reply, 32, 22, 32); // target = the requester's MAC + IP
    const rx = () => (JSON.parse(ip('-n', ns, '-s', '-j', 'link', 'show', 'eth0')) as Array<{ stats64: { rx: { packets: number } } }>)[0].stats64.rx.packets;
    const before = rx();
    assert.ok(tap.write(reply, 0, reply.length), 'write accepted');
    assert.is(tap.writeBatch(reply, Int32Array.of(0, 0), Int32Array.of(42, 42), 2), 2, 'writeBatch accepted');
    await until('eth0 to receive our frames', () => rx() >= before + 3, 20_000, 25);
    await until('the neighbour entry from our reply', () => /02:00:5e:4e:00:09/.test(ip('-n', ns, 'neigh', 'show', '10.78.0.9')), 20_000, 25);
    await pinging;
    tap.setPersist(false);
    tap.close();
  } finally {
    cleanupAll();
  }
});

const BURST = 500;
const MARK = 'tsnet-packed ';
const SENDER_UDP = `const s=require('dgram').createSocket('udp4');const n=+process.argv[1];let left=n;
for(let i=0;i<n;i++)s.send(Buffer.from('${MARK}'+i),9999,'10.79.0.1',(e)=>{if(e)throw e;if(--left===0)s.close();});`;

for (const offload of [true, false]) {
  test(`a burst of small frames is packed into the buffer without overlap (offload ${offload})`, async () => {
    try {
      const ns = makeNetns('top');
      const tap = TapDevice.open({ name: uniqueName('top'), offload });
      onCleanup(() => tap.close());
      plumbTap(tap.name, ns, '10.79.0.2/24');
      ip('-n', ns, 'neigh', 'replace', '10.79.0.1', 'lladdr', '02:00:5e:4f:00:01', 'dev', 'eth0', 'nud', 'permanent');
      // Queued before reading starts, so every batch is limited by the buffer, not by timing.
      await runInNs(ns, [process.execPath, '-e', SENDER_UDP, String(BURST)]);

      const headroom = 20;
      const maxFrame = offload ? TAP_MAX_OFFLOAD_FRAME : 1514;
      const extra = 4096; // room for ~30 small frames before the last maximal read
      const batch = new TapReadBatch({ frames: 1000, headroom, maxFrame, bufferSize: headroom + maxFrame + 1 + extra });
      const b = batch.buffer;
      const got = new Set<number>();
      const counts: number[] = [];
      const problems: string[] = [];
      const mark = Buffer.from(MARK);
      tap.startReading(
        batch,
        (count) => {
          counts.push(count);
          let end = 0;
          for (let i = 0; i < count; i++) {
            const off = batch.offset(i);
            const len = batch.lengths[i];
            const expected = ((end + 7) & ~7) + headroom;
            if (off !== expected) problems.push(`frame ${i} at ${off}, expected ${expected}`);
            if (len < 14 || len > maxFrame || off + len > b.length) problems.push(`frame ${i} (${off}+${len}) outside the buffer`);
            end = off + len;
            const p = off + 42; // Ethernet 14 + IPv4 20 + UDP 8
            if (len - 42 <= mark.length || b.compare(mark, 0, mark.length, p, p + mark.length) !== 0) continue;
            got.add(Number(b.toString('latin1', p + mark.length, off + len)));
            if (offload) {
              const h = off - VNET_HDR_LEN;
              const ok = (b[h] & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0 && b.readUInt16LE(h + VNET_CSUM_START_OFF) === 34 && b.readUInt16LE(h + VNET_CSUM_OFFSET_OFF) === 6;
              if (!ok) problems.push(`frame ${i}: header ${b.subarray(h, off).toString('hex')} is not NEEDS_CSUM at UDP`);
            }
          }
        },
        (e) => problems.push(e.message),
      );
      await until(`${BURST} datagrams`, () => got.size === BURST || problems.length > 0, 20_000, 25);
      assert.equal(problems, []);
      assert.is(got.size, BURST, 'every datagram arrived once');
      const most = Math.max(...counts);
      assert.ok(most > 1, 'batches carry several frames');
      // The smallest frame (14 bytes) takes align8(headroom + 14) = 40 bytes: no more fit in `extra`.
      assert.ok(most <= Math.floor(extra / 40) + 1, `a batch stops when the buffer is full (${most} frames)`);
      assert.is(tap.readerStats()!.drops, 0);
    } finally {
      cleanupAll();
    }
  });
}

// Alternating datagrams of 13-16 and 213-216 payload bytes ("tsnet-packed <i>" padded on odd i).
const SENDER_MIXED = `const s=require('dgram').createSocket('udp4');const n=+process.argv[1];let left=n;
for(let i=0;i<n;i++)s.send(Buffer.from('${MARK}'+i+(i%2?' '.repeat(200):'')),9999,'10.79.0.1',(e)=>{if(e)throw e;if(--left===0)s.close();});`;

test('frames longer than maxFrame are dropped and counted, never written past their place', async () => {
  try {
    const ns = makeNetns('tot');
    const tap = TapDevice.open({ name: uniqueName('tot') });
    onCleanup(() => tap.close());
    plumbTap(tap.name, ns, '10.79.0.2/24');
    ip('-n', ns, 'neigh', 'replace', '10.79.0.1', 'lladdr', '02:00:5e:4f:00:01', 'dev', 'eth0', 'nud', 'permanent');
    const n = 40;
    await runInNs(ns, [process.execPath, '-e', SENDER_MIXED, String(n)]);
    const maxFrame = 128; // the short datagrams fit (< 80 bytes), the long ones (> 250) do not
    const batch = new TapReadBatch({ frames: 64, headroom: 16, maxFrame });
    const b = batch.buffer;
    const got: number[] = [];
    let longest = 0;
    const mark = Buffer.from(MARK);
    tap.startReading(
      batch,
      (count) => {
        for (let i = 0; i < count; i++) {
          const off = batch.offset(i);
          const len = batch.lengths[i];
          longest = Math.max(longest, len);
          if (len > 42 + mark.length && b.compare(mark, 0, mark.length, off + 42, off + 42 + mark.length) === 0) {
            got.push(Number(b.toString('latin1', off + 42 + mark.length, off + len)));
          }
        }
      },
      () => undefined,
    );
    await until('the short datagrams and the drops', () => got.length === n / 2 && tap.readerStats()!.drops >= n / 2, 20_000, 25);
    assert.ok(longest <= maxFrame, `no frame longer than maxFrame (${longest})`);
    assert.equal(got.sort((x, y) => x - y), Array.from({ length: n / 2 }, (_, i) => 2 * i), 'the short datagrams, in full');
    assert.is(tap.readerStats()!.drops, n / 2, 'each long datagram is one drop');
  } finally {
    cleanupAll();
  }
});

test('an offload TAP refuses a read batch without room for the virtio_net_hdr or for super-frames', () => {
  try {
    const tap = TapDevice.open({ name: uniqueName('toh'), offload: true });
    onCleanup(() => tap.close());
    assert.throws(() => tap.startReading(new TapReadBatch({ headroom: 8, maxFrame: TAP_MAX_OFFLOAD_FRAME }), () => undefined, () => undefined), RangeError);
    assert.throws(() => tap.startReading(new TapReadBatch(), () => undefined, () => undefined), RangeError);
    assert.not.ok(tap.reading);
    tap.startReading(new TapReadBatch({ headroom: VNET_HDR_LEN, maxFrame: TAP_MAX_OFFLOAD_FRAME, frames: 4 }), () => undefined, () => undefined);
    assert.ok(tap.reading);
    tap.close();
  } finally {
    cleanupAll();
  }
});

test.run();
