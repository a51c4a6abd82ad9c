// API load for bench/daemon-api-load.ts: GET requests back to back over one keep-alive connection to
// an HTTP server on a unix socket, cycling through the given paths, until SIGTERM; then prints one
// JSON line {requests, seconds, usPerRequest} (the round trip as this client sees it).
// Usage: node dist/bench/api-load-client.js SOCKET PATH...
import http from 'node:http';

const [socketPath, ...paths] = process.argv.slice(2);
if (!socketPath || paths.length === 0) {
  process.stderr.write('usage: api-load-client.js SOCKET PATH...\n');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let requests = 0;
let failures = 0;
const started = process.hrtime.bigint();

function next(i: number): void {
  http
    .get({ socketPath, path: paths[i % paths.length], agent }, (res) => {
      res.resume();
      res.on('end', () => {
        requests++;
        next(i + 1);
      });
    })
    .on('error', () => {
      failures++;
      setTimeout(() => next(i + 1), 1);
    });
}

next(0);
process.on('SIGTERM', () => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ requests, failures, seconds, usPerRequest: requests > 0 ? (seconds * 1e6) / requests : null }));
  process.exit(0);
});
