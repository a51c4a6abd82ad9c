// Live sessions on one switch's tap: a trace (each event the filter keeps becomes a TraceRecord) and
// a capture (each frame the switch handled is written once to a pcap writer: the frame as the switch
// saw it on input). Both subscribe to the switch's shared observer (switch-tap.ts) and unsubscribe on
// stop(), so the switch runs without an observer again when nobody watches. Used by the API's trace
// and capture routes; the bytes of an event are read during the callback and never kept.
import type { Switch, SwitchEvent } from '../dataplane/switch.js';
import type { Port } from '../dataplane/port.js';
import type { PcapWriter } from '../wire/pcap.js';
import { summariseFrame, type FrameInfo } from './frame-summary.js';
import type { CompiledFilter, FilterContext } from './trace-filter.js';
import type { PortNaming } from './port-naming.js';
import { switchTap } from './switch-tap.js';
import { nowMicros, traceRecord, type TraceRecord } from './trace-record.js';

const NO_NAMES: readonly string[] = [];
const EMPTY_FRAME: FrameInfo = summariseFrame(Buffer.alloc(0), 0, 0);

export interface ObserveSession {
  stop(): void;
  /** events (trace) or frames (capture) that passed the filter so far */
  readonly matched: number;
}

function contextOf(ev: SwitchEvent, naming: PortNaming, ctx: { action: string; inNames: readonly string[]; outNames: readonly string[] }): FilterContext {
  ctx.action = ev.action;
  ctx.inNames = ev.inPort ? naming.describe(ev.inPort).names : NO_NAMES;
  ctx.outNames = ev.outPort ? naming.describe(ev.outPort as Port).names : NO_NAMES;
  return ctx;
}

/** Decodes only what the filter needs first: a `port X` filter skips decoding frames it rejects. */
function matchFrame(ev: SwitchEvent, filter: CompiledFilter, ctx: FilterContext): FrameInfo | null {
  const buf = ev.buf;
  if (buf === null) return null;
  if (!filter.needsFrame) return filter.test(EMPTY_FRAME, ctx) ? summariseFrame(buf, ev.off, ev.len) : null;
  const f = summariseFrame(buf, ev.off, ev.len);
  return filter.test(f, ctx) ? f : null;
}

export interface TraceOptions {
  sw: Switch;
  naming: PortNaming;
  filter: CompiledFilter;
  onRecord(r: TraceRecord): void;
  /** stop after this many records (default: never) */
  count?: number;
  onDone?(): void;
}

export function startTrace(o: TraceOptions): ObserveSession {
  let matched = 0;
  let stopped = false;
  const ctx = { action: '', inNames: NO_NAMES, outNames: NO_NAMES };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
  };
  const unsubscribe = switchTap(o.sw).subscribe((ev) => {
    if (stopped) return;
    const f = matchFrame(ev, o.filter, contextOf(ev, o.naming, ctx));
    if (f === null) return;
    matched++;
    o.onRecord(traceRecord(ev, f, o.naming, nowMicros()));
    if (o.count !== undefined && matched >= o.count) {
      stop();
      o.onDone?.();
    }
  });
  return {
    stop,
    get matched() {
      return matched;
    },
  };
}

export interface CaptureOptions {
  sw: Switch;
  naming: PortNaming;
  filter: CompiledFilter;
  writer: PcapWriter;
  count?: number;
  onDone?(): void;
}

/** Writes every frame the switch handles (once: at its forwarded/flooded/dropped event) that passes the filter. */
export function startCapture(o: CaptureOptions): ObserveSession {
  let matched = 0;
  let stopped = false;
  const ctx = { action: '', inNames: NO_NAMES, outNames: NO_NAMES };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
  };
  const unsubscribe = switchTap(o.sw).subscribe((ev) => {
    if (stopped || ev.action === 'learned' || ev.action === 'moved' || ev.buf === null) return;
    const c = contextOf(ev, o.naming, ctx);
    if (o.filter.text !== '') {
      const f = o.filter.needsFrame ? summariseFrame(ev.buf, ev.off, ev.len) : EMPTY_FRAME;
      if (!o.filter.test(f, c)) return;
    }
    matched++;
    o.writer.write(ev.buf, ev.off, ev.len);
    if (o.count !== undefined && matched >= o.count) {
      stop();
      o.onDone?.();
    }
  });
  return {
    stop,
    get matched() {
      return matched;
    },
  };
}
