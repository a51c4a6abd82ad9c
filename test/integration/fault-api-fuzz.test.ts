// Hostile input to a real daemon's API socket and to the Docker plugin in front of it (SECURITY.md):
// seeded random JSON bodies of every type (wrong types, nesting, 0.5 MB strings, prototype-looking keys),
// raw bytes that are not JSON, and bodies over the 1 MB limit, to every route of the daemon API with
// random and real-looking path parameters; then random bodies to every /NetworkDriver.* and
// /IpamDriver.* verb of startPluginServer (src/docker/plugin-server.ts) against the same daemon.
// Every answer must be a JSON error with a 4xx status (a 500 means a handler met a type it did not
// check), the plugin must answer every bad call with its Err/Error field, nothing may crash, a ping
// between two containers keeps being answered throughout ("the daemon keeps forwarding"), and
// afterwards `network ls` and `ps -a` are unchanged.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { cleanupAll } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { DEFAULT_SEED, randomJson, rng, type Rng } from '../helpers/fault-rng.js';
import { startPluginServer, type PluginServer } from '../../src/docker/plugin-server.js';
import { pluginVerbs } from '../../src/docker/plugin-handlers.js';
import { ApiClient } from '../../src/api/client.js';
import { MAX_BODY_BYTES } from '../../src/api/http-json.js';

// --- our choice: budgets ---
const API_REQUESTS = Number(process.env.FUZZ_API_REQUESTS ?? 1500);
const PLUGIN_REQUESTS = 800;
/** Verbs whose answer is a constant: any body gets the same success answer. */
const CONSTANT_VERBS = new Set([
  '/Plugin.Activate', '/NetworkDriver.GetCapabilities', '/NetworkDriver.ProgramExternalConnectivity', '/NetworkDriver.RevokeExternalConnectivity',
  '/NetworkDriver.DiscoverNew', '/NetworkDriver.DiscoverDelete', '/NetworkDriver.AllocateNetwork', '/NetworkDriver.FreeNetwork',
  '/IpamDriver.GetCapabilities', '/IpamDriver.GetDefaultAddressSpaces',
]);

/** Node's default --max-http-header-size. */
const MAX_HEADER_BYTES = 16 * 1024;

const ROUTES: Array<[string, string]> = [
  ['GET', '/v1/info'], ['GET', '/v1/networks'], ['POST', '/v1/networks'], ['GET', '/v1/networks/:ref'], ['GET', '/v1/networks/:ref/stats'],
  ['DELETE', '/v1/networks/:ref'], ['POST', '/v1/networks/:ref/connect'], ['POST', '/v1/networks/:ref/disconnect'],
  ['POST', '/v1/networks/:ref/rotate-key'],
  ['GET', '/v1/networks/:ref/fdb'], ['GET', '/v1/networks/:ref/peers'], ['GET', '/v1/networks/:ref/trace'], ['GET', '/v1/networks/:ref/capture'],
  ['POST', '/v1/networks/:ref/attach'], ['POST', '/v1/networks/:ref/detach'],
  ['GET', '/v1/containers'], ['POST', '/v1/containers'], ['GET', '/v1/containers/:ref'], ['DELETE', '/v1/containers/:ref'], ['POST', '/v1/containers/:ref/exited'],
  ['POST', '/v1/containers/:ref/stop'], ['POST', '/v1/containers/:ref/start'], ['GET', '/v1/containers/:ref/logs'],
  ['GET', '/v1/docker'], ['POST', '/v1/docker/ipam/pools'], ['DELETE', '/v1/docker/ipam/pools/:ref'], ['POST', '/v1/docker/ipam/pools/:ref/addresses'],
  ['POST', '/v1/docker/ipam/pools/:ref/addresses/release'], ['POST', '/v1/docker/networks'], ['DELETE', '/v1/docker/networks/:ref'],
  ['POST', '/v1/docker/endpoints'], ['GET', '/v1/docker/endpoints/:ref'], ['DELETE', '/v1/docker/endpoints/:ref'],
  ['POST', '/v1/docker/endpoints/:ref/join'], ['POST', '/v1/docker/endpoints/:ref/leave'],
  ['PUT', '/v1/networks'], ['GET', '/v1/nosuch'], ['GET', '/../../etc/passwd'],
];

const t = suite('hostile API and plugin input');
let d: TestDaemon;
let plugin: PluginServer;
let realNames: string[] = [];
let realIds: string[] = [];

interface Answer {
  status: number;
  body: string;
}

