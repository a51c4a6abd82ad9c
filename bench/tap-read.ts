// Benchmark of the native TAP reader: CPU time per received frame while a sender in a network
// namespace floods the TAP with small UDP datagrams, for several read-batch sizes. It chose
// TAP_DEFAULT_BATCH_FRAMES (src/native/tap.ts) and MAX_BATCHES_PER_WAKEUP (native/tap_reader.c).
// OFFLOAD=1 opens the TAP with offloads (every frame read behind a virtio_net_hdr) and reads into
// packed TAP_OFFLOAD_BATCH_BYTES buffers, the batch size capping the frame count.
// Run as root after a build: `node dist/bench/tap-read.js` (FRAMES=200000 by default). Not a test.
import { execFile, execFileSync } from 'node:child_process';
import { TapDevice, TapReadBatch, TAP_MAX_OFFLOAD_FRAME, TAP_OFFLOAD_BATCH_BYTES } from '../src/native/tap.js';

// Our choice: enough frames for a stable number on 2 cores, a few seconds per run.
const FRAMES = Number(process.env.FRAMES ?? 200_000);
const BATCH_SIZES = [1, 16, 64, 128];
const OFFLOAD = process.env.OFFLOAD === '1';
const DST_IP = '10.95.0.1';
const SENDER = `const s=require('dgram').createSocket('udp4');const n=+process.argv[1];const m=Buffer.alloc(64);let sent=0,done=0;
function burst(){for(let i=0;i<256&&sent<n;i++,sent++)s.send(m,9,'${DST_IP}',()=>{if(++done===n)s.close();});if(sent<n)setImmediate(burst);}burst();`;

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

async function runOnce(batchFrames: number): Promise<void> {
  const ns = `tsbench${process.pid}`;
  ip('netns', 'add', ns);
  let tap: TapDevice | null = null;
  try {
    tap = TapDevice.open({ name: `tsb${process.pid}`.slice(0, 15), offload: OFFLOAD });
    ip('link', 'set', tap.name, 'netns', ns);
    ip('-n', ns, 'link', 'set', tap.name, 'name', 'eth0', 'txqueuelen', '4096');
    ip('-n', ns, 'addr', 'add', '10.95.0.2/24', 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'neigh', 'replace', DST_IP, 'lladdr', '02:00:5e:5f:00:01', 'dev', 'eth0', 'nud', 'permanent');

    const batch = OFFLOAD
      ? new TapReadBatch({ frames: batchFrames, maxFrame: TAP_MAX_OFFLOAD_FRAME, bufferSize: TAP_OFFLOAD_BATCH_BYTES })
      : new TapReadBatch(batchFrames);
    let frames = 0;
    let bytes = 0;
    let lastFrameAt = Date.now();
    tap.startReading(
      batch,
      (count) => {
        frames += count;
        for (let i = 0; i < count; i++) bytes += batch.lengths[i];
        lastFrameAt = Date.now();
      },
      (err) => console.error(`reader error: ${err.code} ${err.message}`),
    );
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, String(FRAMES)], (e) => (e ? reject(e) : resolve())),
    );
    while (Date.now() - lastFrameAt < 200) await new Promise((r) => setTimeout(r, 50)); // drained
    const cpu = process.cpuUsage(cpu0);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const stats = tap.readerStats()!;
    const dropped = JSON.parse(ip('-n', ns, '-s', '-j', 'link', 'show', 'eth0'))[0].stats64.tx.dropped as number;
    const usPerFrame = (cpu.user + cpu.system) / Math.max(frames, 1);
    console.log(
      `batch ${String(batchFrames).padStart(3)}: ${frames} frames (${bytes} bytes, ${dropped} dropped by the kernel queue) in ` +
        `${wallMs.toFixed(0)} ms; ${usPerFrame.toFixed(2)} us CPU/frame; ${(frames / Math.max(stats.batches, 1)).toFixed(1)} frames/callback, ` +
        `${(stats.batches / Math.max(stats.wakeups, 1)).toFixed(2)} callbacks/wakeup`,
    );
  } finally {
    tap?.close();
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (process.getuid?.() !== 0) {
  console.error('bench/tap-read needs root (it creates a TAP and a network namespace).');
  process.exit(1);
}
console.log(`TAP reader${OFFLOAD ? ' (offload TAP, packed 256 KB batches)' : ''} under a flood of ${FRAMES} 64-byte UDP datagrams from a namespace (CPU of this process only)`);
for (const b of BATCH_SIZES) await runOnce(b);
