// The VTEP's native UDP endpoint (native/udp_endpoint.c via src/native/udp.ts) over loopback: bind
// errors, the send pool's ports, bursts read with recvmmsg into one batch (lengths, source address
// and port per slot, headroom in front), truncated datagrams counted and flagged, sends from a
// Buffer slice, the busy-poll window and its look-ahead before periodic datagrams (native/busy_poll.c),
// close from inside a burst; and the address text the VTEP
// derives from the reported source words (src/dataplane/vtep-addresses.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { UDP_META_INTS, UdpEndpoint, UdpOpenError, UdpReadBatch } from '../../src/native/udp.js';
import { DestCache, formatIpv6, SourceNames } from '../../src/dataplane/vtep-addresses.js';

const cleanups: Array<() => unknown> = [];
test.after.each(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function open(port = 0, poolSize = 0, address = '127.0.0.1'): UdpEndpoint {
  const ep = UdpEndpoint.open({ address, port, poolSize });
  cleanups.push(() => ep.close());
  return ep;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Got { data: Buffer; port: number; family: number; a0: number; off: number }

function collect(ep: UdpEndpoint, batch = new UdpReadBatch(8)): { got: Got[]; bursts: number[]; truncated: number[] } {
  const got: Got[] = [];
  const bursts: number[] = [];
  const truncated: number[] = [];
  ep.startReading(batch, (count) => {
    bursts.push(count);
    for (let i = 0; i < count; i++) {
      const m = i * UDP_META_INTS;
      if (batch.meta[m] < 0) {
        truncated.push(i);
        continue;
      }
      const off = batch.offset(i);
      got.push({ data: Buffer.from(batch.buffer.subarray(off, off + batch.meta[m])), family: batch.meta[m + 1], port: batch.meta[m + 2], a0: batch.meta[m + 3], off });
    }
  }, (errno, syscall) => {
    throw new Error(`reader failed: ${syscall} ${errno}`);
  });
  return { got, bursts, truncated };
}

test('bind: kernel-chosen ports, a pool of distinct ports, EADDRINUSE on a taken port', () => {
  const a = open(0, 3);
  assert.ok(a.port > 0);
  assert.is(a.poolPorts.length, 3);
  assert.is(new Set([a.port, ...a.poolPorts]).size, 4);
  try {
    UdpEndpoint.open({ address: '127.0.0.1', port: a.port });
    assert.unreachable('second bind succeeded');
  } catch (err) {
    assert.instance(err, UdpOpenError);
    assert.is((err as UdpOpenError).code, 'EADDRINUSE');
    assert.is((err as UdpOpenError).syscall, 'bind');
  }
  assert.is(a.sockaddr('not-an-ip', 1), null);
});

test('a burst arrives in one batch: lengths, source port and address, data at the headroom', async () => {
  const rx = open();
  const { got, bursts } = collect(rx);
  const tx = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((r) => tx.close(() => r())));
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < 5; i++) tx.send(Buffer.alloc(20 + i, i + 1), rx.port, '127.0.0.1');
  await until(() => got.length === 5, 'five datagrams');
  for (let i = 0; i < 5; i++) {
    assert.equal(got[i].data, Buffer.alloc(20 + i, i + 1));
    assert.is(got[i].port, tx.address().port);
    assert.is(got[i].family, 4);
    assert.is(got[i].a0 >>> 0, 0x7f000001);
    assert.is(got[i].off % new UdpReadBatch(1).slotSize, new UdpReadBatch(1).headroom);
  }
  assert.ok(bursts.length <= 5);
  const s = rx.stats();
  assert.is(s.packets, 5);
  assert.is(s.batches, bursts.length);
});

interface PeriodicSender { stop(): void; done: Promise<number> }

/** Sends up to `count` datagrams to 127.0.0.1:port from a worker thread, one every `periodMs`,
 *  with our own endpoint so each is one sendto. Between sends the worker sleeps (Atomics.wait on a
 *  stop flag, to the microsecond) rather than spinning: a spinning sender sharing the receiver's CPU
 *  is exactly the contention that turns busy-polling off for a hold-off. `stop()` ends it early;
 *  `done` resolves with how many it sent. */
