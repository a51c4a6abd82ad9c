// A CoalescedOutput that records what a coalescer writes (copies of each frame, the virtio-net header
// of super-frames), for the TCP and UDP coalescer unit tests.
import type { CoalescedOutput } from '../../src/dataplane/coalesce-ip.js';

export interface Written {
  kind: 'plain' | 'gso';
  frame: Buffer;
  hdr: Buffer | null;
  segments: number;
  bytes: number;
}

export class Recorder implements CoalescedOutput {
  out: Written[] = [];
  writeFrame(buf: Buffer, off: number, len: number): void {
    this.out.push({ kind: 'plain', frame: Buffer.from(buf.subarray(off, off + len)), hdr: null, segments: 1, bytes: len });
  }
  writeSuperFrame(hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number, segments: number, segmentBytes: number): void {
    this.out.push({ kind: 'gso', frame: Buffer.from(buf.subarray(off, off + len)), hdr: Buffer.from(hdr.subarray(hdrOff, hdrOff + 10)), segments, bytes: segmentBytes });
  }
}
