// Unit tests of the embedded name server (src/control/resolver.ts, resolver-upstream.ts) over loopback
// sockets in this process (no root): protocol corner cases (NOTIMP, FORMERR, truncation, TCP framing of
// two queries in one segment), a lookup that throws, an upstream that never answers (SERVFAIL after the
// timeout), ID restoration on relay, resolv.conf parsing and upstream filtering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DNS_CLASS_IN, DNS_TYPE_A, DNS_TYPE_MX, DNS_TYPE_PTR, type DnsMessage, buildDns, decodeDns } from '../../src/wire/dns.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { TsnetError } from '../../src/errors.js';
import { type ResolverAnswer, addressOfReverseName, createResolver, parseResolvConf, parseUpstream, reverseName, systemUpstreams } from '../../src/control/resolver.js';

const HOST = '127.0.0.1';
const PORT = 30000 + (process.pid % 15000);

function query(name: string, type = DNS_TYPE_A, extra: Partial<DnsMessage> = {}): Buffer {
  return buildDns({ id: 0x1234, rd: true, questions: [{ name, type, class: DNS_CLASS_IN }], ...extra });
}

function decode(b: Buffer): DnsMessage {
  const m = decodeDns(b, 0, b.length);
  if (isMalformed(m)) throw new Error(m.reason);
  return m;
}

function ask(msg: Buffer, port = PORT, host = HOST): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 10_000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(decode(m));
    });
    s.send(msg, port, host);
  });
}

