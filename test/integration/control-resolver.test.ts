// Integration test of the embedded name server (src/control/resolver.ts) with real tools on loopback:
// the resolver runs in this process on a 127.x address, `dig` asks it (from chosen 127.x source
// addresses, so the lookup sees known and unknown clients), and a real dnsmasq on another 127.x address
// is the upstream. Checks owned names (TTL <= 5), AAAA NODATA, PTR, REFUSED for unknown clients,
// NXDOMAIN, forwarding, TCP, removal taking effect at once, malformed packets, upstream down -> SERVFAIL.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { type Resolver, type ResolverAnswer, createResolver } from '../../src/control/resolver.js';
import { onCleanup } from '../helpers/netns.js';

const t = suite('control resolver');

// Addresses and ports unique to this process, all on loopback (127.0.0.0/8 is routed to lo).
const net = `127.${77 + (process.pid % 100)}.${process.pid % 250}`;
const RESOLVER = `${net}.1`;
const UPSTREAM = `${net}.2`;
const CLIENT = `${net}.3`;
const STRANGER = `${net}.4`;
const PORT = 20000 + (process.pid % 20000);
const UPSTREAM_PORT = PORT + 1;

const names = new Map<string, string[]>([
  ['web', ['10.0.0.2']],
  ['db', ['10.0.0.3']],
]);

function lookup(client: string, qname: string): ResolverAnswer {
  const reverse = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(qname);
  if (reverse) {
    const ip = `${reverse[4]}.${reverse[3]}.${reverse[2]}.${reverse[1]}`;
    const owners = [...names].filter(([, a]) => a.includes(ip)).map(([n]) => n);
    if (owners.length === 0) return null;
    return client === CLIENT ? { type: 'PTR', names: owners } : { type: 'REFUSED' };
  }
  if (qname.endsWith('.tsnet')) return { type: 'NXDOMAIN' };
  if (qname === 'ghost') return { type: 'A', addresses: [] };
  const a = names.get(qname);
  if (!a) return null;
  return client === CLIENT ? { type: 'A', addresses: a } : { type: 'REFUSED' };
}

let resolver: Resolver;
let dnsmasq: ChildProcess | undefined;

function killDnsmasq(): Promise<void> {
  const p = dnsmasq;
  dnsmasq = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    process.kill(p.pid!, 'SIGTERM');
  });
}

interface Dig {
  status: string;
  flags: string[];
  answers: Array<{ name: string; ttl: number; type: string; data: string }>;
  raw: string;
}

function dig(name: string, type: string, opts: { from?: string; tcp?: boolean; reverse?: boolean } = {}): Promise<Dig> {
  const args = [`@${RESOLVER}`, '-p', String(PORT), '-b', opts.from ?? CLIENT, '+tries=1', '+time=8', '+nocookie'];
  if (opts.tcp) args.push('+tcp');
  if (opts.reverse) args.push('-x', name);
  else args.push(name, type);
  return new Promise((resolve, reject) => {
    execFile('dig', args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout) => {
      if (err && !stdout) return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NO-REPLY';
      const flags = (/flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
      const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? '';
      const answers = section
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith(';'))
        .map((l) => {
          const [n, ttl, , ty, ...data] = l.split(/\s+/);
          return { name: n!, ttl: Number(ttl), type: ty!, data: data.join(' ') };
        });
      resolve({ status, flags, answers, raw: stdout });
    });
  });
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.before(async () => {
  dnsmasq = spawn(
    'dnsmasq',
    ['--no-daemon', '--conf-file=/dev/null', '--no-hosts', '--no-resolv', '--bind-interfaces', `--listen-address=${UPSTREAM}`, `--port=${UPSTREAM_PORT}`, '--address=/upstream.test/10.1.2.3', '--pid-file=', '--user=root'],
    { stdio: 'ignore' },
  );
  const child = dnsmasq;
  // killed by its PID only while it is still ours (not exited, so the PID cannot have been reused)
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  resolver = createResolver({ lookup, upstreams: [`${UPSTREAM}:${UPSTREAM_PORT}`], upstreamTimeoutMs: 1500 });
  await resolver.addListener(RESOLVER, PORT);
  // dnsmasq is ready when a forwarded name resolves through us
  await until('dnsmasq to answer', async () => (await dig('upstream.test', 'A')).answers.length === 1);
});

