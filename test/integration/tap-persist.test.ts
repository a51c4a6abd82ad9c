// Persistent TAP devices (TUNSETPERSIST): the interface outlives close() with NO-CARRIER, can be
// re-attached by name (also from inside a container's namespace through netnsPath, after it was
// moved and renamed eth0) and carries frames again; setPersist(false) + close() removes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { TapDevice, TapReadBatch } from '../../src/native/tap.js';
import { TsnetError } from '../../src/errors.js';
import { buildArpReply, decodeArp, ARP_OP_REQUEST } from '../../src/wire/arp.js';
import { decodeEthernet, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { cleanupAll, ip, makeNetns, onCleanup, trySh, uniqueName } from '../helpers/netns.js';

interface LinkInfo {
  ifname: string;
  flags: string[];
  stats64?: { rx: { packets: number } };
}

function link(name: string, ns?: string): LinkInfo | null {
  const r = trySh('ip', [...(ns ? ['-n', ns] : []), '-s', '-j', 'link', 'show', 'dev', name]);
  if (r.status !== 0) return null;
  return (JSON.parse(r.stdout) as LinkInfo[])[0] ?? null;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectTsnetError(fn: () => unknown, code: string, category: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TsnetError);
    assert.is((e as TsnetError).code, code);
    assert.is((e as TsnetError).category, category);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('a persistent TAP survives close(), re-attaches by name, and goes with setPersist(false)', () => {
  try {
    const name = uniqueName('tpst');
    onCleanup(() => trySh('ip', ['link', 'del', name]));
    const first = TapDevice.open({ name, persist: true });
    onCleanup(() => first.close());
    first.close();
    assert.ok(link(name), 'the interface outlives its fd');

    const again = TapDevice.open({ name, attach: true });
    onCleanup(() => again.close());
    assert.is(again.name, name);
    expectTsnetError(() => TapDevice.open({ name }), 'ETAP_BUSY', 'conflict');

    again.setPersist(false);
    again.close();
    assert.is(link(name), null, 'the interface is gone');
    expectTsnetError(() => TapDevice.open({ name, attach: true }), 'ETAP_NOT_FOUND', 'not-found');
  } finally {
    cleanupAll();
  }
});

test('a persistent TAP moved into a namespace as eth0 is re-attached there through netnsPath and carries frames', async () => {
  try {
    const ns = makeNetns('tpns');
    const name = uniqueName('tpns');
    const first = TapDevice.open({ name, persist: true });
    onCleanup(() => first.close());
    onCleanup(() => trySh('ip', ['-n', ns, 'link', 'del', 'eth0']));
    onCleanup(() => trySh('ip', ['link', 'del', name]));
    ip('link', 'set', name, 'netns', ns);
    ip('-n', ns, 'link', 'set', name, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', '10.98.0.2/24', 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    first.close();
    const orphan = link('eth0', ns);
    assert.ok(orphan, 'eth0 outlives the fd inside the namespace');
    assert.ok(orphan.flags.includes('NO-CARRIER'), `eth0 has no carrier without its fd: ${orphan.flags}`);

    // TUNSETIFF looks the name up in the opener's namespace: from the root namespace 'eth0' is not ours.
    const tap = TapDevice.open({ name: 'eth0', attach: true, netnsPath: `/var/run/netns/${ns}` });
    onCleanup(() => tap.close());
    assert.is(tap.currentName(), 'eth0');
    await until(() => !link('eth0', ns)!.flags.includes('NO-CARRIER'), 'carrier on eth0 after re-attach');

    // Namespace -> TAP: a ping towards an unknown neighbour shows up as ARP requests on our fd.
    const batch = new TapReadBatch(8);
    const arpFromNs: string[] = [];
    let requestFrame: Buffer | null = null;
    let readerError: TsnetError | null = null;
    tap.startReading(
      batch,
      (count) => {
        for (let i = 0; i < count; i++) {
          const eth = decodeEthernet(batch.buffer, batch.offset(i), batch.lengths[i]);
          if (isMalformed(eth) || eth.ethertype !== ETHERTYPE_ARP) continue;
          const arp = decodeArp(eth.payload, 0, eth.payload.length);
          if (isMalformed(arp) || arp.op !== ARP_OP_REQUEST) continue;
          arpFromNs.push(`${arp.senderIp}>${arp.targetIp}`);
          requestFrame ??= Buffer.from(eth.payload);
        }
      },
      (err) => {
        readerError = err;
      },
    );
    const pinging = new Promise<void>((resolve) => execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-W', '1', '10.98.0.9'], () => resolve()));
    await until(() => arpFromNs.length > 0, 'an ARP request from the namespace');
    assert.is(arpFromNs[0], '10.98.0.2>10.98.0.9');

    // TAP -> namespace: a frame we write is received by eth0.
    const rxBefore = link('eth0', ns)!.stats64!.rx.packets;
    const arpReq = decodeArp(requestFrame!, 0, requestFrame!.length);
    if (isMalformed(arpReq)) throw new Error(arpReq.reason);
    const reply = buildArpReply(arpReq, '02:00:5e:62:00:09');
    assert.ok(tap.write(reply, 0, reply.length), 'write accepted');
    await until(() => link('eth0', ns)!.stats64!.rx.packets > rxBefore, 'eth0 receiving our frame');
    await pinging;
    assert.is(readerError, null, 'the reader reported no error');

    tap.setPersist(false);
    tap.close();
    assert.is(link('eth0', ns), null, 'eth0 is gone after setPersist(false) and close()');
  } finally {
    cleanupAll();
  }
});

test.run();
