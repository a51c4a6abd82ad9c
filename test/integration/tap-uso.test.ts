// UDP segmentation offload from containers (USO, native/tap_open.c TAP_OFFLOADS; the switch's software
// GSO in gso-segmenter.ts): a sender in namespace A uses UDP_SEGMENT (Python, setsockopt 103), so A's
// kernel hands its offload TAP each send as one UDP_L4 super-frame. Through a switch to a plain TAP
// in namespace B the super-frames are cut into datagrams; to an offload TAP they go whole and B's
// kernel cuts them. Either way every datagram must arrive once, in order, with its own length and
// bytes (each send's last one shorter), and the super-frames must really have come from A's TAP.
// Over IPv6 too: B's kernel checks the UDP checksums the switch computed (IPv6 has no way around them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TapDevice } from '../../src/native/tap.js';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createTapPort } from '../../src/dataplane/tap-port.js';
import type { TsnetError } from '../../src/errors.js';
import { cleanupAll, inNs, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';
import { plumbTap } from '../helpers/tcp-transfer.js';
import { COUNT, SENDS, udpSegmentTransfer } from '../helpers/udp-segment-transfer.js';
import { features } from '../helpers/ethtool.js';

/** Turns IPv6 back on for eth0 in ns (plumbTap turns it off) and adds addr without DAD. */
function addIpv6(ns: string, addr: string): void {
  const r = inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.eth0.disable_ipv6=0']);
  if (r.status !== 0) throw new Error(`sysctl in ${ns} failed: ${r.stderr}`);
  ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0', 'nodad');
}

async function transfer(offloadB: boolean, v6 = false) {
  const nsA = makeNetns('usoA');
  const nsB = makeNetns('usoB');
  const devA = TapDevice.open({ name: uniqueName('usoa'), offload: true });
  onCleanup(() => devA.close());
  const devB = TapDevice.open({ name: uniqueName('usob'), offload: offloadB });
  onCleanup(() => devB.close());
  plumbTap(devA.name, nsA, '10.82.0.1/24');
  plumbTap(devB.name, nsB, '10.82.0.2/24');
  if (v6) {
    addIpv6(nsA, 'fd82::1/64');
    addIpv6(nsB, 'fd82::2/64');
  }
  const dst = v6 ? 'fd82::2' : '10.82.0.2';
  assert.is(features(nsA, 'eth0')['tx-udp-segmentation'], 'on', "USO on A's TAP");
  let portError: TsnetError | null = null;
  const onError = (e: TsnetError) => (portError = e);
  const sw = createSwitch({ name: 'uso' });
  const a = createTapPort(devA, { onError });
  const b = createTapPort(devB, { onError });
  onCleanup(() => a.close());
  onCleanup(() => b.close());
  sw.addPort(a);
  sw.addPort(b);

  const r = await udpSegmentTransfer(nsA, nsB, dst);
  const where = `A ${JSON.stringify(a.offloadStats)}, B ${JSON.stringify(b.offloadStats)}, switch segmented ${sw.counters.segmented}`;
  assert.is(portError, null, 'no port error');
  assert.is(r.got.length, COUNT, `every datagram arrived (${where})`);
  assert.is(r.bad, 0, 'each with its own bytes, in order');
  assert.equal(r.got, r.expected, 'each with its own length');
  // ARP and the like are plain; each UDP_SEGMENT send came as one super-frame
  assert.ok(a.offloadStats.udpSuperFrames >= SENDS, `A's TAP gave the sends as UDP super-frames (${where})`);
  return { a, b, sw };
}

test('USO sends through a switch to a plain TAP are cut into their datagrams (software GSO)', async () => {
  try {
    const { sw } = await transfer(false);
    assert.ok(sw.counters.segmented >= SENDS, `the switch cut them (${sw.counters.segmented})`);
    assert.ok(sw.counters.segments >= COUNT);
  } finally {
    cleanupAll();
  }
});

test('USO sends to an offload TAP go whole, the receiving kernel cuts them', async () => {
  try {
    const { b, sw } = await transfer(true);
    assert.ok(b.offloadStats.passedThrough >= SENDS, `written whole (${JSON.stringify(b.offloadStats)})`);
    assert.is(sw.counters.segmented, 0, 'nothing cut');
  } finally {
    cleanupAll();
  }
});

test('IPv6 USO sends cut for a plain TAP reach a real kernel with valid checksums', async () => {
  try {
    const { sw } = await transfer(false, true);
    assert.ok(sw.counters.segmented >= SENDS, `the switch cut them (${sw.counters.segmented})`);
  } finally {
    cleanupAll();
  }
});

test.run();
