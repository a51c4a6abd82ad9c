// Decoders never throw on hostile bytes: several thousand deterministic pseudo-random buffers (seeded
// PRNG), random mutations of every golden vector, and every truncation of every golden vector are fed
// to every decoder at several offsets. Each must return an object (decoded or Malformed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex } from '../fixtures/index.js';
import * as V from '../fixtures/vxlan-capture.js';
import * as D from '../fixtures/dns-capture.js';
import {
  isMalformed, decodeEthernet, decodeArp, decodeIpv4, decodeIpv6, decodeUdp, decodeIcmp, decodeVxlan, decodeDns,
  decodePcap, ethType, ethHeaderLen, ethVlanId, udpChecksumOkInIp, buildIcmpEchoReply,
} from '../../src/wire/index.js';
import { prng } from '../helpers/fault-rng.js'; // mulberry32, seeded: failures reproduce


const DECODERS: Array<[string, (b: Buffer, off: number, len: number) => unknown]> = [
  ['ethernet', decodeEthernet],
  ['arp', decodeArp],
  ['ipv4', decodeIpv4],
  ['ipv6', decodeIpv6],
  ['udp', decodeUdp],
  ['icmp', decodeIcmp],
  ['vxlan', decodeVxlan],
  ['dns', decodeDns],
  ['pcap', (b, off, len) => decodePcap(b.subarray(off, off + len))],
  ['icmp-reply', (b, off, len) => buildIcmpEchoReply(b.subarray(off, off + len))],
  ['udp-checksum', (b, off, len) => ({ ok: udpChecksumOkInIp(b, off, len) })],
  ['eth-accessors', (b, off, len) => ({ t: ethType(b, off, len), h: ethHeaderLen(b, off, len), v: ethVlanId(b, off, len) })],
];

function feedAll(buf: Buffer, label: string): number {
  let n = 0;
  for (const [name, dec] of DECODERS) {
    for (const off of [0, 14, 34, 42, 50]) {
      if (off > buf.length) continue;
      let r: unknown;
      try {
        r = dec(buf, off, buf.length - off);
      } catch (e) {
        throw new Error(`${name} threw on ${label} at offset ${off}: ${(e as Error).message}\n${buf.toString('hex')}`);
      }
      assert.type(r, 'object', `${name} on ${label}`);
      if (isMalformed(r)) assert.type(r.reason, 'string');
      n++;
    }
  }
  return n;
}

const GOLDEN = [...Object.entries(V), ...Object.entries(D)].filter(([, v]) => typeof v === 'string') as Array<[string, string]>;

test('every truncation of every golden vector, at every layer offset', () => {
  let n = 0;
  for (const [name, hex] of GOLDEN) {
    const full = fromHex(hex);
    for (let cut = 0; cut <= full.length; cut++) n += feedAll(Buffer.from(full.subarray(0, cut)), `${name}[0:${cut}]`);
  }
  assert.ok(n > 10000);
});

test('4000 pseudo-random buffers (seeded)', () => {
  const rnd = prng(0x7511e7);
  for (let i = 0; i < 4000; i++) {
    const len = Math.floor(rnd() * 200);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
    // Bias some buffers towards plausible headers so deeper code runs.
    if (len > 20 && i % 4 === 1) b[0] = 0x45;
    if (len > 20 && i % 4 === 2) { b[2] = 0; b[4] = 0; b[5] = 1; }
    if (len > 24 && i % 8 === 3) b.writeUInt32LE(0xa1b2c3d4, 0);
    feedAll(b, `random #${i}`);
  }
});

test('3000 random mutations of golden vectors (seeded): bit flips, byte sets, pointer-like bytes', () => {
  const rnd = prng(42);
  for (let i = 0; i < 3000; i++) {
    const [name, hex] = GOLDEN[i % GOLDEN.length];
    const b = fromHex(hex);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * b.length);
      const kind = rnd();
      if (kind < 0.4) b[at] ^= 1 << Math.floor(rnd() * 8);
      else if (kind < 0.7) b[at] = Math.floor(rnd() * 256);
      else b[at] = 0xc0 | Math.floor(rnd() * 4);
    }
    feedAll(b, `${name} mutation #${i}`);
  }
});

test('bad views (negative, past the end, fractional) are Malformed, not thrown', () => {
  const b = fromHex(V.vxlanArpRequest);
  for (const [off, len] of [[-1, 10], [0, b.length + 1], [b.length, 1], [1.5, 4], [0, -3], [Number.NaN, 1]]) {
    for (const [name, dec] of DECODERS.slice(0, 8)) {
      const r = dec(b, off, len);
      assert.ok(isMalformed(r), `${name} (${off}, ${len})`);
    }
  }
});

test.run();