const big = Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 1}`);
function lookup(_client: string, qname: string): ResolverAnswer {
  if (qname === 'boom') throw new Error('lookup exploded');
  if (qname === 'many') return { type: 'A', addresses: big };
  if (qname === 'web') return { type: 'A', addresses: ['10.0.0.2', 'fd00::2'] };
  return null;
}

test('reverse name helpers and upstream parsing', () => {
  assert.is(reverseName('172.19.0.2'), '2.0.19.172.in-addr.arpa');
  assert.is(addressOfReverseName('2.0.19.172.in-addr.arpa'), '172.19.0.2');
  assert.is(addressOfReverseName('2.0.19.172.IN-ADDR.ARPA.'), '172.19.0.2');
  assert.is(addressOfReverseName('300.0.19.172.in-addr.arpa'), undefined);
  assert.is(addressOfReverseName('web'), undefined);
  assert.equal(parseUpstream('192.0.2.53'), { host: '192.0.2.53', port: 53 });
  assert.equal(parseUpstream('192.0.2.53:5353'), { host: '192.0.2.53', port: 5353 });
  assert.equal(parseUpstream('[fd00::53]:54'), { host: 'fd00::53', port: 54 });
  assert.equal(parseUpstream('fd00::53'), { host: 'fd00::53', port: 53 });
  try {
    parseUpstream('dns.example:53');
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EDNS_UPSTREAM');
  }
});

test('resolv.conf parsing skips loopback and our own listeners', async () => {
  assert.equal(parseResolvConf('# c\nsearch x\nnameserver 192.0.2.1\nnameserver  127.0.0.53\nnameserver fd00::1\nnameserver bogus\n'), ['192.0.2.1', '127.0.0.53', 'fd00::1']);
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-resolv-'));
  try {
    const f = join(dir, 'resolv.conf');
    writeFileSync(f, 'nameserver 127.0.0.11\nnameserver 192.0.2.1\nnameserver ::1\nnameserver 172.19.0.1\nnameserver 192.0.2.2\n');
    assert.equal(await systemUpstreams(['172.19.0.1'], f), [
      { host: '192.0.2.1', port: 53 },
      { host: '192.0.2.2', port: 53 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('protocol corner cases over UDP and TCP', async () => {
  const logs: string[] = [];
  // the "upstream" receives queries and never answers
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(PORT + 1, HOST, () => r()));
  let heard = 0;
  silent.on('message', () => heard++);
  const r = createResolver({ lookup, upstreams: [`${HOST}:${PORT + 1}`], upstreamTimeoutMs: 300, log: (m) => logs.push(m) });
  await r.addListener(HOST, PORT);
  try {
    // A and AAAA split the lookup's addresses by family
    const a = await ask(query('web'));
    assert.is(a.id, 0x1234);
    assert.ok(a.qr && a.aa && a.ra && a.rd);
    assert.equal(a.answers.map((x) => x.data), ['10.0.0.2']);
    assert.is(a.answers[0]!.ttl, 5);
    const aaaa = await ask(query('WEB', 28));
    assert.equal(aaaa.answers.map((x) => x.data), ['fd00::2']);
    assert.is(aaaa.questions[0]!.name, 'WEB'); // the question is echoed as asked
    // an owned name asked for another type: NODATA
    const mx = await ask(query('web', DNS_TYPE_MX));
    assert.is(mx.rcode, 0);
    assert.is(mx.answers.length, 0);
    // too many answers for 512 bytes without EDNS: truncated, the client retries over TCP
    const tc = await ask(query('many'));
    assert.ok(tc.tc);
    assert.is(tc.answers.length, 0);
    // with EDNS (payload 1232) the 60 answers fit
    const edns = await ask(query('many', DNS_TYPE_A, { additionals: [{ name: '', type: 41, class: 4096, ttl: 0, data: new Uint8Array(0) }] }));
    assert.not.ok(edns.tc);
    assert.is(edns.answers.length, 60);
    // wrong opcode: NOTIMP; two questions: FORMERR
    assert.is((await ask(buildDns({ id: 7, opcode: 2, questions: [{ name: 'web', type: 1, class: 1 }] }))).rcode, 4);
    const two = await ask(buildDns({ id: 8, questions: [{ name: 'a', type: 1, class: 1 }, { name: 'b', type: 1, class: 1 }] }));
    assert.is(two.rcode, 1);
    // a lookup that throws: SERVFAIL, logged, server alive
    assert.is((await ask(query('boom'))).rcode, 2);
    assert.ok(logs.some((l) => l.includes('lookup exploded')));
    // upstream silent: SERVFAIL after the timeout
    const sf = await ask(query('elsewhere.example', DNS_TYPE_PTR));
    assert.is(sf.rcode, 2);
    assert.is(sf.id, 0x1234);
    assert.ok(heard >= 1);
    // TCP: two queries in one segment get two framed answers
    const q1 = query('web');
    const q2 = buildDns({ id: 0x4321, questions: [{ name: 'many', type: DNS_TYPE_A, class: DNS_CLASS_IN }] });
    const framed = Buffer.concat([Buffer.from([q1.length >> 8, q1.length & 0xff]), q1, Buffer.from([q2.length >> 8, q2.length & 0xff]), q2]);
    const answers = await new Promise<DnsMessage[]>((resolve, reject) => {
      const got: DnsMessage[] = [];
      let buf = Buffer.alloc(0);
      const s = connect({ host: HOST, port: PORT }, () => s.write(framed));
      s.on('error', reject);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          got.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (got.length === 2) {
          s.destroy();
          resolve(got);
        }
      });
    });
    const byId = new Map(answers.map((m) => [m.id, m]));
    assert.is(byId.get(0x1234)!.answers[0]!.data, '10.0.0.2');
    assert.is(byId.get(0x4321)!.answers.length, 60); // no truncation over TCP
    const st = r.stats();
    assert.ok(st.tcpQueries === 2 && st.servfail >= 2 && st.malformed >= 1, JSON.stringify(st));
    // a second listener on the same ip with another port is a conflict
    try {
      await r.addListener(HOST, PORT + 2);
      assert.unreachable();
    } catch (err) {
      assert.is((err as TsnetError).code, 'EDNS_LISTEN');
    }
  } finally {
    await r.stop();
    silent.close();
  }
});

test('relayed answers keep the client ID while the upstream saw another one', async () => {
  const up = createSocket('udp4');
  await new Promise<void>((r) => up.bind(PORT + 3, HOST, () => r()));
  let upstreamSawId = -1;
  up.on('message', (m, rinfo) => {
    const q = decode(m);
    upstreamSawId = q.id;
    up.send(buildDns({ id: q.id, qr: true, ra: true, questions: q.questions, answers: [{ name: q.questions[0]!.name, type: 1, class: 1, ttl: 300, data: '192.0.2.7' }] }), rinfo.port, rinfo.address);
  });
  const r = createResolver({ lookup, upstreams: [{ host: HOST, port: PORT + 3 }] });
  await r.addListener(HOST, PORT);
  try {
    const m = await ask(buildDns({ id: 0xbeef, rd: true, questions: [{ name: 'example.org', type: 1, class: 1 }] }));
    assert.is(m.id, 0xbeef);
    assert.is(m.answers[0]!.data, '192.0.2.7');
    assert.is(m.answers[0]!.ttl, 300); // upstream answers are relayed untouched
    assert.ok(upstreamSawId >= 0);
  } finally {
    await r.stop();
    up.close();
  }
});

test('an address that is not ours cannot be listened on', async () => {
  const r = createResolver({ lookup, upstreams: [] });
  try {
    await r.addListener('192.0.2.200', PORT);
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EDNS_LISTEN');
    assert.ok((err as TsnetError).message.includes('is not an address of this host'));
  }
  await r.stop();
});

test.run();