t.after(async () => {
  await resolver?.stop();
  await killDnsmasq();
});

t('owned name: A with TTL <= 5, authoritative; AAAA is empty NOERROR', async () => {
  const r = await dig('web', 'A');
  assert.is(r.status, 'NOERROR');
  assert.is(r.answers.length, 1);
  assert.is(r.answers[0]!.data, '10.0.0.2');
  assert.ok(r.answers[0]!.ttl <= 5 && r.answers[0]!.ttl >= 0);
  assert.ok(r.flags.includes('aa'), r.raw);
  const v6 = await dig('web', 'AAAA');
  assert.is(v6.status, 'NOERROR');
  assert.is(v6.answers.length, 0);
});

t('reverse PTR of an owned address', async () => {
  const r = await dig('10.0.0.3', 'PTR', { reverse: true });
  assert.is(r.status, 'NOERROR');
  assert.is(r.answers[0]!.type, 'PTR');
  assert.is(r.answers[0]!.data, 'db.');
});

t('unknown client is refused; unknown names in our domain are NXDOMAIN', async () => {
  assert.is((await dig('web', 'A', { from: STRANGER })).status, 'REFUSED');
  assert.is((await dig('nobody.tsnet', 'A')).status, 'NXDOMAIN');
  assert.is((await dig('ghost', 'A')).status, 'NXDOMAIN');
});

t('names we do not own are forwarded to the upstream and relayed', async () => {
  const r = await dig('upstream.test', 'A');
  assert.is(r.status, 'NOERROR');
  assert.is(r.answers[0]!.data, '10.1.2.3');
  const tcp = await dig('upstream.test', 'A', { tcp: true });
  assert.is(tcp.answers[0]!.data, '10.1.2.3');
  assert.ok(resolver.stats().forwarded >= 2);
});

t('TCP queries are answered too', async () => {
  const r = await dig('db', 'A', { tcp: true });
  assert.is(r.answers[0]!.data, '10.0.0.3');
  assert.ok(resolver.stats().tcpQueries >= 1);
});

t('a removed name stops resolving at once', async () => {
  names.set('tmp', ['10.0.0.9']);
  assert.is((await dig('tmp', 'A')).answers[0]!.data, '10.0.0.9');
  names.delete('tmp');
  const r = await dig('tmp', 'A');
  assert.is(r.answers.length, 0);
});

t('malformed packets are dropped and counted, and the server keeps answering', async () => {
  const before = resolver.stats().malformed;
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, CLIENT, () => r()));
  const garbage = [Buffer.from([1, 2, 3]), Buffer.from('0001010000010000000000000377777706676f6f676c6503636f6dc0', 'hex'), Buffer.alloc(600, 0xff)];
  for (const g of garbage) await new Promise<void>((r) => sock.send(g, PORT, RESOLVER, () => r()));
  await until('the malformed counter', async () => resolver.stats().malformed >= before + garbage.length);
  sock.close();
  assert.is((await dig('web', 'A')).answers[0]!.data, '10.0.0.2');
});

t('upstream down: SERVFAIL, owned names still answered', async () => {
  await killDnsmasq();
  const r = await dig('upstream.test', 'A');
  assert.is(r.status, 'SERVFAIL');
  assert.is((await dig('web', 'A')).answers[0]!.data, '10.0.0.2');
});

t('listeners: add is idempotent, remove stops answering', async () => {
  await resolver.addListener(RESOLVER, PORT);
  assert.equal(resolver.listeners(), [{ ip: RESOLVER, port: PORT }]);
  await resolver.removeListener(RESOLVER);
  assert.equal(resolver.listeners(), []);
  const r = await new Promise<string>((resolve) => {
    execFile('dig', [`@${RESOLVER}`, '-p', String(PORT), '-b', CLIENT, '+tries=1', '+time=1', 'web', 'A'], { encoding: 'utf8' }, (_e, out) => resolve(out));
  });
  assert.not.ok(/status: NOERROR/.test(r));
  await resolver.addListener(RESOLVER, PORT);
});

t.run();
