// The virtio-net header codec (src/wire/virtio-net-hdr.ts): byte layout (little-endian 16-bit fields,
// include/uapi/linux/virtio_net.h), hot-path readers and writer at odd offsets, the checked control-path
// encoder/decoder, and that decoding hostile bytes never throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMalformed } from '../../src/wire/index.js';
import {
  VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_ECN,
  vnetFlags, vnetGsoType, vnetHdrLen, vnetGsoSize, vnetCsumStart, vnetCsumOffset, writeVnetHdr,
  decodeVirtioNetHdr, encodeVirtioNetHdr, type VirtioNetHdr,
} from '../../src/wire/virtio-net-hdr.js';
import { rng } from '../helpers/fault-rng.js';

test('layout: a TSO IPv4 header as tun writes it (little-endian fields)', () => {
  // flags NEEDS_CSUM, gso TCPV4|ECN, hdr_len 66 (14+20+32), gso_size 1448, csum_start 34, csum_offset 16
  const golden = [0x01, 0x81, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00];
  const b = Buffer.alloc(13, 0xee);
  assert.is(writeVnetHdr(b, 3, 1, 0x81, 66, 1448, 34, 16), VIRTIO_NET_HDR_LEN);
  assert.equal([...b.subarray(3)], golden);
  assert.equal([...b.subarray(0, 3)], [0xee, 0xee, 0xee]);
  assert.is(vnetFlags(b, 3), VIRTIO_NET_HDR_F_NEEDS_CSUM);
  assert.is(vnetGsoType(b, 3) & ~VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_TCPV4);
  assert.is(vnetHdrLen(b, 3), 66);
  assert.is(vnetGsoSize(b, 3), 1448);
  assert.is(vnetCsumStart(b, 3), 34);
  assert.is(vnetCsumOffset(b, 3), 16);
});

test('writer/readers round-trip the full field ranges', () => {
  const r = rng(11);
  const b = Buffer.alloc(40);
  for (let k = 0; k < 500; k++) {
    const off = r.int(30);
    const v = [r.int(256), r.int(256), r.int(65536), r.int(65536), r.int(65536), r.int(65536)] as const;
    writeVnetHdr(b, off, v[0], v[1], v[2], v[3], v[4], v[5]);
    assert.equal([vnetFlags(b, off), vnetGsoType(b, off), vnetHdrLen(b, off), vnetGsoSize(b, off), vnetCsumStart(b, off), vnetCsumOffset(b, off)], [...v]);
  }
});

test('decode/encode: fields, flags, ECN bit, unknown gso_type and truncation are Malformed', () => {
  const b = Buffer.alloc(VIRTIO_NET_HDR_LEN);
  encodeVirtioNetHdr({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID, gsoType: VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 }, b, 0);
  const h = decodeVirtioNetHdr(b, 0, b.length) as VirtioNetHdr;
  assert.not.ok(isMalformed(h));
  assert.equal(h, { needsCsum: true, dataValid: true, flags: 3, gsoType: VIRTIO_NET_HDR_GSO_TCPV6, ecn: true, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 });
  encodeVirtioNetHdr({}, b, 0);
  assert.equal([...b], new Array(10).fill(0));
  assert.is((decodeVirtioNetHdr(b, 0, 10) as VirtioNetHdr).gsoType, VIRTIO_NET_HDR_GSO_NONE);
  assert.ok(isMalformed(decodeVirtioNetHdr(b, 0, 9)));
  assert.ok(isMalformed(decodeVirtioNetHdr(b, 1, 10)));
  b[1] = 2; // no such gso_type
  assert.ok(isMalformed(decodeVirtioNetHdr(b, 0, 10)));
  b[1] = VIRTIO_NET_HDR_GSO_UDP;
  assert.not.ok(isMalformed(decodeVirtioNetHdr(b, 0, 10)));
  assert.throws(() => encodeVirtioNetHdr({ gsoSize: 65536 }, b, 0), (e: { code?: string }) => e.code === 'EWIRE_FIELD');
  assert.throws(() => encodeVirtioNetHdr({}, b, 1), (e: { code?: string }) => e.code === 'EWIRE_SPACE');
});

test('decode never throws on random bytes, lengths and offsets', () => {
  const r = rng(12);
  for (let k = 0; k < 3000; k++) {
    const b = r.bytes(r.int(16));
    const off = r.int(20) - 2;
    const len = r.int(20) - 2;
    const x = decodeVirtioNetHdr(b, off, len);
    assert.type(x, 'object');
  }
});

test.run();
