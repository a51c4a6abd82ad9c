// Fuzzing of the embedded name server (src/control/resolver.ts) over real loopback sockets, as a
// container would reach it (SECURITY.md): seeded random and mutated DNS queries over UDP, random and
// mutated length-prefixed streams over TCP (including lengths that lie), with an "upstream" that
// answers forwarded queries with mutated responses. No exception may escape (the process would die),
// every UDP query is counted, and afterwards the server still answers a valid query correctly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { DNS_CLASS_IN, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, buildDns, decodeDns } from '../../src/wire/dns.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { createResolver, type ResolverAnswer } from '../../src/control/resolver.js';
import { DEFAULT_SEED, mutate, rng, type Rng } from '../helpers/fault-rng.js';

// --- our choice: budgets ---
const UDP_RANDOM = 2000;
const UDP_MUTATED = 4000;
const UDP_BATCH = 200;
const TCP_CONNECTIONS = 150;
const HOST = '127.0.0.1';
const PORT = 20000 + (process.pid % 9000);

function lookup(_client: string, qname: string): ResolverAnswer {
  if (qname === 'web') return { type: 'A', addresses: ['10.0.0.2', 'fd00::2'] };
  if (qname === 'nx') return { type: 'NXDOMAIN' };
  if (qname === 'no') return { type: 'REFUSED' };
  if (qname === '2.0.0.10.in-addr.arpa') return { type: 'PTR', names: ['web.'] };
  return null; // forwarded upstream
}

function seeds(): Buffer[] {
  const q = (name: string, type: number, extra = {}) => buildDns({ id: 0x4242, rd: true, questions: [{ name, type, class: DNS_CLASS_IN }], ...extra });
  return [
    q('web', DNS_TYPE_A),
    q('web', DNS_TYPE_AAAA),
    q('nx', DNS_TYPE_A),
    q('no', DNS_TYPE_A),
    q('2.0.0.10.in-addr.arpa', DNS_TYPE_PTR),
    q('elsewhere.example', DNS_TYPE_A),
    q('web', DNS_TYPE_A, { additionals: [{ name: '', type: 41, class: 4096, ttl: 0, data: new Uint8Array(0) }] }),
  ];
}

function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (cond() ? resolve() : Date.now() > end ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(tick, 10));
    tick();
  });
}

/** An upstream that answers every forwarded query with a mutation of it (QR set, ID kept half the time). */
async function hostileUpstream(r: Rng): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    const ans = mutate(r, msg, 3);
    if (ans.length >= 3 && r.bool(0.7)) {
      msg.copy(ans, 0, 0, 2);
      ans[2]! |= 0x80;
    }
    s.send(ans, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => s.bind(PORT + 1, HOST, () => res()));
  return s;
}

function ask(msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 10_000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, PORT, HOST);
  });
}

test(`resolver: ${UDP_RANDOM + UDP_MUTATED} hostile UDP queries and ${TCP_CONNECTIONS} hostile TCP streams (seed ${DEFAULT_SEED + 2})`, async () => {
  const r = rng(DEFAULT_SEED + 2);
  const upstream = await hostileUpstream(r);
  const logs: string[] = [];
  const res = createResolver({ lookup, upstreams: [`${HOST}:${PORT + 1}`], upstreamTimeoutMs: 200, log: (m) => logs.push(m) });
  await res.addListener(HOST, PORT);
  const client = createSocket('udp4');
  client.on('message', () => undefined);
  await new Promise<void>((ok) => client.bind(0, HOST, () => ok()));
  try {
    const base = seeds();
    let sent = 0;
    for (let i = 0; i < UDP_RANDOM + UDP_MUTATED; i++) {
      const msg = i < UDP_RANDOM ? r.bytes(r.int(100)) : mutate(r, r.pick(base));
      if (msg.length === 0) continue; // a zero-length datagram is not a query at all
      client.send(msg, PORT, HOST);
      sent++;
      if (sent % UDP_BATCH === 0) await until(() => res.stats().queries >= sent, `${sent} UDP queries counted`);
    }
    await until(() => res.stats().queries >= sent, 'every UDP query counted');
    assert.is(res.stats().queries, sent);

    // TCP: random garbage, mutated framed queries, and a length prefix that promises more than is sent
    for (let i = 0; i < TCP_CONNECTIONS; i++) {
      const sock = connect(PORT, HOST);
      sock.on('error', () => undefined);
      sock.on('data', () => undefined);
      await new Promise<void>((ok) => sock.once('connect', () => ok()));
      const parts: Buffer[] = [];
      for (let k = 0, n = 1 + r.int(4); k < n; k++) {
        const q = r.bool(0.3) ? r.bytes(r.int(80)) : mutate(r, r.pick(base));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.bool(0.8) ? q.length : r.int(65536));
        parts.push(len, q);
      }
      sock.end(Buffer.concat(parts));
      await new Promise<void>((ok) => sock.once('close', () => ok()));
    }
    const st = res.stats();
    assert.ok(st.malformed > 0 && st.answered > 0 && st.tcpQueries > 0, `the fuzz reached decode failures, answers and TCP: ${JSON.stringify(st)}`);

    // still answering, correctly
    const raw = await ask(buildDns({ id: 99, rd: true, questions: [{ name: 'web', type: DNS_TYPE_A, class: DNS_CLASS_IN }] }));
    const a = decodeDns(raw, 0, raw.length);
    assert.not.ok(isMalformed(a));
    if (!isMalformed(a)) {
      assert.is(a.id, 99);
      assert.equal(a.answers.map((x) => x.data), ['10.0.0.2']);
    }
    assert.equal(res.listeners(), [{ ip: HOST, port: PORT }]);
  } finally {
    client.close();
    upstream.close();
    await res.stop();
  }
});

test('a forwarded query that completes after its listener was removed (network rm) does not crash the process', async () => {
  // the upstream answers after 150 ms; the listener is removed at once, as `network rm` does
  const slow = createSocket('udp4');
  slow.on('message', (msg, rinfo) => {
    const ans = Buffer.from(msg);
    ans[2]! |= 0x80;
    setTimeout(() => slow.send(ans, rinfo.port, rinfo.address), 150);
  });
  await new Promise<void>((ok) => slow.bind(PORT + 2, HOST, () => ok()));
  const res = createResolver({ lookup, upstreams: [`${HOST}:${PORT + 2}`], upstreamTimeoutMs: 1000 });
  await res.addListener(HOST, PORT + 3);
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  const client = createSocket('udp4');
  try {
    await new Promise<void>((ok) => client.bind(0, HOST, () => ok()));
    client.send(buildDns({ id: 5, rd: true, questions: [{ name: 'elsewhere.example', type: DNS_TYPE_A, class: DNS_CLASS_IN }] }), PORT + 3, HOST);
    await until(() => res.stats().queries === 1, 'the query reached the resolver');
    await res.removeListener(HOST);
    await new Promise((ok) => setTimeout(ok, 400)); // the upstream answers after 150 ms: let the relay finish
    assert.is(res.stats().forwarded, 1, 'the upstream answer arrived');
    assert.equal(uncaught.map((e) => e.message), [], 'no exception escaped');
  } finally {
    process.off('uncaughtException', onUncaught);
    client.close();
    slow.close();
    await res.stop();
  }
});

test.run();
