// A stand-in for the daemon's API in its own process, for bench/daemon-api-load.ts: an HTTP server
// on a unix socket that answers every request with the same JSON body (a copy of a real daemon
// reply), so the same client load can run without touching the daemon's event loop.
// Usage: node dist/bench/api-stand-in.js SOCKET BODY_FILE   (prints "ready" when listening)
import http from 'node:http';
import { readFileSync, rmSync } from 'node:fs';

const [socketPath, bodyFile] = process.argv.slice(2);
if (!socketPath || !bodyFile) {
  process.stderr.write('usage: api-stand-in.js SOCKET BODY_FILE\n');
  process.exit(2);
}
const body = readFileSync(bodyFile);
rmSync(socketPath, { force: true });
http
  .createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  })
  .listen(socketPath, () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
