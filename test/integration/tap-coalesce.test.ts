// TAP offloads on the real data path: two TAPs, each in its own namespace with an address in one
// subnet, as two TAP ports of one switch, an 8 MB TCP transfer checked by sha256 each way. Three
// pairings: both TAPs with offloads (super-frames go from one to the other whole: passed through),
// a plain TAP sending to an offload TAP (the receiving port merges MTU-sized segments into
// super-frames: tcp-coalescer.ts), and an offload TAP sending to a plain one (the switch cuts the
// super-frames into segments: software GSO, gso-segmenter.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch, type Switch } from '../../src/dataplane/switch.js';
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

interface Pair { sw: Switch; a: TapPort; b: TapPort; nsA: string; nsB: string; error: () => TsnetError | null }

/** A switch with TAP ports A (10.81.0.1) and B (10.81.0.2), with or without offloads. */
function pair(tag: string, offloadA: boolean, offloadB: boolean): Pair {
  const nsA = makeNetns(`${tag}A`);
  const nsB = makeNetns(`${tag}B`);
  const sw = createSwitch({ name: tag });
  let portError: TsnetError | null = null;
  const onError = (e: TsnetError) => (portError = e);
  const ports: TapPort[] = [];
  for (const [ns, addr, offload, t] of [[nsA, '10.81.0.1/24', offloadA, `${tag}a`], [nsB, '10.81.0.2/24', offloadB, `${tag}b`]] as const) {
    const dev = TapDevice.open({ name: uniqueName(t), offload });
    onCleanup(() => dev.close());
    assert.is(dev.offload, offload);
    const port = createTapPort(dev, { onError });
    onCleanup(() => port.close());
    sw.addPort(port);
    ports.push(port);
    plumbTap(dev.name, ns, addr);
  }
  return { sw, a: ports[0]!, b: ports[1]!, nsA, nsB, error: () => portError };
}

test('offload TAP to offload TAP: super-frames pass through whole, both ways, data intact', async () => {
  try {
    const { sw, a, b, nsA, nsB, error } = pair('gpt', true, true);
    await transfer(nsA, nsB, '10.81.0.2');
    assert.is(error(), null, 'no port error');
    assert.ok(a.offloadStats.superFrames > 0, `A's kernel sent TSO super-frames (${JSON.stringify(a.offloadStats)})`);
    assert.ok(b.offloadStats.passedThrough > 0, `B's port wrote them whole (${JSON.stringify(b.offloadStats)})`);
    assert.is(sw.counters.segmented, 0, 'nothing was cut');
    await transfer(nsB, nsA, '10.81.0.1');
    assert.is(error(), null, 'no port error');
    assert.ok(a.offloadStats.passedThrough > 0, `and the other way (${JSON.stringify(a.offloadStats)})`);
  } finally {
    cleanupAll();
  }
});

test('plain TAP to offload TAP: the receiving port merges the segments into super-frames, data intact', async () => {
  try {
    const { b, nsA, nsB, error } = pair('gco', false, true);
    await transfer(nsA, nsB, '10.81.0.2');
    assert.is(error(), null, 'no port error');
    assert.ok(b.offloadStats.coalescedFrames > 0, `B's port wrote coalesced super-frames (${JSON.stringify(b.offloadStats)})`);
    assert.ok(b.offloadStats.coalescedSegments >= 2 * b.offloadStats.coalescedFrames);
    // most of the 8 MB went as super-frames: at most 1448 bytes per segment, so >= 5793 segments
    assert.ok(b.offloadStats.coalescedSegments * 1448 > BYTES / 2, `most segments were merged (${b.offloadStats.coalescedSegments})`);
  } finally {
    cleanupAll();
  }
});

test('offload TAP to plain TAP: the switch cuts the super-frames into segments (software GSO), data intact', async () => {
  try {
    const { sw, a, nsA, nsB, error } = pair('gso', true, false);
    await transfer(nsA, nsB, '10.81.0.2');
    assert.is(error(), null, 'no port error');
    assert.ok(a.offloadStats.superFrames > 0, `A's kernel sent TSO super-frames (${JSON.stringify(a.offloadStats)})`);
    assert.ok(sw.counters.segmented > 0 && sw.counters.segments > sw.counters.segmented, `cut by the switch (${JSON.stringify(sw.counters)})`);
  } finally {
    cleanupAll();
  }
});

test.run();
