// The daemon API's observing routes (`tsnet fdb|peers|trace|capture`, `network attach|detach`):
//   GET  /v1/networks/:ref/fdb                                   MAC table rows
//   GET  /v1/networks/:ref/peers                                 remote VTEPs of an overlay network
//   GET  /v1/networks/:ref/trace?filter=F&port=P&count=N         ndjson stream of TraceRecords
//   GET  /v1/networks/:ref/capture?filter=F&port=P&count=N[&underlay=1]   pcap byte stream
//   POST /v1/networks/:ref/attach {iface}   POST /v1/networks/:ref/detach {iface}
// Streams are RawResponses: they subscribe to the switch's observer while the client is connected
// (zero cost otherwise), drop records rather than buffer without bound when the client reads slower
// than the switch forwards (a trace says how many it skipped), and end when the network goes away.
// Also exports observeInput(), the controller -> view adapter the dashboard and metrics use.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NetworkController } from '../control/controller.js';
import { attachIface, detachIface } from '../control/attached-ifaces.js';
import { badRequest, notFound } from '../errors.js';
import type { Switch } from '../dataplane/switch.js';
import { createPcapWriter } from '../wire/pcap.js';
import { compileFilter, type CompiledFilter } from '../observe/trace-filter.js';
import { cachedNaming, type PortNaming } from '../observe/port-naming.js';
import { fdbRows, namingFor, type NetworkObserveInput } from '../observe/network-view.js';
import { startCapture, startTrace, type ObserveSession } from '../observe/trace-session.js';
import { nowMicros, type TraceLine } from '../observe/trace-record.js';
import { peersOf, prepareUnderlay, startUnderlayCapture, type HostLiveness, type UnderlayContext } from '../observe/overlay-view.js';
import { RawResponse, type Router } from './router.js';

// ---- our choice ----
/** How often a live stream checks that its network still exists. */
const STREAM_CHECK_MS = 1_000;
/** How often buffered pcap records are pushed to the client. */
const CAPTURE_FLUSH_MS = 100;
/** Largest --count accepted. */
const MAX_COUNT = 10_000_000;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';
export const PCAP_CONTENT_TYPE = 'application/vnd.tcpdump.pcap';

/** The data of one network as the observing views need it. */
export function observeInput(ctl: NetworkController, ref: string): NetworkObserveInput {
  const core = ctl.core;
  const net = core.findNetwork(ref);
  return {
    id: net.id,
    name: net.name,
    driver: net.driver,
    subnet: net.ipam.subnet,
    gateway: net.ipam.gateway,
    ports: core.deps.datapath.network(net.id),
    endpoints: core.endpointsOfNetwork(net.id).map((e) => ({
      id: e.id,
      container: core.state.sandboxes.find((s) => s.id === e.sandboxId)?.name ?? e.sandboxId.slice(0, 12),
      ifName: e.ifName,
      ipv4: e.ipv4,
      mac: e.mac,
    })),
  };
}

/** Liveness of the cluster's hosts, when the daemon runs in a cluster. */
export function clusterHosts(ctl: NetworkController): HostLiveness[] {
  try {
    return ctl.core.deps.cluster?.hosts() ?? [];
  } catch {
    return [];
  }
}

function runningSwitch(input: NetworkObserveInput): Switch {
  if (!input.ports) throw notFound('ENETWORK_NOT_RUNNING', `network ${input.name} has no running switch; restart the daemon.`);
  return input.ports.sw;
}

function countParam(q: URLSearchParams): number | undefined {
  const c = q.get('count');
  if (c === null || c === '') return undefined;
  const n = Number(c);
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) throw badRequest('EBAD_COUNT', `count must be a whole number from 1 to ${MAX_COUNT}, not "${c}".`);
  return n;
}

/** The filter of a request: `port P` (checked against the network's ports) and the expression. */
function filterParam(q: URLSearchParams, input: NetworkObserveInput, sw: Switch, naming: PortNaming): CompiledFilter {
  const expr = q.get('filter') ?? '';
  const port = q.get('port') ?? '';
  if (port !== '') {
    const all = sw.ports().map((p) => naming.describe(p));
    if (!all.some((d) => d.names.includes(port))) {
      throw notFound('EPORT_NOT_FOUND', `network ${input.name} has no port ${port}; its ports are ${all.map((d) => d.label).join(', ')}.`);
    }
    compileFilter(expr); // report a bad expression on its own terms
    return compileFilter(expr.trim() === '' ? `port ${port}` : `port ${port} and ( ${expr} )`);
  }
  return compileFilter(expr);
}

/** Ends a stream when the client leaves, the network goes away or the session is done. */
function streamLifecycle(ctl: NetworkController, input: NetworkObserveInput, sw: Switch, req: IncomingMessage, res: ServerResponse,
  onEnd: (why: 'client' | 'network' | 'done') => void) {
  let ended = false;
  const end = (why: 'client' | 'network' | 'done') => {
    if (ended) return;
    ended = true;
    clearInterval(check);
    onEnd(why);
    if (!res.writableEnded) res.end();
  };
  const check = setInterval(() => {
    if (ctl.core.deps.datapath.network(input.id)?.sw !== sw) end('network');
  }, STREAM_CHECK_MS);
  check.unref();
  req.on('close', () => end('client'));
  res.on('close', () => end('client'));
  res.on('error', () => end('client'));
  return { end };
}

