// The e2e bench's accounting of where packet-rate packets were lost (bench/e2e/loss-stages.ts): the
// kernel counters' text formats, and the split of the receiver's lost count into stages, with what
// reached container B counted in datagrams at its UDP layer (a UDP_L4 super-frame is one link packet).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lossStages, parseLinkTotals, parseUdpMib, type LossCounters } from '../../bench/e2e/loss-stages.js';

// /proc/net/snmp of Linux 6.x, the Udp and UdpLite lines (other MIBs left out)
const SNMP = [
  'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
  'Udp: 211200 0 110979 22 110979 0 0 0 0',
  'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
  'UdpLite: 0 0 0 0 7 0 0 0 0',
  '',
].join('\n');

test('the UDP counters come from the Udp lines, not UdpLite', () => {
  assert.equal(parseUdpMib(SNMP), { inDatagrams: 211200, noPorts: 0, inErrors: 110979, rcvbufErrors: 110979 });
  assert.equal(parseUdpMib('Ip: Forwarding\nIp: 2\n'), { inDatagrams: 0, noPorts: 0, inErrors: 0, rcvbufErrors: 0 });
});

test('link totals add every link but loopback', () => {
  const json = JSON.stringify([
    { ifname: 'lo', stats64: { rx: { packets: 9, dropped: 9 }, tx: { packets: 9, dropped: 9 } } },
    { ifname: 'eth0', stats64: { rx: { packets: 22, dropped: 3 }, tx: { packets: 480451, dropped: 99285 } } },
    { ifname: 'eth1', stats64: { rx: { packets: 1, dropped: 0 }, tx: { packets: 2, dropped: 0 } } },
    { ifname: 'noStats' },
  ]);
  assert.equal(parseLinkTotals(json), { rxPackets: 23, rxDropped: 3, txPackets: 480453, txDropped: 99285 });
});

// counters of a tsnet lab run (iperf3 -u -b 0 -l 64 -t 3): 579710 datagrams, 356555 counted lost
test('stages split the lost count in inner packets; the rest is unaccounted', () => {
  const zero: LossCounters = { txPacketsA: 0, txDroppedA: 0, rxDroppedB: 0, udpArrivedB: 0, udpRcvbufErrorsB: 0 };
  const after: LossCounters = { txPacketsA: 480451, txDroppedA: 99285, rxDroppedB: 0, udpArrivedB: 322210, udpRcvbufErrorsB: 110979 };
  assert.equal(lossStages(zero, after, 380000), {
    sendingLink: 99285, betweenLinks: 158241, receivingLink: 0, receiverSocket: 110979, unaccounted: 380000 - 368505,
  });
  // counters that explain more than the receiver missed (iperf3 counts over a slightly shorter window)
  assert.is(lossStages(zero, after, 356555).unaccounted, 0);
  // deltas, not totals: what was there before the run does not count
  assert.is(lossStages(after, after, 0).betweenLinks, 0);
  // packets dropped by B's link reached it: they are not lost between the containers as well
  const linkDrops = { ...after, rxDroppedB: 1000, udpArrivedB: 321210 };
  assert.equal(lossStages(zero, linkDrops, 380000).betweenLinks, 158241);
  assert.equal(lossStages(zero, linkDrops, 380000).receivingLink, 1000);
});

test.run();
