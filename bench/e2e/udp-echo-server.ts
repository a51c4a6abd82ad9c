// UDP echo server for the end-to-end benchmark's request/response latency (bench/e2e/measure-udp.ts
// starts it inside container B with `ip netns exec`). Sends every datagram back to its sender.
// Usage: node dist/bench/e2e/udp-echo-server.js --port 7777   (prints "ready <port>" when bound)
import { createSocket } from 'node:dgram';

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : NaN;
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('udp-echo-server: --port needs a UDP port number\n');
  process.exit(2);
}
const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
sock.on('error', (err) => {
  process.stderr.write(`udp-echo-server: ${err.message}\n`);
  process.exit(1);
});
sock.bind(port, () => process.stdout.write(`ready ${port}\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
