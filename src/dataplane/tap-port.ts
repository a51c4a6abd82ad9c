// A switch Port over a TAP device (src/native/tap.ts). Native code wakes us once per burst with
// up to `batch.frames` frames read into one TapReadBatch at HEADROOM (so a VXLAN port can
// encapsulate them in place); we hand each to the sink and end the burst with sink.flush()
// (convention 4). output() writes one frame; a full device queue is counted as 'tx-would-block'.
// Used by the control plane for every container endpoint and by `tsnet switch`.
import { asTsnetError, type TsnetError } from '../errors.js';
import { TAP_MAX_FRAME, TapReadBatch, type TapDevice } from '../native/tap.js';
import { countDrop, HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port, type PortCounters } from './port.js';

/** The part of TapDevice a TapPort uses (a TapDevice always fits). */
export type TapDeviceLike = Pick<TapDevice, 'name' | 'startReading' | 'stopReading' | 'write' | 'close' | 'closed'>;

export interface TapPortOptions {
  /** Port name (default: the device's interface name at open time). */
  name?: string;
  /** Called on read errors (e.g. the device vanished with its namespace) and the first write error. */
  onError?: (err: TsnetError) => void;
  /** Close the device when the port closes (default true); false leaves it to the caller. */
  closeDevice?: boolean;
  /** Read batch to use (default: the native default frame count, TAP_MAX_FRAME slots, HEADROOM). */
  batch?: TapReadBatch;
}

export interface TapPort extends Port {
  readonly device: TapDeviceLike;
  readonly closed: boolean;
}

class TapPortImpl implements TapPort {
  readonly kind = 'tap' as const;
  readonly counters: PortCounters = newCounters();
  readonly name: string;
  closed = false;
  private sink: FrameSink | null = null;
  private readonly batch: TapReadBatch;
  private readonly onError: (err: TsnetError) => void;
  private readonly closeDevice: boolean;
  private writeErrorReported = false;

  constructor(readonly device: TapDeviceLike, opts: TapPortOptions) {
    this.name = opts.name ?? device.name;
    this.onError = opts.onError ?? (() => {});
    this.closeDevice = opts.closeDevice ?? true;
    this.batch = opts.batch ?? new TapReadBatch(undefined, HEADROOM + TAP_MAX_FRAME, HEADROOM);
    device.startReading(this.batch, (count: number) => this.onBatch(count), (err: TsnetError) => this.onError(err));
  }

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  private onBatch(count: number): void {
    const sink = this.sink;
    const batch = this.batch;
    const buf = batch.buffer;
    const lengths = batch.lengths;
    const c = this.counters;
    if (sink === null) {
      for (let i = 0; i < count; i++) countDrop(c, 'no-sink');
      return;
    }
    for (let i = 0; i < count; i++) {
      const len = lengths[i];
      c.rxFrames++;
      c.rxBytes += len;
      sink.input(this, buf, batch.offset(i), len, REMOTE_NONE);
    }
    sink.flush?.();
  }

  output(buf: Buffer, off: number, len: number, _remote: number): void {
    const c = this.counters;
    if (this.closed) {
      countDrop(c, 'closed');
      return;
    }
    let ok: boolean;
    try {
      ok = this.device.write(buf, off, len);
    } catch (err) {
      countDrop(c, 'tx-error');
      if (!this.writeErrorReported) {
        this.writeErrorReported = true;
        this.onError(asTsnetError(err));
      }
      return;
    }
    if (!ok) {
      countDrop(c, 'tx-would-block');
      return;
    }
    c.txFrames++;
    c.txBytes += len;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    if (this.device.closed) return;
    this.device.stopReading();
    if (this.closeDevice) this.device.close();
  }
}

/** Wraps an open TAP device as a switch port and starts reading from it. */
export function createTapPort(device: TapDeviceLike, opts: TapPortOptions = {}): TapPort {
  return new TapPortImpl(device, opts);
}
