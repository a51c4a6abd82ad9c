// Receive-side TCP coalescing (src/dataplane/tcp-coalescer.ts) on the real data path: two offload
// TAPs, each in its own namespace with an address in one subnet, as two TAP ports of one switch.
// Namespace A's kernel hands its TAP port TSO super-frames, which the port cuts into MSS segments
// (software GSO) for the switch; the switch outputs them to B's TAP port, which merges each burst
// back into super-frames and writes them with a GSO virtio header. An 8 MB TCP transfer must arrive
// intact (sha256) and B's port must have written coalesced super-frames; then the same the other way
// (B sends), so both ports coalesce and segment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createTapPort, type TapPort } from '../../src/dataplane/tap-port.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';
import { plumbTap, tcpTransfer } from '../helpers/tcp-transfer.js';

const BYTES = 8 * 1024 * 1024;

/** Sends BYTES from `fromNs` to `toAddr` in `toNs`; asserts they arrived intact. */
async function transfer(fromNs: string, toNs: string, toAddr: string): Promise<void> {
  const r = await tcpTransfer(fromNs, toNs, toAddr, BYTES);
  assert.is(r.received, BYTES, 'every byte arrived');
  assert.is(r.receivedSha, r.sentSha, 'the bytes are the ones sent');
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
      plumbTap(dev.name, ns, addr);
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
