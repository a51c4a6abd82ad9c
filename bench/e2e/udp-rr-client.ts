// UDP request/response client for the end-to-end benchmark (bench/e2e/measure-udp.ts runs it inside
// container A). Sends one datagram carrying a sequence number, waits for the echo, stamps both ends
// with process.hrtime.bigint(), then sends the next; a request with no echo within --timeout-ms is lost.
// Usage: node dist/bench/e2e/udp-rr-client.js --dst 10.0.77.2 --port 7777 [--count 2000] [--size 64]
//        [--timeout-ms 1000] [--warmup 200]     The first --warmup echoes are not recorded. Prints {tool, dst, size, sent, received, lost, rttUs: number[]}.
import { createSocket } from 'node:dgram';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) {
    process.stderr.write(`udp-rr-client: ${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const dst = arg('--dst');
const port = Number(arg('--port'));
const count = Number(arg('--count', '2000'));
const size = Math.max(4, Number(arg('--size', '64')));
const timeoutMs = Number(arg('--timeout-ms', '1000'));
const warmup = Number(arg('--warmup', '200'));

const sock = createSocket('udp4');
const req = Buffer.alloc(size);
const rttUs: number[] = [];
let sent = 0; // recorded requests sent
let warm = 0; // warm-up requests sent
let seq = -1;
let t0 = 0n;
let timer: NodeJS.Timeout | undefined;

function finish(): void {
  sock.close();
  const out = { tool: 'udp-rr', dst, size, sent, received: rttUs.length, lost: sent - rttUs.length, rttUs: rttUs.map((v) => Math.round(v * 1000) / 1000) };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function next(): void {
  if (sent >= count) return finish();
  seq = warm + sent;
  req.writeUInt32BE(seq, 0);
  if (warm < warmup) warm++;
  else sent++;
  timer = setTimeout(next, timeoutMs);
  t0 = process.hrtime.bigint();
  sock.send(req, port, dst);
}

sock.on('message', (msg) => {
  const t1 = process.hrtime.bigint();
  if (msg.length < 4 || msg.readUInt32BE(0) !== seq) return;
  if (sent > 0) rttUs.push(Number(t1 - t0) / 1000);
  clearTimeout(timer);
  setImmediate(next);
});
sock.on('error', (err) => {
  process.stderr.write(`udp-rr-client: ${err.message}\n`);
  process.exit(1);
});
sock.bind(0, next);