function raw(socketPath: string, method: string, path: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, headers: body ? { 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A path parameter: random, or the name of something real only where that cannot change state. */
function ref(r: Rng, method: string, path: string): string {
  let v = String(r.pick(['x', 'nosuch', '', '0', 'ffff', '..', '%2e%2e', '%00', 'a'.repeat(2000), '💥', 'ts-000000000000', JSON.stringify(randomJson(r)) ?? 'u']));
  const mutating = method !== 'GET' || path.endsWith('/trace') || path.endsWith('/capture');
  if (!mutating && r.bool(0.3)) v = r.pick(realNames);
  // never name (or prefix) a real network/container where the verb could remove or stream it
  if (mutating && (realNames.includes(v) || (/^[0-9a-f]+$/.test(v) && realIds.some((id) => id.startsWith(v))))) v = 'nosuch';
  return encodeURIComponent(v).slice(0, 4000) || 'x';
}

/** A hostile body; for the verbs that create something, a name that is never valid keeps it a failure. */
function body(r: Rng, method: string, path: string): Buffer {
  const k = r.int(10);
  if (k === 0) return r.bytes(r.int(300)); // not JSON
  if (k === 1) return Buffer.alloc((1 << 20) + 10, 0x20); // over the limit
  const v = randomJson(r);
  if (v && typeof v === 'object' && !Array.isArray(v) && method === 'POST' && (path === '/v1/networks' || path === '/v1/containers')) {
    (v as Record<string, unknown>).name = r.pick(['-bad', '', 'a/b', '..', 'x'.repeat(100), 7, null, ['x'], { x: 1 }]);
  }
  return Buffer.from(JSON.stringify(v) ?? 'null');
}

t.before(async () => {
  d = await startTestDaemon();
  d.ok('network', 'create', '--subnet', '10.62.0.0/24', 'fz');
  d.ok('run', '-d', '--name', 'pinger', '--net', 'fz', '--', 'sleep', '3600');
  d.ok('run', '-d', '--name', 'ponger', '--net', 'fz', '--', 'sleep', '3600');
  plugin = await startPluginServer({ apiSocket: d.socket, socketPath: join(d.stateDir, '..', 'plugin.sock') });
  const api = new ApiClient(d.socket);
  const nets = await api.get<Array<{ Id: string; Name: string }>>('/v1/networks');
  const ctrs = await api.get<Array<{ Id: string; Name: string }>>('/v1/containers');
  realNames = [...nets, ...ctrs].map((x) => x.Name);
  realIds = [...nets, ...ctrs].map((x) => x.Id);
});
t.after(async () => {
  await plugin?.stop();
  cleanupAll();
});

t(`${API_REQUESTS} hostile API requests and ${PLUGIN_REQUESTS} hostile plugin calls; pings keep flowing; state unchanged (seed ${DEFAULT_SEED + 20})`, async () => {
  const r = rng(DEFAULT_SEED + 20);
  const lsBefore = d.ok('network', 'ls');
  const containers = async () => JSON.stringify((await new ApiClient(d.socket).get<Array<{ Id: string; Name: string; State: string; Networks: string[] }>>('/v1/containers')).map((c) => [c.Id, c.Name, c.State, c.Networks]));
  const psBefore = await containers();
  const target = (JSON.parse(d.ok('inspect', 'ponger')) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>)[0]!.NetworkSettings.Networks.fz!.IPAddress;
  // the ping runs for the whole fuzz, from one container to the other through the daemon's switch
  const ping = spawn('ip', ['netns', 'exec', d.prefix + 'pinger', 'ping', '-i', '0.2', '-W', '5', target], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pingOut = '';
  ping.stdout.on('data', (b: Buffer) => (pingOut += b.toString()));
  const serverErrors: string[] = [];
  const statuses: Record<string, number> = {};
  try {
    for (let i = 0; i < API_REQUESTS; i++) {
      const [method, pattern] = r.pick(ROUTES);
      const path = pattern.replace(/:ref/g, () => ref(r, method, pattern)) + (r.bool(0.1) ? `?force=1&filter=${encodeURIComponent(JSON.stringify(randomJson(r)) ?? '')}` : '');
      const b = method === 'GET' || method === 'DELETE' ? (r.bool(0.1) ? body(r, method, pattern) : undefined) : body(r, method, pattern);
      const a = await raw(d.socket, method, path, b).catch((e: Error) => ({ status: -1, body: e.message }));
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      if (a.status === 431 || a.status === 414) continue; // Node's HTTP parser refuses a URL over 16 KB before any handler runs
      if (a.status === -1) {
        // Node's HTTP parser answers a request line over its 16 KB header limit with 431 and closes the
        // connection before any of our code runs: a client still sending the URL gets ECONNRESET. Any
        // other request must be answered (a body that is refused or not needed included).
        if (path.length <= MAX_HEADER_BYTES) serverErrors.push(`#${i} ${method} ${pattern} (URL ${path.length} bytes, body ${b?.length ?? 0}): no answer, ${a.body}`);
        const alive = await raw(d.socket, 'GET', '/v1/info').catch(() => ({ status: -1, body: '' }));
        if (alive.status !== 200) serverErrors.push(`#${i} ${method} ${pattern}: the daemon stopped answering after ${a.body}`);
        continue;
      }
      if (a.status >= 500 || a.status < 200) serverErrors.push(`#${i} ${method} ${pattern} ${b?.subarray(0, 200).toString() ?? ''} -> ${a.status} ${a.body.slice(0, 200)}`);
      else if (a.status >= 400) {
        const e = parseJson(a.body) as { code?: unknown; message?: unknown } | undefined;
        if (typeof e?.code !== 'string' || typeof e.message !== 'string') serverErrors.push(`${method} ${path.slice(0, 100)} -> ${a.status} without {code, message}: ${a.body.slice(0, 200)}`);
      }
    }
    // the plugin: every verb, random bodies
    const verbs = [...pluginVerbs(new ApiClient(d.socket)).keys(), '/NetworkDriver.Nope', '/IpamDriver.Nope'];
    for (let i = 0; i < PLUGIN_REQUESTS; i++) {
      const verb = r.pick(verbs);
      // a body over the 1 MB limit now and then: refused, or not needed by a refused method or verb
      const b = r.bool(0.05) ? Buffer.alloc(MAX_BODY_BYTES + 1 + r.int(MAX_BODY_BYTES), 0x20) : r.bool(0.1) ? r.bytes(r.int(200)) : Buffer.from(JSON.stringify(randomJson(r)) ?? 'null');
      const a = await raw(plugin.socketPath, r.bool(0.95) ? 'POST' : 'GET', verb, b);
      const field = verb.startsWith('/IpamDriver.') ? 'Error' : 'Err';
      const answer = (parseJson(a.body) ?? {}) as Record<string, unknown>;
      if (a.status !== 200 || !CONSTANT_VERBS.has(verb)) {
        const ok = typeof answer[field] === 'string' && (answer[field] as string).length > 0;
        // RequestPool with a body that happens to be a valid request gets a pool: that is not an error
        if (!ok && !(verb === '/IpamDriver.RequestPool' && typeof answer.PoolID === 'string')) serverErrors.push(`plugin ${verb} ${b.subarray(0, 200).toString()} -> ${a.status} ${a.body.slice(0, 200)}`);
      }
    }
    // answers that need no body still reach a client that sends a big one (the server reads it first)
    const big = Buffer.alloc(2 * MAX_BODY_BYTES, 0x20);
    for (const [socket, method, path, status] of [
      [d.socket, 'PUT', '/v1/networks', 404], [d.socket, 'GET', '/v1/info', 200], [d.socket, 'POST', '/v1/networks', 400],
      [plugin.socketPath, 'GET', '/NetworkDriver.CreateNetwork', 405], [plugin.socketPath, 'POST', '/NetworkDriver.Nope', 404],
      [plugin.socketPath, 'POST', '/NetworkDriver.CreateNetwork', 400],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const a = await raw(socket, method, path, big).catch((e: Error) => ({ status: -1, body: e.message }));
        if (a.status !== status) serverErrors.push(`${method} ${path} with a ${big.length}-byte body -> ${a.status} ${a.body.slice(0, 100)}, not ${status}`);
      }
    }
  } finally {
    ping.kill('SIGINT');
    await new Promise((ok) => ping.once('exit', ok));
  }
  console.log(`    API statuses: ${JSON.stringify(statuses)}`);
  assert.equal(serverErrors, [], `requests the daemon or plugin did not answer with a clean error:\n${serverErrors.slice(0, 20).join('\n')}\n--- daemon log ---\n${d.log.slice(-20).join('')}`);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(pingOut);
  assert.ok(m, `ping summary: ${pingOut.slice(-300)}`);
  const [sent, got] = [Number(m![1]), Number(m![2])];
  assert.ok(sent >= 5 && got >= sent * 0.9, `pings during the fuzz: ${got} of ${sent} answered`);
  assert.is(d.cli('info').status, 0, 'the daemon still answers');
  assert.is(d.ok('network', 'ls'), lsBefore, 'network ls unchanged');
  assert.is(await containers(), psBefore, 'the containers are unchanged');
});

t.run();
