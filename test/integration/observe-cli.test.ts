// The observing commands end to end on one host, against a real daemon, real namespaces and TAPs:
// `tsnet fdb` shows the MACs the switch learned from a ping, `tsnet peers` says a bridge network has
// none, `tsnet trace` prints what the switch did with the ARP and ICMP frames of a ping, `tsnet
// capture` writes pcap files (and a stream to `tshark -r -`) that tshark dissects, `tsnet stats`
// shows the per-frame latency, and the daemon's --metrics endpoint serves Prometheus text.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, inNs, onCleanup } from '../helpers/netns.js';
import { CLI, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('observe: fdb, peers, trace, capture, stats, metrics');
let d: TestDaemon;
let dir: string;
let roseIp = '';
let lilyIp = '';
const METRICS = '127.0.0.1:9523';

/** Runs the CLI in the background (a live view), collecting its output. */
function cliBackground(...args: string[]) {
  const p = spawn(process.execPath, [CLI, '--host', d.socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number>((resolve) => p.on('exit', (code) => resolve(code ?? -1)));
  return { p, exited, out: () => stdout, err: () => stderr };
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ping = (from: string, to: string, n = 2) => d.inContainer(from, 'ping', ['-c', String(n), '-i', '0.2', '-W', '2', to]);

const tshark = (file: string, fields: string[], filter?: string) =>
  spawnSync('tshark', ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-observe-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  d = await startTestDaemon({ extraArgs: ['--metrics', METRICS] });
  d.ok('network', 'create', '--subnet', '172.29.0.0/16', 'lab');
  d.ok('run', '-d', '--name', 'rose', '--net', 'lab', '--', 'sleep', '600');
  d.ok('run', '-d', '--name', 'lily', '--net', 'lab', '--', 'sleep', '600');
  const ipOf = (name: string) => (JSON.parse(d.ok('inspect', name)) as Array<any>)[0].NetworkSettings.Networks.lab.IPAddress as string;
  roseIp = ipOf('rose');
  lilyIp = ipOf('lily');
});
t.after(() => cleanupAll());

t('fdb lists the MACs learned from a ping, with container names', () => {
  assert.is(ping('rose', lilyIp).status, 0);
  const out = d.ok('fdb', 'lab');
  assert.match(out, /^MAC\s+PORT\s+VTEP\s+TYPE\s+AGE/);
  const mac = (name: string) => (JSON.parse(d.ok('inspect', name)) as Array<any>)[0].NetworkSettings.Networks.lab.MacAddress as string;
  assert.match(out, new RegExp(`${mac('rose')}\\s+rose:eth0\\s+-\\s+learned\\s+\\d+\\.\\ds`));
  assert.match(out, new RegExp(`${mac('lily')}\\s+lily:eth0\\s+-\\s+learned`));
  const rows = JSON.parse(d.ok('fdb', 'lab', '--format', 'json')) as Array<{ mac: string; port: string }>;
  assert.ok(rows.some((r) => r.port === 'rose:eth0'));
});

t('peers of a bridge network', () => {
  assert.is(d.ok('peers', 'lab').trim(), 'no peers: bridge network');
});

t('trace shows flooding, learning and forwarding of a ping, decoded', async () => {
  const tr = cliBackground('trace', 'lab', '-c', '4', '(arp or icmp) and not learned');
  await until('the trace to start', () => /tracing lab, filter: /.test(tr.err()));
  d.inContainer('rose', 'ip', ['neigh', 'flush', 'all']);
  d.inContainer('lily', 'ip', ['neigh', 'flush', 'all']);
  assert.is(ping('rose', lilyIp, 1).status, 0);
  assert.is(await tr.exited, 0, tr.err());
  const lines = tr.out().trim().split('\n');
  const text = lines.join('\n');
  assert.match(text, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} rose:eth0 > flood\\(2\\) \\S+ > ff:ff:ff:ff:ff:ff ARP who-has ${lilyIp.replace(/\./g, '\\.')} tell ${roseIp.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(text, new RegExp(` lily:eth0 > rose:eth0 \\S+ > \\S+ ARP reply ${lilyIp.replace(/\./g, '\\.')} is-at `));
  assert.match(text, new RegExp(` rose:eth0 > lily:eth0 \\S+ > \\S+ IP ${roseIp.replace(/\./g, '\\.')} > ${lilyIp.replace(/\./g, '\\.')}: ICMP echo request`));
});

t('trace --port and a bad filter', async () => {
  const bad = d.cli('trace', 'lab', 'frobnicate');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /"frobnicate" is not a filter term/);
  const noPort = d.cli('trace', 'lab', '--port', 'tulip');
  assert.is(noPort.status, 3);
  assert.match(noPort.stderr, /has no port tulip; its ports are gateway, rose:eth0, lily:eth0/);
  const tr = cliBackground('trace', 'lab', '--port', 'lily', '-c', '2', 'icmp');
  await until('the port trace to print 2 lines', () => {
    ping('rose', lilyIp, 1);
    return tr.out().split('\n').filter(Boolean).length >= 2;
  }, 30_000);
  assert.is(await tr.exited, 0);
  for (const l of tr.out().trim().split('\n')) assert.match(l, /lily:eth0/);
});

t('capture -w writes a pcap that tshark dissects', async () => {
  const file = join(dir, 'icmp.pcap');
  const cap = cliBackground('capture', 'lab', '-w', file, '-c', '4', 'icmp');
  await until('4 frames captured', () => {
    ping('rose', lilyIp, 1);
    return cap.p.exitCode !== null;
  }, 30_000);
  assert.is(await cap.exited, 0, cap.err());
  assert.match(cap.err(), new RegExp(`4 frames captured to ${file}`));
  const r = tshark(file, ['ip.src', 'ip.dst', 'icmp.type']);
  assert.is(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.is(rows.length, 4);
  assert.equal(rows[0], [roseIp, lilyIp, '8']);
  assert.equal(rows[1], [lilyIp, roseIp, '0']);
  assert.is(tshark(file, ['frame.number'], '_ws.malformed || _ws.expert.severity >= "error"').stdout.trim(), '', 'no malformed packets');
  assert.is(readFileSync(file).readUInt32LE(0), 0xa1b2c3d4);
});

t('capture to stdout pipes into tshark -r -', async () => {
  const sh = spawn('bash', ['-c', `set -o pipefail; '${process.execPath}' '${CLI}' --host '${d.socket}' capture lab --port rose -c 3 icmp | tshark -r - -T fields -e eth.type -e icmp.seq`], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => sh.exitCode === null && sh.kill('SIGKILL'));
  let out = '';
  let err = '';
  sh.stdout.on('data', (b: Buffer) => (out += b));
  sh.stderr.on('data', (b: Buffer) => (err += b));
  const exited = new Promise<number>((resolve) => sh.on('exit', (c) => resolve(c ?? -1)));
  await until('the pipeline to finish', () => {
    ping('rose', lilyIp, 1);
    return sh.exitCode !== null;
  }, 30_000);
  assert.is(await exited, 0, err);
  const rows = out.trim().split('\n');
  assert.is(rows.length, 3);
  for (const r of rows) assert.match(r, /^0x0800\t\d+/);
});

t('capture refuses a terminal and a bridge underlay', () => {
  const r = d.cli('capture', 'lab', '--underlay', '-w', join(dir, 'u.pcap'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /bridge network: it has no underlay/);
});

t('stats shows the per-frame latency; metrics serve Prometheus text', async () => {
  assert.is(ping('rose', lilyIp, 3).status, 0);
  await until('latency samples', () => {
    ping('rose', lilyIp, 1);
    const s = JSON.parse(d.ok('stats', 'lab')) as { Latency: { bursts: number; p50Us: number } | null };
    return s.Latency !== null && s.Latency.bursts > 0;
  });
  const s = JSON.parse(d.ok('stats', 'lab')) as { Latency: { bursts: number; frames: number; p50Us: number; p99Us: number } };
  assert.ok(s.Latency.frames >= s.Latency.bursts);
  assert.ok(s.Latency.p50Us > 0);
  const m = inNs(d.hostNs, 'curl', ['-sS', '--max-time', '10', `http://${METRICS}/metrics`]);
  assert.is(m.status, 0, m.stderr);
  assert.match(m.stdout, /# TYPE tsnet_switch_forwarded_total counter/);
  assert.match(m.stdout, /tsnet_switch_forwarded_total\{network="lab"\} [1-9]\d*/);
  assert.match(m.stdout, /tsnet_port_rx_frames_total\{network="lab",port="rose:eth0",kind="tap"\} [1-9]\d*/);
  assert.match(m.stdout, /tsnet_fdb_entries\{network="lab"\} [1-9]/);
  assert.match(m.stdout, /tsnet_switch_frame_latency_seconds_bucket\{network="lab",le="\+Inf"\} [1-9]\d*/);
  assert.match(m.stdout, /tsnet_peers\{network="lab"\} 0/);
  const dash = inNs(d.hostNs, 'curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://${METRICS}/`]);
  assert.is(dash.stdout, '404', 'the dashboard is off unless --dashboard');
});

t('cleanup', () => {
  d.ok('rm', '-f', 'rose', 'lily');
  d.ok('network', 'rm', 'lab');
});

t.run();
