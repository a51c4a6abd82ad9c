// Per-packet ICMP echo prober with nanosecond stamps, for the end-to-end benchmark (bench/e2e/run.ts
// runs it inside a container namespace with `ip netns exec`). Unlike ping it has no minimum interval
// and no millisecond-rounded output: it sends one echo request on a raw socket (npm `raw-socket`),
// stamps process.hrtime.bigint() just before sendto and again when the reply is read, then sends the
// next one (after --interval-ms, default 0 = at once). Needs root (raw socket).
//
// Usage: node dist/bench/prober.js --dst 10.0.77.2 [--count 2000] [--size 56] [--interval-ms 0]
//                                   [--timeout-ms 1000] [--warmup 200] [--summary]
// The first --warmup replies (JIT, caches, ARP) are not recorded.
// Prints one JSON object: {tool, dst, size, sent, received, lost, rttUs: number[]} (or a one-line
// percentile summary with --summary).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { latencyStats } from './e2e/stats.js';

// From the spec: ICMP echo (RFC 792): type 8 request, type 0 reply, 8-byte header
// (type, code, checksum, identifier, sequence number).
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMP_HEADER = 8;

// Our choice: receive buffer of the raw socket (holds any reply up to 64 KiB).
const RAW_BUFFER_SIZE = 65536;

/** The part of npm `raw-socket` we use (it ships no types). */
interface RawSocket {
  on(event: 'message', cb: (buf: Buffer, source: string) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, before: () => void, after: (err: Error | null) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(opts: { protocol: number; bufferSize?: number }): RawSocket;
  createChecksum(buf: Buffer): number;
  writeChecksum(buf: Buffer, offset: number, checksum: number): void;
  Protocol: { ICMP: number };
}

interface Options {
  dst: string;
  count: number;
  size: number;
  intervalMs: number;
  timeoutMs: number;
  warmup: number;
  summary: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { dst: '', count: 2000, size: 56, intervalMs: 0, timeoutMs: 1000, warmup: 200, summary: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--dst') o.dst = argv[++i] ?? '';
    else if (a === '--count') o.count = Math.floor(num());
    else if (a === '--size') o.size = Math.floor(num());
    else if (a === '--interval-ms') o.intervalMs = num();
    else if (a === '--timeout-ms') o.timeoutMs = num();
    else if (a === '--warmup') o.warmup = Math.floor(num());
    else if (a === '--summary') o.summary = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(o.dst)) throw new Error('--dst needs an IPv4 address');
  return o;
}

export interface ProbeResult {
  tool: 'prober';
  dst: string;
  size: number;
  sent: number;
  received: number;
  lost: number;
  rttUs: number[];
}

/** Sends `count` echo requests one after another and resolves with every RTT in microseconds. */
export function probe(raw: RawModule, o: Options): Promise<ProbeResult> {
  const sock = raw.createSocket({ protocol: raw.Protocol.ICMP, bufferSize: RAW_BUFFER_SIZE });
  const id = process.pid & 0xffff;
  const req = Buffer.alloc(ICMP_HEADER + o.size);
  req[0] = ICMP_ECHO_REQUEST;
  req.writeUInt16BE(id, 4);
  for (let i = ICMP_HEADER; i < req.length; i++) req[i] = i & 0xff;
  const rttUs: number[] = [];
  let sent = 0; // recorded probes sent
  let warm = 0; // warm-up probes sent
  let seq = -1;
  let t0 = 0n;
  let timer: NodeJS.Timeout | undefined;

  return new Promise((resolve, reject) => {
    const finish = () => {
      sock.close();
      resolve({ tool: 'prober', dst: o.dst, size: o.size, sent, received: rttUs.length, lost: sent - rttUs.length, rttUs });
    };
    const next = () => {
      if (sent >= o.count) return finish();
      seq = (warm + sent) & 0xffff;
      req.writeUInt16BE(seq, 6);
      req.writeUInt16BE(0, 2);
      raw.writeChecksum(req, 2, raw.createChecksum(req));
      if (warm < o.warmup) warm++;
      else sent++;
      timer = setTimeout(next, o.timeoutMs);
      sock.send(req, 0, req.length, o.dst, () => (t0 = process.hrtime.bigint()), (err) => {
        if (err) reject(err);
      });
    };
    sock.on('error', reject);
    sock.on('message', (buf) => {
      const t1 = process.hrtime.bigint();
      const ihl = (buf[0] & 0x0f) * 4;
      if (buf.length < ihl + ICMP_HEADER || buf[ihl] !== ICMP_ECHO_REPLY) return;
      if (buf.readUInt16BE(ihl + 4) !== id || buf.readUInt16BE(ihl + 6) !== seq || t0 === 0n) return;
      if (sent > 0) rttUs.push(Number(t1 - t0) / 1000);
      t0 = 0n;
      clearTimeout(timer);
      if (o.intervalMs > 0) setTimeout(next, o.intervalMs);
      else setImmediate(next);
    });
    next();
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const raw = createRequire(import.meta.url)('raw-socket') as RawModule;
  const r = await probe(raw, o);
  if (o.summary) {
    const s = latencyStats(r.rttUs, r.lost);
    const f = (v: number) => v.toFixed(1);
    console.log(`${r.received}/${r.sent} replies, RTT us p50 ${f(s.p50)} p90 ${f(s.p90)} p99 ${f(s.p99)} p99.9 ${f(s.p999)} max ${f(s.max)}`);
  } else {
    process.stdout.write(JSON.stringify({ ...r, rttUs: r.rttUs.map((v) => Math.round(v * 1000) / 1000) }) + '\n');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`prober: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
