// End-to-end data path through the native TAP addon, both directions: a TAP made by the addon is
// moved into a fresh network namespace as eth0 (10.99.0.2/24), and `ping 10.99.0.1` from inside
// succeeds although 10.99.0.1 exists nowhere but in this test, which reads frames from the TAP fd
// and answers ARP requests and ICMP echo requests with frames built by src/wire.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TapDevice, TapReadBatch } from '../../src/native/tap.js';
import { decodeEthernet, buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { decodeArp, buildArpReply, ARP_OP_REQUEST } from '../../src/wire/arp.js';
import { decodeIpv4, IPPROTO_ICMP } from '../../src/wire/ipv4.js';
import { decodeIcmp, buildIcmpEchoReply, ICMP_ECHO_REQUEST } from '../../src/wire/icmp.js';
import { isMalformed } from '../../src/wire/malformed.js';
import { cleanupAll, ip, makeNetns, onCleanup, uniqueName } from '../helpers/netns.js';

const run = promisify(execFile);
const PEER_IP = '10.99.0.1'; // answered only by this test
const NS_IP = '10.99.0.2';
const PEER_MAC = '02:00:5e:63:00:01'; // locally administered

interface Seen {
  arpRequests: number;
  arpSenders: Set<string>;
  echoSeqs: number[];
  echoSources: Set<string>;
  other: number;
  replies: number;
  writeFailures: number;
}

/** The reply to one frame from the namespace, or null if it is not for PEER_IP. */
function answer(frame: Buffer, seen: Seen): Buffer | null {
  const eth = decodeEthernet(frame, 0, frame.length);
  if (isMalformed(eth)) return null;
  if (eth.ethertype === ETHERTYPE_ARP) {
    const arp = decodeArp(eth.payload, 0, eth.payload.length);
    if (isMalformed(arp) || arp.op !== ARP_OP_REQUEST || arp.targetIp !== PEER_IP) return null;
    seen.arpRequests++;
    seen.arpSenders.add(`${arp.senderMac} ${arp.senderIp}`);
    return buildArpReply(arp, PEER_MAC);
  }
  if (eth.ethertype === ETHERTYPE_IPV4) {
    const ipk = decodeIpv4(eth.payload, 0, eth.payload.length);
    if (isMalformed(ipk) || ipk.protocol !== IPPROTO_ICMP || ipk.dst !== PEER_IP) return null;
    const icmp = decodeIcmp(ipk.payload, 0, ipk.payload.length);
    if (isMalformed(icmp) || icmp.type !== ICMP_ECHO_REQUEST || !icmp.echo) return null;
    seen.echoSeqs.push(icmp.echo.seq);
    seen.echoSources.add(`${eth.src} ${ipk.src}`);
    const reply = buildIcmpEchoReply(eth.payload.subarray(0, ipk.totalLength));
    if (isMalformed(reply)) return null;
    return buildEthernet({ dst: eth.src, src: PEER_MAC, ethertype: ETHERTYPE_IPV4, payload: reply });
  }
  return null;
}

test('ping from a namespace is answered through the TAP fd by JS (ARP + ICMP echo)', async () => {
  try {
    const ns = makeNetns('tping');
    const tap = TapDevice.open({ name: uniqueName('tping') });
    onCleanup(() => tap.close());
    ip('link', 'set', tap.name, 'netns', ns);
    ip('-n', ns, 'link', 'set', tap.name, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', `${NS_IP}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    const nsMac = (JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'eth0')) as Array<{ address: string }>)[0].address;

    const seen: Seen = { arpRequests: 0, arpSenders: new Set(), echoSeqs: [], echoSources: new Set(), other: 0, replies: 0, writeFailures: 0 };
    const batch = new TapReadBatch();
    let readerError: Error | null = null;
    tap.startReading(
      batch,
      (count) => {
        for (let i = 0; i < count; i++) {
          const frame = batch.buffer.subarray(batch.offset(i), batch.offset(i) + batch.lengths[i]);
          const reply = answer(frame, seen);
          if (!reply) {
            seen.other++;
            continue;
          }
          if (tap.write(reply, 0, reply.length)) seen.replies++;
          else seen.writeFailures++;
        }
      },
      (err) => {
        readerError = err;
      },
    );

    const r = await run('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-W', '2', PEER_IP], { timeout: 30_000 }).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => ({ stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''} ${e.message}` }),
    );
    assert.is(readerError, null, 'the reader reported no error');
    assert.match(r.stdout, /3 packets transmitted, 3 received/, `ping output: ${r.stdout} ${r.stderr}`);

    // What the test saw on the TAP: ARP for the peer from eth0, three echo requests 1..3 from eth0.
    assert.ok(seen.arpRequests >= 1, 'saw an ARP request for the peer');
    assert.equal([...seen.arpSenders], [`${nsMac} ${NS_IP}`]);
    assert.equal(seen.echoSeqs, [1, 2, 3]);
    assert.equal([...seen.echoSources], [`${nsMac} ${NS_IP}`]);
    assert.is(seen.writeFailures, 0, 'every reply was written');
    assert.is(seen.replies, seen.arpRequests + 3);
    assert.is(tap.currentName(), 'eth0', 'the fd follows the renamed interface');
    const stats = tap.readerStats();
    assert.ok(stats && stats.frames >= seen.arpRequests + 3 && stats.batches >= 1);

    tap.close();
    assert.ok(tap.closed);
    const left = JSON.parse(ip('-n', ns, '-j', 'link', 'show')) as Array<{ ifname: string }>;
    assert.not.ok(left.some((l) => l.ifname === 'eth0'), 'closing a non-persistent TAP deletes the interface');
  } finally {
    cleanupAll();
  }
});

test.run();
