// How the TAP reader hands frames over (native/tap_reader.c), with a real TAP in a namespace.
// readNow: an ARP request written to the TAP is answered by the namespace's kernel, and readNow()
// delivers the reply to onBatch before it returns, counted as readNowFrames. The loop is held
// (Atomics.wait) between the write and readNow, so the reply is queued and no wakeup can have read
// it first: the outcome does not depend on timing. readNow does nothing inside onBatch and after
// stopReading. Light traffic: after a wakeup that read one frame, the next wakeup hands its first
// frame over alone and the rest as a batch; after a busier one, whole batches. The namespace's
// frames are queued while the loop is blocked in a synchronous child process, so each wakeup finds
// all of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TapReadBatch } from '../../src/native/tap.js';
import { ARP_OP_REPLY, buildArpRequest, decodeArp } from '../../src/wire/arp.js';
import { decodeEthernet, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { cleanupAll, inNs, ip } from '../helpers/netns.js';
import { tapInNamespace } from '../helpers/tap-in-namespace.js';

const OUR_MAC = '02:00:5e:62:00:01';
const OUR_IP = '10.97.2.1';
const NS_IP = '10.97.2.2';

function isArpReplyTo(frame: Buffer): boolean {
  const eth = decodeEthernet(frame, 0, frame.length);
  if (isMalformed(eth) || eth.ethertype !== ETHERTYPE_ARP) return false;
  const arp = decodeArp(eth.payload, 0, eth.payload.length);
  return !isMalformed(arp) && arp.op === ARP_OP_REPLY && arp.senderIp === NS_IP && arp.targetIp === OUR_IP;
}

test('readNow delivers the answer the kernel queued during a write, before it returns', async () => {
  try {
    const { tap } = tapInNamespace('trn', `${NS_IP}/24`, true);

    const batch = new TapReadBatch(16);
    const frames: Buffer[] = [];
    let insideReadNow = -1;
    tap.startReading(batch, (count) => {
      for (let i = 0; i < count; i++) frames.push(Buffer.from(batch.buffer.subarray(batch.offset(i), batch.offset(i) + batch.lengths[i])));
      insideReadNow = tap.readNow(); // inside onBatch: the buffer is in use, so nothing
    }, (err) => {
      throw err;
    });
    await new Promise((r) => setTimeout(r, 200)); // whatever the namespace sent on link-up is read by now
    frames.length = 0;
    const before = tap.readerStats()!;

    const request = buildArpRequest(OUR_MAC, OUR_IP, NS_IP);
    assert.ok(tap.write(request, 0, request.length));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // the loop cannot read it first
    const n = tap.readNow();
    assert.ok(n >= 1, `readNow delivered ${n} frames`);
    assert.is(frames.length, n, 'delivered to onBatch before readNow returned');
    assert.ok(frames.some(isArpReplyTo), 'the ARP reply is among them');
    assert.is(insideReadNow, 0, 'readNow inside onBatch reads nothing');
    const after = tap.readerStats()!;
    assert.is(after.readNowFrames - before.readNowFrames, n);
    assert.is(after.wakeups, before.wakeups, 'no wakeup was needed');
    assert.is(tap.readNow(), 0, 'nothing more is queued');

    tap.stopReading();
    assert.is(tap.readNow(), 0, 'not reading: nothing');
    tap.close();
  } finally {
    cleanupAll();
  }
});

/** Sends `count` UDP datagrams from the namespace to a neighbour that needs no ARP, while this
 *  thread waits (spawnSync): the frames are all queued on the TAP when the loop next runs. */
function sendFromNs(ns: string, count: number): void {
  const sends = Array.from({ length: count }, () => `echo x > /dev/udp/${NS_NEIGHBOUR}/9`).join('; ');
  const r = inNs(ns, 'bash', ['-c', sends]);
  assert.is(r.status, 0, `sending from the namespace: ${r.stderr}`);
}

const NS_NEIGHBOUR = '10.97.2.9';

test('after a one-frame wakeup the first frame goes alone, after a busy one batches are whole', async () => {
  try {
    const { ns, tap } = tapInNamespace('trl', `${NS_IP}/24`, true);
    ip('-n', ns, 'neigh', 'add', NS_NEIGHBOUR, 'lladdr', OUR_MAC, 'dev', 'eth0', 'nud', 'permanent');

    const batch = new TapReadBatch(16);
    const batches: number[] = [];
    tap.startReading(batch, (count) => {
      batches.push(count);
    }, (err) => {
      throw err;
    });
    const settle = () => new Promise((r) => setTimeout(r, 100));
    await settle(); // whatever the namespace sent on link-up is read by now
    sendFromNs(ns, 1); // a wakeup of one frame: light traffic from here
    await settle();
    batches.length = 0;

    sendFromNs(ns, 3);
    await settle();
    assert.equal(batches, [1, 2], 'light: the first frame alone, then the rest');
    batches.length = 0;

    sendFromNs(ns, 3);
    await settle();
    assert.equal(batches, [3], 'after a wakeup of three frames: one batch');
    tap.stopReading();
    tap.close();
  } finally {
    cleanupAll();
  }
});

test.run();