function traceRoute(ctl: NetworkController, ref: string, q: URLSearchParams): RawResponse {
  const input = observeInput(ctl, ref);
  const sw = runningSwitch(input);
  const naming = cachedNaming(namingFor(input));
  const filter = filterParam(q, input, sw, naming);
  const count = countParam(q);
  return new RawResponse((req, res) => {
    res.writeHead(200, { 'Content-Type': NDJSON_CONTENT_TYPE, 'Cache-Control': 'no-store' });
    let skipped = 0;
    const send = (line: TraceLine) => {
      if (res.writableNeedDrain) {
        skipped++;
        return;
      }
      if (skipped > 0) {
        res.write(JSON.stringify({ t: nowMicros(), notice: `skipped ${skipped} records: the client reads slower than the switch forwards`, skipped }) + '\n');
        skipped = 0;
      }
      res.write(JSON.stringify(line) + '\n');
    };
    let session: ObserveSession | null = null;
    const life = streamLifecycle(ctl, input, sw, req, res, (why) => {
      session?.stop();
      if (why === 'network' && !res.writableEnded) res.write(JSON.stringify({ t: nowMicros(), notice: `network ${input.name} was removed` }) + '\n');
    });
    session = startTrace({ sw, naming, filter, count, onRecord: send, onDone: () => setImmediate(() => life.end('done')) });
    // like tcpdump's "listening on ...": the client knows the trace is live from here on
    res.write(JSON.stringify({ t: nowMicros(), notice: `tracing ${input.name}${filter.text ? `, filter: ${filter.text}` : ''}` }) + '\n');
  });
}

async function captureRoute(ctl: NetworkController, ref: string, q: URLSearchParams): Promise<RawResponse> {
  const input = observeInput(ctl, ref);
  const sw = runningSwitch(input);
  const naming = cachedNaming(namingFor(input));
  const underlay = q.get('underlay') === '1' || q.get('underlay') === 'true';
  const filter = filterParam(q, input, sw, naming);
  const count = countParam(q);
  if (underlay && input.driver !== 'overlay') {
    throw badRequest('EUNDERLAY_BRIDGE', `network ${input.name} is a bridge network: it has no underlay; --underlay applies to overlay networks.`);
  }
  const uctx: UnderlayContext | null = underlay ? await prepareUnderlay(input.ports, input.name) : null;
  return new RawResponse((req, res) => {
    res.writeHead(200, { 'Content-Type': PCAP_CONTENT_TYPE, 'Cache-Control': 'no-store' });
    const writer = createPcapWriter({
      // whole records or nothing: a chunk the client has no room for is dropped, the file stays valid
      write: (chunk: Buffer) => (res.writableNeedDrain || res.writableEnded ? false : res.write(chunk)),
    });
    const flusher = setInterval(() => writer.flush(), CAPTURE_FLUSH_MS);
    let session: ObserveSession | null = null;
    const life = streamLifecycle(ctl, input, sw, req, res, () => {
      clearInterval(flusher);
      session?.stop();
      if (!res.writableEnded) writer.flush();
    });
    const onDone = () => setImmediate(() => life.end('done'));
    session = uctx
      ? startUnderlayCapture({ ctx: uctx, writer, count, onDone, filter, naming })
      : startCapture({ sw, naming, filter, writer, count, onDone });
  });
}

function ifaceOf(body: unknown): string {
  const iface = (body as { iface?: unknown } | null)?.iface;
  if (typeof iface !== 'string' || iface === '') throw badRequest('EBAD_ARGS', 'attach and detach need an interface: --iface DEV.');
  return iface;
}

export function addObserveRoutes(router: Router, ctl: NetworkController): Router {
  router.add('GET', '/v1/networks/:ref/fdb', ({ params }) => {
    const input = observeInput(ctl, params.ref!);
    runningSwitch(input);
    return fdbRows(input, cachedNaming(namingFor(input)));
  });
  router.add('GET', '/v1/networks/:ref/peers', ({ params }) => {
    const input = observeInput(ctl, params.ref!);
    return peersOf(input, clusterHosts(ctl));
  });
  router.add('GET', '/v1/networks/:ref/trace', ({ params, query }) => traceRoute(ctl, params.ref!, query));
  router.add('GET', '/v1/networks/:ref/capture', ({ params, query }) => captureRoute(ctl, params.ref!, query));
  router.add('POST', '/v1/networks/:ref/attach', ({ params, body }) => ctl.core.lock.run(() => attachIface(ctl.core, params.ref!, ifaceOf(body))));
  router.add('POST', '/v1/networks/:ref/detach', ({ params, body }) =>
    ctl.core.lock.run(async () => {
      await detachIface(ctl.core, params.ref!, ifaceOf(body));
      return {};
    }));
  return router;
}
