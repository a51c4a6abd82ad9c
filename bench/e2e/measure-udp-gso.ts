// UDP throughput of a sender that uses UDP segmentation offload (UDP_SEGMENT, as QUIC stacks do):
// udp-gso.py sends 45 x 1400-byte datagrams per sendto from container A as fast as it can, and a
// receiver in container B reads with UDP_GRO and counts payload bytes. With tsnet a send reaches the
// switch as one UDP_L4 super-frame (TAP USO) instead of 45 frames; paths whose devices take no USO
// have the container's kernel cut it first.
import { internal } from '../../src/errors.js';
import { runOk, startDaemon } from './proc.js';
import { INNER_B, inContainer, type Topology } from './topology.js';
import { REPO_ROOT } from './where.js';
import { join } from 'node:path';

// Our choice: the receiver's UDP port (apart from iperf3's and the echo server's).
export const UDP_GSO_PORT = 5500;
const TOOL = join(REPO_ROOT, 'bench', 'e2e', 'udp-gso.py');

export interface UdpGsoRun {
  /** Payload Gbit/s the receiver counted. */
  gbps: number;
  /** Payload Gbit/s the sender handed to its kernel. */
  sentGbps: number;
  /** Sender-side sendto calls and the receiver's reads (a read is one datagram or a merged batch). */
  sends: number;
  reads: number;
}

function parseJsonLine<T>(what: string, text: string): T {
  const m = /\{[^\n]*\}/.exec(text);
  if (!m) throw internal('EBENCH_UDP_GSO', `udp-gso.py ${what} printed no result: ${text.trim().slice(-300)}`);
  return JSON.parse(m[0]) as T;
}

export async function udpGsoThroughput(t: Topology, seconds: number): Promise<UdpGsoRun> {
  const rx = startDaemon(`udp-gso receiver (${t.path})`, 'ip', inContainer(t, 'B', 'python3', TOOL, 'recv', String(UDP_GSO_PORT), String(seconds)));
  try {
    await rx.waitForOutput(/^ready/m, 15_000);
    const out = await runOk('ip', inContainer(t, 'A', 'python3', TOOL, 'send', INNER_B, String(UDP_GSO_PORT), String(seconds)), seconds * 1000 + 30_000);
    const sent = parseJsonLine<{ sends: number; bytes: number; seconds: number }>('send', out);
    await rx.waitForOutput(/\{"bytes"/, 15_000);
    const got = parseJsonLine<{ bytes: number; reads: number; seconds: number }>('recv', rx.log());
    return {
      gbps: (got.bytes * 8) / Math.max(got.seconds, 1e-3) / 1e9,
      sentGbps: (sent.bytes * 8) / sent.seconds / 1e9,
      sends: sent.sends,
      reads: got.reads,
    };
  } finally {
    await rx.stop();
  }
}
