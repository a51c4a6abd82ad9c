// Encrypted overlays between two real daemons ("hosts" in namespaces on one underlay bridge, joined
// through the DHT with a shared --cluster-key): a global network created with -o encrypted carries
// ping by name between containers on the two hosts while tcpdump on the underlay bridge sees no
// plaintext inner frame (neither the ICMP payload pattern nor the containers' addresses); the same
// traffic on an unencrypted network does show them (the search works); a static-peer overlay with
// -o key-file=PATH works too; `tsnet network rotate-key` and -o key-rotation move both hosts to the
// next key with no ping lost, one host rotating. Everything is removed by cleanupAll.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cleanupAll, onCleanup } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeUnderlay, type Underlay } from '../helpers/underlay.js';
import { generateClusterKey } from '../../src/discovery/pnet.js';
import { until } from '../helpers/until.js';

const t = suite('encrypted overlay');
let hosts: TestDaemon[] = [];
let ul: Underlay;
/** made in before(): uvu imports every test file first, and another suite's cleanupAll would
 *  run a cleanup registered at import time */
let dir = '';
/** The ICMP payload pattern ping repeats (ping -p): easy to find in a capture. */
const PATTERN = '5ec0de5ec0de5ec0de5ec0de5ec0de5e';


const upHosts = (d: TestDaemon) => (d.ok('info').match(/\(up,/g) ?? []).length;

/** tcpdump on host 1's underlay link (frames forwarded by the bridge are not seen on br0 itself),
 *  writing every UDP packet to a pcap file until stop(). */
async function capture(name: string): Promise<{ stop: () => Promise<Buffer> }> {
  const file = join(dir, `${name}.pcap`);
  const p: ChildProcess = spawn('ip', ['netns', 'exec', ul.hosts[0]!.ns, 'tcpdump', '-i', 'ul0', '--immediate-mode', '-U', '-n', '-s', '0', '-w', file, 'udp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  onCleanup(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  let err = '';
  p.stderr!.on('data', (b) => (err += b));
  await until('tcpdump to listen', () => err.includes('listening on'), 10_000);
  return {
    async stop() {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGINT');
      await exited;
      const bytes = readFileSync(file);
      if (bytes.length <= 24) console.log(`tcpdump: ${err}`);
      return bytes;
    },
  };
}

function containerIp(d: TestDaemon, net: string, name: string): string {
  const [n] = JSON.parse(d.ok('network', 'inspect', net)) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
  return Object.values(n!.Containers).find((c) => c.Name === name)!.IPv4Address.split('/')[0]!;
}

const ipBytes = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** Pings b from a (by name) with the pattern while capturing; returns the capture. */
async function pingCaptured(net: string, a: string, b: string): Promise<Buffer> {
  await until(`${a} pings ${b} on ${net}`, () => hosts[0]!.inContainer(a, 'ping', ['-c', '1', '-W', '2', b]).status === 0, 60_000);
  const cap = await capture(net);
  const r = hosts[0]!.inContainer(a, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '200', '-p', PATTERN, b]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  return cap.stop();
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-sec-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  ul = makeUnderlay(2);
  const keyFile = join(dir, 'cluster.key');
  writeFileSync(keyFile, generateClusterKey());
  const first = ul.hosts[0]!.address;
  for (const [i, h] of ul.hosts.entries()) {
    const join = i === 0 ? [] : ['--join', `${first}:7946`];
    hosts.push(await startTestDaemon({ hostNs: h.ns, extraArgs: ['--advertise', h.address, '--listen', `${h.address}:7946`, '--cluster-key', keyFile, ...join] }));
  }
  for (const d of hosts) await until('the hosts to see each other', () => upHosts(d) === 1);
});
t.after(() => cleanupAll());

t('-o encrypted global network: ping by name works, the underlay carries no plaintext', async () => {
  hosts[0]!.ok('network', 'create', '-d', 'overlay', '-o', 'encrypted', 'secnet');
  const [net] = JSON.parse(hosts[0]!.ok('network', 'inspect', 'secnet')) as Array<Record<string, any>>;
  assert.is(net!.Scope, 'global');
  assert.is(net!.Tsnet.Mtu, 1500 - 50 - 32, 'the MTU leaves room for the seal header and tag');
  assert.is(net!.Tsnet.Encryption.Algorithm, 'chacha20-poly1305');
  await until('secnet on host 2', () => hosts[1]!.ok('network', 'ls').includes('secnet'));
  hosts[0]!.ok('run', '-d', '--name', 's1', '--net', 'secnet', '--', 'sleep', '600');
  hosts[1]!.ok('run', '-d', '--name', 's2', '--net', 'secnet', '--', 'sleep', '600');
  const pcap = await pingCaptured('secnet', 's1', 's2');
  assert.ok(pcap.length > 24 + 6 * 200, `the capture holds the tunnelled pings (${pcap.length} bytes)`);
  assert.is(pcap.indexOf(Buffer.from(PATTERN, 'hex')), -1, 'the ICMP payload is not visible on the underlay');
  for (const ip of [containerIp(hosts[0]!, 'secnet', 's1'), containerIp(hosts[1]!, 'secnet', 's2')]) {
    assert.is(pcap.indexOf(ipBytes(ip)), -1, `container address ${ip} is not visible on the underlay`);
  }
  const [after] = JSON.parse(hosts[1]!.ok('network', 'inspect', 'secnet')) as Array<Record<string, any>>;
  assert.ok(after!.Tsnet.Encryption.Opened > 0);
  // until a host has fetched the key it drops what it would send ('crypto-no-key') and what it
  // receives ('crypto-unknown-key'); nothing fails authentication or is a replay
  const drops = after!.Tsnet.Encryption.Drops as Record<string, number>;
  assert.is(drops['crypto-auth-failed'] ?? 0, 0);
  assert.is(drops['crypto-replay'] ?? 0, 0);
});

/** Encryption in `network inspect` on host i. */
const encryptionOf = (i: number, net: string) => (JSON.parse(hosts[i]!.ok('network', 'inspect', net)) as Array<Record<string, any>>)[0]!.Tsnet.Encryption;

/** ping -c COUNT -i 0.1 from container a (host 1) to b, in the background; resolves with its summary. */
function pingInBackground(a: string, b: string, count: number): Promise<{ sent: number; received: number; out: string }> {
  const p = spawn('ip', ['netns', 'exec', hosts[0]!.prefix + a, 'ping', '-c', String(count), '-i', '0.1', '-W', '1', b], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve) => p.once('exit', () => {
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    resolve({ sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), out });
  }));
}

