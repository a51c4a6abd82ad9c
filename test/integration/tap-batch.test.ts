// Batching behaviour of the native TAP reader: 500 UDP datagrams queued in a TAP by a sender in
// the namespace are all delivered, in fewer callbacks than frames, with several batches drained in
// one wakeup. The frames are queued before reading starts, so the outcome does not depend on timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { TapDevice, TapReadBatch } from '../../src/native/tap.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';

const FRAMES = 500;
const BATCH = 64;
const DST_IP = '10.97.0.1';
const DST_MAC = '02:00:5e:61:00:01';
const PORT = 9999;
const MARK = 'tsnet-burst ';
// A sender run inside the namespace: FRAMES datagrams "tsnet-burst <i>" back to back.
const SENDER = `const s=require('dgram').createSocket('udp4');const n=+process.argv[1];let left=n;
for(let i=0;i<n;i++)s.send(Buffer.from('${MARK}'+i),${PORT},'${DST_IP}',(e)=>{if(e)throw e;if(--left===0)s.close();});`;

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test(`a burst of ${FRAMES} frames arrives complete in batches`, async () => {
  try {
    const ns = makeNetns('tbat');
    const tap = TapDevice.open({ name: uniqueName('tbat') });
    onCleanup(() => tap.close());
    ip('link', 'set', tap.name, 'netns', ns);
    ip('-n', ns, 'link', 'set', tap.name, 'name', 'eth0', 'txqueuelen', '4096'); // room for the whole burst
    ip('-n', ns, 'addr', 'add', '10.97.0.2/24', 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'neigh', 'replace', DST_IP, 'lladdr', DST_MAC, 'dev', 'eth0', 'nud', 'permanent');

    await new Promise<void>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, String(FRAMES)], { timeout: 30_000 }, (err, _o, stderr) =>
        err ? reject(new Error(`sender failed: ${stderr || err.message}`)) : resolve(),
      ),
    );

    const batch = new TapReadBatch(BATCH);
    const got = new Set<number>();
    const counts: number[] = [];
    let readerError: TsnetError | null = null;
    const mark = Buffer.from(MARK);
    tap.startReading(
      batch,
      (count) => {
        counts.push(count);
        for (let i = 0; i < count; i++) {
          // Ethernet 14 + IPv4 20 + UDP 8: the payload of our datagrams starts at byte 42.
          const p = batch.offset(i) + 42;
          const end = batch.offset(i) + batch.lengths[i];
          if (end - p > mark.length && batch.buffer.compare(mark, 0, mark.length, p, p + mark.length) === 0) {
            got.add(Number(batch.buffer.toString('latin1', p + mark.length, end)));
          }
        }
      },
      (err) => {
        readerError = err;
      },
    );
    await until(() => got.size === FRAMES || readerError !== null, `${FRAMES} datagrams`);
    assert.is(readerError, null);
    assert.is(got.size, FRAMES, 'every frame was delivered once');
    const delivered = counts.reduce((a, b) => a + b, 0);
    assert.ok(counts.length < delivered, `fewer callbacks (${counts.length}) than frames (${delivered})`);
    assert.ok(Math.max(...counts) > 1, 'at least one callback carried several frames');
    assert.ok(Math.max(...counts) <= BATCH, 'no batch exceeds its slots');
    const stats = tap.readerStats()!;
    assert.is(stats.batches, counts.length);
    assert.is(stats.frames, delivered);
    assert.ok(stats.batches > stats.wakeups, 'full batches are drained again in the same wakeup');
    tap.close();
  } finally {
    cleanupAll();
  }
});

test.run();
