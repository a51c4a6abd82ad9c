// Receive-side TCP coalescing (src/dataplane/tcp-coalescer.ts) on the real data path: two offload
// TAPs, each in its own namespace with an address in one subnet, as two TAP ports of one switch.
// Namespace A's kernel hands its TAP port TSO super-frames, which the port cuts into MSS segments
// (software GSO) for the switch; the switch outputs them to B's TAP port, which merges each burst
// back into super-frames and writes them with a GSO virtio header. An 8 MB TCP transfer must arrive
// intact (sha256) and B's port must have written coalesced super-frames; then the same the other way
// (B sends), so both ports coalesce and segment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createTapPort, type TapPort } from '../../src/dataplane/tap-port.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, inNs, ip, makeNetns, onCleanup, trySh, uniqueName } from '../helpers/netns.js';
import { until } from '../helpers/until.js';

const BYTES = 8 * 1024 * 1024;
const PORT = 5201;

// Receiver: prints "listening", then "<bytes> <sha256>" when the sender closes.
const RECEIVER = `const net=require('net'),h=require('crypto').createHash('sha256');let n=0;
const srv=net.createServer(s=>{s.on('data',d=>{h.update(d);n+=d.length});s.on('end',()=>{console.log(n+' '+h.digest('hex'));srv.close();s.destroy();})});
srv.listen(+process.argv[1],process.argv[2],()=>console.log('listening'));`;
// Sender: random bytes; prints their sha256 once all were sent and the socket closed.
const SENDER = `const net=require('net'),c=require('crypto');const b=c.randomBytes(+process.argv[3]);
const s=net.connect(+process.argv[1],process.argv[2],()=>s.end(b));s.on('close',()=>console.log(c.createHash('sha256').update(b).digest('hex')));`;

function runIn(ns: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', ns, ...args], { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args[0]} in ${ns} failed: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

/** Moves a TAP into ns as eth0 with addr and brings it up (IPv6 off: no stray frames); cleanup deletes it. */
function plumb(tapName: string, ns: string, addr: string): void {
  onCleanup(() => trySh('ip', ['-n', ns, 'link', 'del', 'eth0']));
  for (const conf of ['all', 'default']) {
    const r = inNs(ns, 'sysctl', ['-qw', `net.ipv6.conf.${conf}.disable_ipv6=1`]);
    if (r.status !== 0) throw new Error(`sysctl in ${ns} failed: ${r.stderr}`);
  }
  ip('link', 'set', tapName, 'netns', ns);
  ip('-n', ns, 'link', 'set', tapName, 'name', 'eth0', 'txqueuelen', '4096');
  ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
}

/** Sends BYTES from `fromNs` to `toAddr` in `toNs`; asserts they arrived intact. */
async function transfer(fromNs: string, toNs: string, toAddr: string): Promise<void> {
  const receiver = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', RECEIVER, String(PORT), toAddr], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => receiver.kill());
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until('the receiver to listen', () => out.includes('listening'), 30_000, 25);
  const sent = (await runIn(fromNs, [process.execPath, '-e', SENDER, String(PORT), toAddr, String(BYTES)])).trim();
  const result = await until('the receiver to finish', () => /\n(\d+) ([0-9a-f]{64})/.exec(out) ?? undefined, 30_000, 25);
  assert.is(Number(result[1]), BYTES, 'every byte arrived');
  assert.is(result[2], sent, 'the bytes are the ones sent');
}

test('two offload TAP ports on one switch: TCP segments are coalesced into super-frames, data intact', async () => {
  try {
    const nsA = makeNetns('gcA');
    const nsB = makeNetns('gcB');
    const sw = createSwitch({ name: 'gro' });
    let portError: TsnetError | null = null;
    const onError = (e: TsnetError) => (portError = e);
    const ports: TapPort[] = [];
    for (const [ns, addr, tag] of [[nsA, '10.81.0.1/24', 'gca'], [nsB, '10.81.0.2/24', 'gcb']] as const) {
      const dev = TapDevice.open({ name: uniqueName(tag), offload: true });
      onCleanup(() => dev.close());
      assert.ok(dev.offload);
      const port = createTapPort(dev, { onError });
      onCleanup(() => port.close());
      sw.addPort(port);
      ports.push(port);
      plumb(dev.name, ns, addr);
    }
    const [a, b] = ports;

    await transfer(nsA, nsB, '10.81.0.2');
    assert.is(portError, null, 'no port error');
    assert.ok(a.offloadStats.superFrames > 0, `A's kernel sent TSO super-frames (${JSON.stringify(a.offloadStats)})`);
    assert.ok(b.offloadStats.coalescedFrames > 0, `B's port wrote coalesced super-frames (${JSON.stringify(b.offloadStats)})`);
    assert.ok(b.offloadStats.coalescedSegments >= 2 * b.offloadStats.coalescedFrames);
    // most of the 8 MB went as super-frames: at most 1448 bytes per segment, so >= 5793 segments
    assert.ok(b.offloadStats.coalescedSegments * 1448 > BYTES / 2, `most segments were merged (${b.offloadStats.coalescedSegments})`);

    const before = a.offloadStats.coalescedFrames;
    await transfer(nsB, nsA, '10.81.0.1');
    assert.is(portError, null, 'no port error');
    assert.ok(a.offloadStats.coalescedFrames > before, `A's port coalesced the other way (${JSON.stringify(a.offloadStats)})`);
    if (process.env.TSNET_DEBUG) console.log(JSON.stringify({ a: [a.offloadStats, a.counters], b: [b.offloadStats, b.counters] }));
  } finally {
    cleanupAll();
  }
});

test.run();