t('network rotate-key: both hosts send with the next key a few seconds later, no ping lost meanwhile', async () => {
  for (const i of [0, 1]) await until(`host ${i + 1} sends with key 1`, () => encryptionOf(i, 'secnet').SendingKey === 1);
  assert.is(encryptionOf(0, 'secnet').KeyRotationSeconds, 12 * 3600, "Docker's 12 h by default");
  // packets that came before a host had fetched key 1 were dropped as crypto-unknown-key: count from here
  const unknownKey = (i: number) => (encryptionOf(i, 'secnet').Drops['crypto-unknown-key'] ?? 0) as number;
  const unknownBefore = [unknownKey(0), unknownKey(1)];
  const pings = pingInBackground('s1', 's2', 100);
  await new Promise((r) => setTimeout(r, 1000));
  const said = hosts[1]!.ok('network', 'rotate-key', 'secnet');
  assert.match(said, /network secnet: key 2 made and sent to the members; every host sends with it from \d{4}-/);
  for (const i of [0, 1]) await until(`host ${i + 1} sends with key 2`, () => encryptionOf(i, 'secnet').SendingKey === 2, 20_000);
  const r = await pings;
  assert.ok(r.sent >= 100, r.out);
  assert.is(r.received, r.sent, `every ping across the key change was answered: ${r.out}`);
  for (const i of [0, 1]) {
    const drops = encryptionOf(i, 'secnet').Drops as Record<string, number>;
    assert.is(drops['crypto-auth-failed'] ?? 0, 0);
    assert.is(unknownKey(i), unknownBefore[i], `host ${i + 1} got no packet sealed with a key it did not have yet`);
  }
});

