// The TAP reader's readNow (native/tap_reader.c readerReadNow), with a real TAP in a namespace: an
// ARP request written to the TAP is answered by the namespace's kernel, and readNow() delivers the
// reply to onBatch before it returns, counted as readNowFrames. The loop is held (Atomics.wait)
// between the write and readNow, so the reply is queued and no wakeup can have read it first: the
// outcome does not depend on timing. readNow does nothing inside onBatch and after stopReading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TapDevice, TapReadBatch } from '../../src/native/tap.js';
import { ARP_OP_REPLY, buildArpRequest, decodeArp } from '../../src/wire/arp.js';
import { decodeEthernet, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { cleanupAll, inNs, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';

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
    const ns = makeNetns('trn');
    const tap = TapDevice.open({ name: uniqueName('trn') });
    onCleanup(() => tap.close());
    ip('link', 'set', tap.name, 'netns', ns);
    ip('-n', ns, 'link', 'set', tap.name, 'name', 'eth0');
    inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    ip('-n', ns, 'addr', 'add', `${NS_IP}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');

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

test.run();
