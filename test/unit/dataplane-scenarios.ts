// Frame builders, a fake multi-remote (tunnel-like) port, and switch scenarios written against a
// small harness so the same scenario can run over memory ports (test/unit/dataplane-*.test.ts)
// and later over real TAP ports in namespaces (an integration harness implements L2Harness).
import * as assert from 'uvu/assert';
import { countDrop, newCounters, type FrameSink, type Port, type PortCounters } from '../../src/dataplane/port.js';
import { macFromString, macWrite } from '../../src/dataplane/mac.js';

/** An Ethernet frame: dst, src, EtherType, then `payloadLen` bytes of `fill`. */
export function ethFrame(dst: string, src: string, opts: { type?: number; payloadLen?: number; fill?: number } = {}): Buffer {
  const payloadLen = opts.payloadLen ?? 46;
  const b = Buffer.alloc(14 + payloadLen, opts.fill ?? 0x5a);
  macWrite(b, 0, macFromString(dst));
  macWrite(b, 6, macFromString(src));
  b.writeUInt16BE(opts.type ?? 0x0800, 12);
  return b;
}

export const BCAST = 'ff:ff:ff:ff:ff:ff';

/** A fake VXLAN-like port with several remotes: records (frame, remote) pairs, injects with a remote. */
export class FakeTunnelPort implements Port {
  readonly kind = 'vxlan' as const;
  readonly counters: PortCounters = newCounters();
  readonly sent: Array<{ frame: Buffer; remote: number }> = [];
  flushes = 0;
  private sink: FrameSink | null = null;
  constructor(readonly name: string) {}
  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }
  output(buf: Buffer, off: number, len: number, remote: number): void {
    if (off < 96) countDrop(this.counters, 'no-headroom');
    this.counters.txFrames++;
    this.sent.push({ frame: Buffer.from(buf.subarray(off, off + len)), remote });
  }
  flush(): void {
    this.flushes++;
  }
  /** A frame decapsulated from VTEP `remote`. */
  receive(frame: Buffer, remote: number): void {
    const b = Buffer.alloc(96 + frame.length);
    frame.copy(b, 96);
    this.sink?.input(this, b, 96, frame.length, remote);
    this.sink?.flush?.();
  }
  close(): void {
    this.sink = null;
  }
}

/** What a scenario needs from a set of endpoints attached to one switch. */
export interface L2Harness {
  /** Endpoint names (at least three). */
  readonly endpoints: string[];
  /** The MAC each endpoint sends from. */
  macOf(endpoint: string): string;
  /** Sends a frame into the switch from an endpoint. */
  send(from: string, frame: Buffer): Promise<void>;
  /** Frames delivered to an endpoint since the last call (waits as long as the transport needs). */
  take(at: string): Promise<Buffer[]>;
}

/**
 * Learning and flooding seen from the endpoints: a broadcast reaches every other endpoint and
 * not the sender; an unknown unicast floods; once both ends are learned, unicast reaches only
 * its destination.
 */
export async function learningScenario(h: L2Harness): Promise<void> {
  const [a, b, c] = h.endpoints;
  const others = h.endpoints.filter((e) => e !== a);
  const bc = ethFrame(BCAST, h.macOf(a), { type: 0x0806 });
  await h.send(a, bc);
  for (const e of others) assert.equal((await h.take(e)).map((f) => f.toString('hex')), [bc.toString('hex')], `broadcast reaches ${e}`);
  assert.equal((await h.take(a)).length, 0, 'broadcast does not come back to the sender');

  // b answers a: a is known, so only a gets it; b is learned on the way
  const reply = ethFrame(h.macOf(a), h.macOf(b));
  await h.send(b, reply);
  assert.equal((await h.take(a)).map((f) => f.toString('hex')), [reply.toString('hex')], 'unicast reaches a');
  for (const e of h.endpoints.filter((x) => x !== a)) assert.equal((await h.take(e)).length, 0, `unicast to a does not reach ${e}`);

  // a to b: both known now
  const uni = ethFrame(h.macOf(b), h.macOf(a));
  await h.send(a, uni);
  assert.equal((await h.take(b)).length, 1, 'unicast reaches b');
  assert.equal((await h.take(c)).length, 0, 'unicast to b does not reach c');

  // a to a MAC nobody has: flooded to everyone but a
  const unknown = ethFrame('02:00:00:00:99:99', h.macOf(a));
  await h.send(a, unknown);
  for (const e of others) assert.equal((await h.take(e)).length, 1, `unknown unicast floods to ${e}`);
  assert.equal((await h.take(a)).length, 0);
}