function sendPeriodic(port: number, count: number, periodMs: number): PeriodicSender {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { UdpEndpoint } = await import(workerData.udpModule);
      const stop = new Int32Array(workerData.stop);
      const ep = UdpEndpoint.open({ address: '127.0.0.1', port: 0, poolSize: 0 });
      const sa = ep.sockaddr('127.0.0.1', workerData.port);
      const buf = Buffer.from('tick');
      let due = process.hrtime.bigint();
      let sent = 0;
      for (; sent < workerData.count; sent++) {
        due += BigInt(workerData.periodMs * 1e6);
        const waitMs = Number(due - process.hrtime.bigint()) / 1e6;
        if (waitMs > 0 && Atomics.wait(stop, 0, 0, waitMs) !== 'timed-out') break;
        if (Atomics.load(stop, 0) !== 0) break;
        ep.send(-1, buf, 0, buf.length, sa);
      }
      ep.close();
      parentPort.postMessage(sent);
    })();`;
  const udpModule = new URL('../../src/native/udp.js', import.meta.url).href;
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(code, { eval: true, workerData: { udpModule, port, count, periodMs, stop: stopFlag.buffer } });
  const done = new Promise<number>((resolve, reject) => {
    w.once('message', (sent: number) => resolve(sent));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve(-1) : reject(new Error(`sender exited with ${code}`))));
  });
  const stop = (): void => {
    Atomics.store(stopFlag, 0, 1);
    Atomics.notify(stopFlag, 0);
  };
  cleanups.push(async () => {
    stop();
    await done.catch(() => undefined);
  });
  return { stop, done };
}

test('busy-poll look-ahead: datagrams every 4 ms find a window opened before they are due; none with look-ahead 0', async () => {
  // with look-ahead: the period is learnt after 3 steady gaps, and from then on the timer opens a
  // window ahead of each datagram. The sender goes on (up to 4 s) until three datagrams were met by
  // one, so a lone stall of this machine (a lost time slice that puts busy-polling in a 200 ms
  // hold-off, a late wakeup that breaks the streak) costs time, not the test.
  {
    const rx = open();
    const { got } = collect(rx);
    rx.setBusyPoll(50, 200);
    const sender = sendPeriodic(rx.port, 1000, 4);
    let sent = -1;
    void sender.done.then((n) => (sent = n));
    await until(() => rx.stats().busyPollAheadHits >= 3 || sent >= 0, 'three look-ahead hits or the sender to finish', 10_000);
    sender.stop();
    sent = await sender.done;
    await until(() => got.length === sent, `all ${sent} datagrams`);
    const s = rx.stats();
    const saturated = s.busyPollContended > 0 ? ` (busy-polling stood down ${s.busyPollContended} times: other tasks kept taking this CPU)` : '';
    assert.ok(s.busyPollAheadHits >= 3, `look-ahead met ${s.busyPollAheadHits} of ${sent} datagrams${saturated}: ${JSON.stringify(s)}`);
    assert.ok(s.busyPollAheadHits <= s.busyPollAheadWindows, JSON.stringify(s));
    assert.ok(s.busyPollWindows >= 1);
    // every burst is a hit or one kind of miss; the first had nothing to predict it
    const bursts = s.busyPollAheadHits + s.busyPollAheadMissHoldoff + s.busyPollAheadMissUnpredicted + s.busyPollAheadMissEarly + s.busyPollAheadMissLate;
    assert.ok(bursts >= s.busyPollAheadHits + 1 && bursts <= s.batches, `bursts ${bursts}, batches ${s.batches}: ${JSON.stringify(s)}`);
    assert.ok(s.busyPollAheadMissUnpredicted >= 1, JSON.stringify(s));
    // the datagrams stopped: at most the window for the one that was due next opens, and no more
    // (a timer re-armed for a burst already late fired at once, over and over, and spun)
    await new Promise((r) => setTimeout(r, 100));
    const quiet = rx.stats();
    assert.ok(quiet.busyPollAheadWindows - s.busyPollAheadWindows <= 1,
      `${quiet.busyPollAheadWindows - s.busyPollAheadWindows} look-ahead windows opened in 100 ms without traffic`);
  }
  // without look-ahead: windows after traffic only
  {
    const rx = open();
    const { got } = collect(rx);
    rx.setBusyPoll(50, 0);
    const sent = await sendPeriodic(rx.port, 50, 4).done;
    assert.is(sent, 50);
    await until(() => got.length === 50, 'fifty datagrams');
    const s = rx.stats();
    assert.is(s.busyPollAheadWindows, 0);
    assert.is(s.busyPollAheadHits, 0);
    assert.is(s.busyPollAheadMissHoldoff + s.busyPollAheadMissUnpredicted + s.busyPollAheadMissEarly + s.busyPollAheadMissLate, 0, 'no look-ahead, nothing classified');
    assert.ok(s.busyPollWindows >= 1);
  }
});

test('a busy-poll window spins inside the loop but never holds it up: timers and other sockets run while it is open', async () => {
  // a 3 s window, opened by a datagram we send ourselves; everything below happens while it is open
  const WINDOW_US = 3_000_000;
  const ep = open();
  const { got } = collect(ep);
  ep.setBusyPoll(WINDOW_US, 0);
  const start = Date.now();
  ep.send(-1, Buffer.from('open'), 0, 4, ep.sockaddr('127.0.0.1', ep.port)!);
  await until(() => got.length === 1, 'the datagram that opens the window');
  const timerAt = await new Promise<number>((r) => setTimeout(() => r(Date.now()), 20));
  const other = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((r) => other.close(() => r())));
  await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
  const echoed = new Promise<number>((r) => other.once('message', () => r(Date.now())));
  other.send('ping', other.address().port, '127.0.0.1');
  const otherAt = await echoed;
  const s = ep.stats();
  assert.is(s.busyPollWindows, 1, JSON.stringify(s));
  // both ran long before the window could have ended (it lasts 3 s; they need ~20 ms)
  assert.ok(timerAt - start < WINDOW_US / 1000 / 2, `timer after ${timerAt - start} ms`);
  assert.ok(otherAt - start < WINDOW_US / 1000 / 2, `other socket after ${otherAt - start} ms`);
});

test('send: from a Buffer slice, from the pool sockets and the listening socket; busy-poll windows counted', async () => {
  const rx = open();
  const { got } = collect(rx);
  const tx = open(0, 2);
  tx.setBusyPoll(50, 0);
  const sa = tx.sockaddr('127.0.0.1', rx.port)!;
  const buf = Buffer.from('xxhello-worldxx');
  assert.is(tx.send(0, buf, 2, 11, sa), 11);
  assert.is(tx.send(1, buf, 2, 5, sa), 5);
  assert.is(tx.send(-1, buf, 0, 2, sa), 2);
  await until(() => got.length === 3, 'three datagrams');
  assert.equal(got.map((g) => g.data.toString()), ['hello-world', 'hello', 'xx']);
  assert.equal(got.map((g) => g.port), [tx.poolPorts[0], tx.poolPorts[1], tx.port]);
  const s = tx.stats();
  assert.is(s.sent, 3);
  assert.ok(s.busyPollWindows >= 1);
  // windows cut short because the CPU was contended (busy-polling then pauses): never more than began
  assert.ok(Number.isInteger(s.busyPollContended) && s.busyPollContended >= 0 && s.busyPollContended <= s.busyPollWindows);
  assert.throws(() => tx.send(0, buf, 10, 10, sa), /outside the buffer/);
});

test('a datagram larger than a slot is dropped, flagged -1 and counted', async () => {
  const rx = open();
  const { got, truncated } = collect(rx, new UdpReadBatch(4, 96 + 64, 96));
  const tx = open();
  const sa = tx.sockaddr('127.0.0.1', rx.port)!;
  tx.send(-1, Buffer.alloc(200, 1), 0, 200, sa);
  tx.send(-1, Buffer.alloc(10, 2), 0, 10, sa);
  await until(() => got.length === 1 && truncated.length === 1, 'one datagram and one drop');
  assert.is(rx.stats().drops, 1);
  assert.equal(got[0].data, Buffer.alloc(10, 2));
});

test('close inside a burst stops delivery; sends after close fail with EBADF', async () => {
  const rx = open();
  const batch = new UdpReadBatch(8);
  let calls = 0;
  rx.startReading(batch, () => {
    calls++;
    rx.close();
  }, () => {});
  const tx = open();
  const sa = tx.sockaddr('127.0.0.1', rx.port)!;
  for (let i = 0; i < 3; i++) tx.send(-1, Buffer.alloc(8), 0, 8, sa);
  await until(() => calls === 1, 'first burst');
  await new Promise((r) => setTimeout(r, 20));
  assert.is(calls, 1);
  assert.ok(rx.closed);
  assert.is(rx.send(-1, Buffer.alloc(8), 0, 8, sa), -9);
});

test('IPv6 loopback: v6 source words', async () => {
  let rx: UdpEndpoint;
  try {
    rx = open(0, 0, '::1');
  } catch {
    return; // no IPv6 on this host
  }
  const batch = new UdpReadBatch(4);
  const names = new SourceNames();
  const seen: string[] = [];
  rx.startReading(batch, (count) => {
    for (let i = 0; i < count; i++) {
      const m = i * UDP_META_INTS;
      assert.is(batch.meta[m + 1], 6);
      seen.push(names.ipv6(batch.meta[m + 3], batch.meta[m + 4], batch.meta[m + 5], batch.meta[m + 6]));
    }
  }, () => {});
  const tx = open(0, 0, '::1');
  tx.send(-1, Buffer.alloc(4), 0, 4, tx.sockaddr('::1', rx.port)!);
  await until(() => seen.length === 1, 'one datagram');
  assert.equal(seen, ['::1']);
});

test('address text: IPv4 and IPv6 the way dgram (libuv inet_ntop) prints them; caches reuse', () => {
  const n = new SourceNames();
  assert.is(n.ipv4(0x0ac90002), '10.201.0.2');
  assert.is(n.ipv4(0xffffffff | 0), '255.255.255.255');
  assert.ok(n.ipv4(0x0ac90002) === n.ipv4(0x0ac90002));
  const g = (s: string): number[] => {
    const parts = s.split(':').map((x) => parseInt(x, 16));
    return parts;
  };
  assert.is(formatIpv6([0, 0, 0, 0, 0, 0, 0, 1]), '::1');
  assert.is(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0]), '::');
  assert.is(formatIpv6([0xfd00, 0, 0, 0, 0, 0, 0, 2]), 'fd00::2');
  assert.is(formatIpv6([1, 0, 0, 0, 0, 0, 0, 0]), '1::');
  assert.is(formatIpv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), '2001:db8::1:0:0:1');
  assert.is(formatIpv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), '2001:db8:0:1:1:1:1:1');
  assert.is(formatIpv6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]), '::ffff:1.2.3.4');
  assert.is(formatIpv6(g('fe80:0:0:0:1:2:3:4')), 'fe80::1:2:3:4');
  assert.is(n.ipv6(0xfd000000 | 0, 0, 0, 2), 'fd00::2');
  const made: string[] = [];
  const d = new DestCache((a, p) => {
    made.push(`${a}:${p}`);
    return a === 'bad' ? null : Buffer.alloc(16);
  });
  d.get('10.0.0.1', 4789);
  d.get('10.0.0.1', 4789);
  d.get('10.0.0.1', 4790);
  assert.is(d.get('bad', 1), null);
  assert.equal(made, ['10.0.0.1:4789', '10.0.0.1:4790', 'bad:1']);
});

test.run();
