// Work deferred to the end of an I/O turn (src/dataplane/io-turn.ts): refused outside a turn, run
// in order when the outermost turn ends (not an inner one), a turn started by deferred work appends
// to the running end, a throw drops the rest without leaving them queued for the next turn; and the VTEP's queued datagrams leave at the turn's end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { atIoTurnEnd, enterIoTurn, leaveIoTurn } from '../../src/dataplane/io-turn.js';
import { HEADROOM } from '../../src/dataplane/port.js';
import { Vtep } from '../../src/dataplane/vtep.js';

test('outside a turn nothing is deferred', () => {
  assert.is(atIoTurnEnd(() => undefined), false);
});

test('deferred work runs in order when the outermost turn ends', () => {
  const ran: string[] = [];
  enterIoTurn();
  assert.ok(atIoTurnEnd(() => ran.push('a')));
  enterIoTurn();
  assert.ok(atIoTurnEnd(() => ran.push('b')));
  leaveIoTurn();
  assert.equal(ran, [], 'an inner turn does not run it');
  leaveIoTurn();
  assert.equal(ran, ['a', 'b']);
  enterIoTurn();
  leaveIoTurn();
  assert.equal(ran, ['a', 'b'], 'each runs once');
});

test('a deferred function that starts a turn of its own: what that turn defers runs after it, once, in order', () => {
  const ran: string[] = [];
  enterIoTurn();
  atIoTurnEnd(() => {
    ran.push('read-back');
    enterIoTurn(); // as a TAP port's read-back delivering frames does
    atIoTurnEnd(() => ran.push('flush of the nested turn'));
    leaveIoTurn();
    ran.push('read-back done');
  });
  atIoTurnEnd(() => ran.push('second'));
  leaveIoTurn();
  assert.equal(ran, ['read-back', 'read-back done', 'second', 'flush of the nested turn']);
  enterIoTurn();
  leaveIoTurn();
  assert.is(ran.length, 4, 'nothing left queued');
});

test('a throwing deferred function ends the turn cleanly', () => {
  const ran: string[] = [];
  enterIoTurn();
  atIoTurnEnd(() => {
    throw new Error('boom');
  });
  atIoTurnEnd(() => ran.push('dropped'));
  assert.throws(() => leaveIoTurn(), /boom/);
  assert.is(atIoTurnEnd(() => undefined), false, 'the turn is over');
  enterIoTurn();
  leaveIoTurn();
  assert.equal(ran, [], 'nothing left over ran in the next turn');
});

test('a datagram the VTEP queued inside a turn leaves when the turn ends, before any microtask', async () => {
  const rx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  const got = new Promise<Buffer>((r) => rx.once('message', (m) => r(m)));
  const vtep = new Vtep({ address: '127.0.0.1', port: 0, sendSockets: 0 });
  await vtep.start();
  try {
    const buf = Buffer.alloc(HEADROOM + 64, 0x5a);
    enterIoTurn();
    vtep.queue(-1, buf, HEADROOM, 64, rx.address().port, '127.0.0.1');
    assert.is(vtep.ioStats()!.sent, 0, 'queued, not sent yet');
    leaveIoTurn();
    assert.is(vtep.ioStats()!.sent, 1, "sent at the turn's end, synchronously");
    const m = await got;
    assert.is(m.length, 64);
  } finally {
    await vtep.stop();
    rx.close();
  }
});

test.run();
