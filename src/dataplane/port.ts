// The one interface through which frames enter and leave a switch (convention 3: smoltcp phy/,
// gVisor link/sniffer). TAP devices, memory pairs, VXLAN tunnels and debugging wrappers all
// implement it. Frames are passed as (buf, off, len) so nothing is allocated per frame. The bytes
// must stay unchanged until the input port has called its sink's flush() (the end of the burst):
// an output may keep a reference until its own flush() to send the whole burst at once (the VXLAN
// tunnel port does). A port that receives into one reused buffer therefore flushes before it
// overwrites a frame it delivered. Bytes before `off` down to `off - HEADROOM` may be written by
// an output that encapsulates in place (convention 2).
//
// `vnet` (optional, last) marks a TCP or UDP super-frame from a TAP with offloads: the offset in `buf` of
// its virtio-net header (src/wire/virtio-net-hdr.ts), -1 or absent for a plain frame. Only a port
// that says `acceptsOffload` is given such a frame; for the others the switch cuts it into plain
// segments first (software GSO), so a super-frame goes whole from one container's TAP to another's.
//
// `remote` tags a frame with a remote endpoint of a multi-destination port (a VXLAN tunnel port's
// VTEP index). Ports with a single destination ignore it. REMOTE_NONE on input means "not from a
// tunnel"; REMOTE_ALL on output means "replicate to every remote" (head-end replication).

export const REMOTE_NONE = -1;
export const REMOTE_ALL = -1;

/** Bytes reserved in front of every frame read by tsnet, enough for outer Ethernet+IPv6+UDP+VXLAN
 *  (14 + 40 + 8 + 8 = 70) rounded up; our choice, shared by all readers. */
export const HEADROOM = 96;

export interface PortCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** drops by reason, e.g. { 'tx-queue-full': 3 } */
  drops: Record<string, number>;
}

export function newCounters(): PortCounters {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, drops: {} };
}

export function countDrop(c: PortCounters, reason: string): void {
  c.drops[reason] = (c.drops[reason] ?? 0) + 1;
}

export interface FrameSink {
  /** Called synchronously for each frame the port received. Never throws. */
  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet?: number): void;
  /** Called once after the port delivered a burst of frames (lets the sink flush batched output);
   *  the frames of the burst may change only after it returns. */
  flush?(): void;
}

export type PortKind = 'tap' | 'memory' | 'vxlan' | 'pcap-iface' | 'wrapper';

export interface Port {
  readonly name: string;
  readonly kind: PortKind;
  readonly counters: PortCounters;
  /** Where received frames go; null detaches. */
  setSink(sink: FrameSink | null): void;
  /** Sends one frame out of this port. Synchronous; a frame that cannot be sent is counted as a drop.
   *  `vnet` >= 0 only if acceptsOffload (see the header). */
  output(buf: Buffer, off: number, len: number, remote: number, vnet?: number): void;
  /** Takes TCP and UDP super-frames with their virtio-net header as they are (a TAP with offloads). */
  readonly acceptsOffload?: boolean;
  /** Ends a burst of output() calls (lets batched ports write everything at once). */
  flush?(): void;
  close(): void;
}
