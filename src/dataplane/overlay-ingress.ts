// The FrameSink in front of an overlay network's switch for frames from LOCAL ports (TAPs): it answers
// ARP requests for remote endpoints from the proxy table (overlay-arp-proxy.ts) straight back to the
// asking port, and passes every other frame to the switch unchanged. The tunnel port keeps the
// switch as its sink. Used by `tsnet switch` and by the control plane for overlay networks; the
// switch itself stays unaware of it (it could call a pre-forward hook instead, see the report).
// Attach order: sw.addPort(port) first (it makes the switch the sink), then ingress.attach(port).
import { HEADROOM, REMOTE_NONE, type FrameSink, type Port } from './port.js';
import { ARP_REPLY_FRAME_LEN, answerArpRequest, type ArpProxyTable } from './overlay-arp-proxy.js';

export interface OverlayIngressCounters {
  /** ARP requests answered locally (not flooded over the overlay). */
  arpProxied: number;
  /** Frames passed on to the switch. */
  passed: number;
}

export interface OverlayIngress extends FrameSink {
  readonly counters: OverlayIngressCounters;
  /** Puts the ingress between `port` and the switch (call after sw.addPort(port)). */
  attach(port: Port): void;
  /** Gives the port straight back to the switch. */
  detach(port: Port): void;
}

class Ingress implements OverlayIngress {
  readonly counters: OverlayIngressCounters = { arpProxied: 0, passed: 0 };
  private readonly reply = Buffer.alloc(HEADROOM + ARP_REPLY_FRAME_LEN);

  constructor(private readonly next: FrameSink, private readonly table: ArpProxyTable) {}

  attach(port: Port): void {
    port.setSink(this);
  }

  detach(port: Port): void {
    port.setSink(this.next);
  }

  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet = -1): void {
    const n = answerArpRequest(this.table, buf, off, len, this.reply, HEADROOM);
    if (n > 0) {
      this.counters.arpProxied++;
      port.output(this.reply, HEADROOM, n, REMOTE_NONE);
      port.flush?.();
      return;
    }
    this.counters.passed++;
    this.next.input(port, buf, off, len, remote, vnet);
  }

  flush(): void {
    this.next.flush?.();
  }
}

/** An ingress that answers ARP from `table` and hands everything else to `next` (the switch). */
export function createOverlayIngress(next: FrameSink, table: ArpProxyTable): OverlayIngress {
  return new Ingress(next, table);
}