t('-o key-rotation=10s: the network rotates by itself, one host making each key, traffic keeps flowing', async () => {
  hosts[1]!.ok('network', 'create', '-d', 'overlay', '-o', 'encrypted', '-o', 'key-rotation=10s', 'rotnet');
  await until('rotnet on host 1', () => hosts[0]!.ok('network', 'ls').includes('rotnet'));
  hosts[0]!.ok('run', '-d', '--name', 'r1', '--net', 'rotnet', '--', 'sleep', '600');
  hosts[1]!.ok('run', '-d', '--name', 'r2', '--net', 'rotnet', '--', 'sleep', '600');
  assert.is(encryptionOf(0, 'rotnet').KeyRotationSeconds, 10);
  await until('r1 pings r2', () => hosts[0]!.inContainer('r1', 'ping', ['-c', '1', '-W', '2', 'r2']).status === 0, 60_000);
  const start = encryptionOf(0, 'rotnet').SendingKey as number;
  for (const i of [0, 1]) await until(`host ${i + 1} sends with key ${start + 2}`, () => encryptionOf(i, 'rotnet').SendingKey >= start + 2, 45_000);
  const r = hosts[0]!.inContainer('r1', 'ping', ['-c', '3', '-i', '0.2', '-W', '2', 'r2']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  // each key was made by one host: the creator (host 2), which is live
  const rotations = (i: number) => (hosts[i]!.log.join('').match(/rotated to key \d+ \(every 10 s\)/g) ?? []).length;
  assert.ok(rotations(1) >= 2, `host 2 (the creator) rotated: ${rotations(1)}`);
  assert.is(rotations(0), 0, 'host 1 never rotated itself');
});

t('control: the same pings on an unencrypted network are visible on the underlay', async () => {
  hosts[0]!.ok('network', 'create', '-d', 'overlay', 'plainnet');
  await until('plainnet on host 2', () => hosts[1]!.ok('network', 'ls').includes('plainnet'));
  hosts[0]!.ok('run', '-d', '--name', 'p1', '--net', 'plainnet', '--', 'sleep', '600');
  hosts[1]!.ok('run', '-d', '--name', 'p2', '--net', 'plainnet', '--', 'sleep', '600');
  const pcap = await pingCaptured('plainnet', 'p1', 'p2');
  assert.ok(pcap.indexOf(Buffer.from(PATTERN, 'hex')) >= 0, 'plaintext ICMP payload found');
});

t('static-peer overlay with -o key-file: encrypted both ways, refused without a key file', async () => {
  const keyFile = join(dir, 'overlay.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n');
  const bad = hosts[0]!.cli('network', 'create', '-d', 'overlay', '--scope', 'local', '--peer', ul.hosts[1]!.address, '-o', 'encrypted', 'nokey');
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /key-file/);
  for (const [i, d] of hosts.entries()) {
    d.ok('network', 'create', '-d', 'overlay', '--scope', 'local', '--subnet', '10.77.0.0/24', '--peer', ul.hosts[1 - i]!.address, '-o', 'vni=4242', '-o', `key-file=${keyFile}`, 'statsec');
    d.ok('run', '-d', '--name', `k${i + 1}`, '--net', 'statsec', '--ip', `10.77.0.${10 + i}`, '--', 'sleep', '600');
  }
  try {
    await until('k1 pings k2 over the static encrypted overlay', () => hosts[0]!.inContainer('k1', 'ping', ['-c', '1', '-W', '2', '10.77.0.11']).status === 0, 60_000);
  } catch (err) {
    for (const h of hosts) console.log(JSON.stringify(JSON.parse(h.ok('network', 'inspect', 'statsec'))[0].Tsnet), h.ok('peers', 'statsec', '--format', 'json'), h.log.slice(-10).join(''));
    throw err;
  }
  const [n] = JSON.parse(hosts[1]!.ok('network', 'inspect', 'statsec')) as Array<Record<string, any>>;
  assert.ok(n!.Tsnet.Encryption.Opened > 0);
});

t('-o cipher: AES-256-GCM on both ends works; ends with different ciphers drop each other as crypto-bad-version', async () => {
  const keyFile = join(dir, 'overlay.key');
  const create = (d: (typeof hosts)[number], i: number, cipher: string) =>
    d.ok('network', 'create', '-d', 'overlay', '--scope', 'local', '--subnet', '10.78.0.0/24', '--peer', ul.hosts[1 - i]!.address, '-o', 'vni=4243', '-o', `key-file=${keyFile}`, '-o', `cipher=${cipher}`, 'aesnet');
  create(hosts[0]!, 0, 'aes-256-gcm');
  create(hosts[1]!, 1, 'chacha20-poly1305');
  for (const [i, d] of hosts.entries()) d.ok('run', '-d', '--name', `a${i + 1}`, '--net', 'aesnet', '--ip', `10.78.0.${10 + i}`, '--', 'sleep', '600');
  const inspect = (i: number) => (JSON.parse(hosts[i]!.ok('network', 'inspect', 'aesnet')) as Array<Record<string, any>>)[0]!.Tsnet.Encryption;
  assert.is(hosts[0]!.inContainer('a1', 'ping', ['-c', '2', '-W', '1', '10.78.0.11']).status, 1, 'no reply across two ciphers');
  assert.ok((inspect(1).Drops['crypto-bad-version'] ?? 0) > 0, 'the ChaCha20 end counts the AES packets as another version');
  assert.is(inspect(1).Drops['crypto-auth-failed'] ?? 0, 0);

  hosts[1]!.ok('rm', '-f', 'a2');
  hosts[1]!.ok('network', 'rm', 'aesnet');
  create(hosts[1]!, 1, 'aes-256-gcm');
  hosts[1]!.ok('run', '-d', '--name', 'a2', '--net', 'aesnet', '--ip', '10.78.0.11', '--', 'sleep', '600');
  await until('a1 pings a2 with AES-256-GCM on both ends', () => hosts[0]!.inContainer('a1', 'ping', ['-c', '1', '-W', '2', '10.78.0.11']).status === 0, 60_000);
  assert.is(inspect(0).Algorithm, 'aes-256-gcm');
  assert.ok(inspect(1).Opened > 0);
});

t.run();
