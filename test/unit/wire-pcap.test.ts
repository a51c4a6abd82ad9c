// pcap reader and writer: the files tcpdump wrote in capture.sh parse to the golden packets with the
// capture times tcpdump printed; our writer's output reads back; big-endian and nanosecond files parse;
// a cut-off last record is reported, a bad header is Malformed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fromHex, pcapFixturePath } from '../fixtures/index.js';
import * as V from '../fixtures/vxlan-capture.js';
import * as D from '../fixtures/dns-capture.js';
import {
  type Malformed, isMalformed, decodePcap, createPcapWriter, pcapGlobalHeader, LINKTYPE_ETHERNET, PCAP_CHUNK_SIZE,
} from '../../src/wire/index.js';

function ok<T>(x: T | Malformed): T {
  if (isMalformed(x)) throw new Error(`unexpected malformed: ${x.reason}`);
  return x;
}

test('reads tcpdump-written vxlan.pcap and dns.pcap', () => {
  const cases = [
    { file: 'vxlan.pcap', packets: [V.vxlanArpRequest, V.vxlanArpReply, V.vxlanEchoRequest, V.vxlanEchoReply], times: V.vxlanPcapTimes, count: V.vxlanPcapRecords },
    {
      file: 'dns.pcap',
      packets: [D.ipv6MldReport, D.ipv6RouterSolicitation, D.dnsQueryA, D.dnsResponseA, D.dnsQueryPtr, D.dnsResponsePtr, D.dnsQueryCnameAaaa, D.dnsResponseCnameAaaa, D.dnsQueryAaaaV6, D.dnsResponseAaaaV6],
      times: D.dnsPcapTimes,
      count: D.dnsPcapRecords,
    },
  ];
  for (const c of cases) {
    const f = ok(decodePcap(readFileSync(pcapFixturePath(c.file))));
    assert.is(f.byteOrder, 'le');
    assert.is(f.nanosecond, false);
    assert.is(f.versionMajor, 2);
    assert.is(f.versionMinor, 4);
    assert.is(f.linktype, LINKTYPE_ETHERNET);
    assert.is(f.snaplen, 262144);
    assert.is(f.truncated, false);
    assert.is(f.records.length, c.count);
    c.packets.forEach((hex, i) => {
      const r = f.records[i];
      assert.is(r.data.toString('hex'), hex, `${c.file} record ${i}`);
      assert.is(r.capturedLength, r.originalLength);
      assert.is(r.tsSec, c.times[i][0]);
      assert.is(r.tsUsec, c.times[i][1]);
      assert.is(r.tsNsec, c.times[i][1] * 1000);
    });
  }
});

test('writer output reads back: header, timestamps, snaplen truncation, chunking', () => {
  const chunks: Buffer[] = [];
  let clock = 1_700_000_000_123_456;
  const w = createPcapWriter({ write: (b) => chunks.push(b) }, { snaplen: 100, clockMicros: () => clock++ });
  assert.equal(chunks[0], pcapGlobalHeader(100));
  const frames = [fromHex(V.vxlanArpRequest), fromHex(V.vxlanEchoRequest), fromHex(D.dnsResponseCnameAaaa)];
  const padded = Buffer.concat([Buffer.alloc(7), frames[1], Buffer.alloc(3)]);
  w.write(frames[0], 0, frames[0].length);
  w.write(padded, 7, frames[1].length);
  w.write(frames[2], 0, frames[2].length, 5_000_001);
  assert.is(chunks.length, 1, 'records wait for flush');
  w.flush();
  assert.is(w.records, 3);
  const f = ok(decodePcap(Buffer.concat(chunks)));
  assert.is(f.snaplen, 100);
  assert.is(f.records.length, 3);
  assert.equal(f.records[0].data, frames[0]);
  assert.equal([f.records[0].tsSec, f.records[0].tsUsec], [1_700_000_000, 123_456]);
  assert.equal([f.records[1].tsSec, f.records[1].tsUsec], [1_700_000_000, 123_457]);
  assert.equal(f.records[1].data, frames[1].subarray(0, 100));
  assert.is(f.records[1].capturedLength, 100);
  assert.is(f.records[1].originalLength, frames[1].length);
  assert.equal([f.records[2].tsSec, f.records[2].tsUsec], [5, 1]);

  // Many records: chunks of at most PCAP_CHUNK_SIZE, buffers handed over are never reused.
  const out: Buffer[] = [];
  const w2 = createPcapWriter({ write: (b) => out.push(b) }, { clockMicros: () => 0 });
  for (let i = 0; i < 1000; i++) w2.write(frames[1], 0, frames[1].length);
  const big = Buffer.alloc(PCAP_CHUNK_SIZE * 2, 0xab);
  w2.write(big, 0, big.length);
  w2.flush();
  const snapshot = Buffer.concat(out);
  assert.ok(out.slice(1).every((c) => c.length <= Math.max(PCAP_CHUNK_SIZE, big.length + 16)));
  const f2 = ok(decodePcap(snapshot));
  assert.is(f2.records.length, 1001);
  assert.ok(f2.records.slice(0, 1000).every((r) => r.data.equals(frames[1])));
  assert.equal(f2.records[1000].data, big);

  const imm: Buffer[] = [];
  const w3 = createPcapWriter({ write: (b) => imm.push(b) }, { immediate: true, clockMicros: () => 0 });
  w3.write(frames[0], 0, frames[0].length);
  assert.is(imm.length, 2);
});

test('big-endian and nanosecond files; truncated tail; bad magic and version', () => {
  const le = readFileSync(pcapFixturePath('vxlan.pcap'));
  const src = ok(decodePcap(le));
  // Build the same file big-endian, with nanosecond timestamps.
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32BE(0xa1b23c4d, 0);
  h.writeUInt16BE(2, 4);
  h.writeUInt16BE(4, 6);
  h.writeUInt32BE(65535, 16);
  h.writeUInt32BE(1, 20);
  parts.push(h);
  for (const r of src.records) {
    const rh = Buffer.alloc(16);
    rh.writeUInt32BE(r.tsSec, 0);
    rh.writeUInt32BE(r.tsUsec * 1000 + 789, 4);
    rh.writeUInt32BE(r.capturedLength, 8);
    rh.writeUInt32BE(r.originalLength, 12);
    parts.push(rh, r.data);
  }
  const be = Buffer.concat(parts);
  const f = ok(decodePcap(be));
  assert.is(f.byteOrder, 'be');
  assert.is(f.nanosecond, true);
  assert.is(f.snaplen, 65535);
  assert.is(f.records.length, src.records.length);
  f.records.forEach((r, i) => {
    assert.equal(r.data, src.records[i].data);
    assert.is(r.tsUsec, src.records[i].tsUsec);
    assert.is(r.tsNsec, src.records[i].tsUsec * 1000 + 789);
  });
  const cut = ok(decodePcap(be.subarray(0, be.length - 5)));
  assert.is(cut.truncated, true);
  assert.is(cut.records.length, src.records.length - 1);
  const cutHeader = ok(decodePcap(le.subarray(0, 24 + 10)));
  assert.is(cutHeader.truncated, true);
  assert.is(cutHeader.records.length, 0);
  assert.match((decodePcap(Buffer.alloc(24)) as Malformed).reason, /not a pcap file/);
  assert.match((decodePcap(Buffer.alloc(10)) as Malformed).reason, /truncated/);
  const v1 = Buffer.from(le.subarray(0, 24));
  v1.writeUInt16LE(1, 4);
  assert.match((decodePcap(v1) as Malformed).reason, /version/);
});

test.run();
