// The daemon's observing HTTP server on a TCP address (loopback by default): the Prometheus
// endpoint (`--metrics 127.0.0.1:9523`: GET /metrics) and the live dashboard (`--dashboard
// 127.0.0.1:9524`: GET / and GET /api/state). Off unless a flag asks for it; the daemon starts one
// server per distinct address (both flags on one address share a server). Read-only: it serves
// views of live counters and never changes state, so it needs no authentication beyond its address.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { NetworkController } from '../control/controller.js';
import type { InfoResponse } from '../api/types.js';
import { badRequest, conflict, forbidden, internal } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../observe/prometheus.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { dashboardState } from './dashboard-state.js';
import { renderMetrics } from './metrics.js';

// ---- our choice ----
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9523';
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:9524';

export interface ObserveServerOptions {
  controller: NetworkController;
  /** 'host:port', '[v6]:port' or just 'port' (loopback) */
  listen: string;
  metrics: boolean;
  dashboard: boolean;
  /** daemon info for the dashboard header and the cluster's hosts */
  info?: () => InfoResponse;
  log?: (msg: string) => void;
}

export interface ObserveServer {
  /** the bound address, e.g. "127.0.0.1:9524" (the real port when 0 was asked) */
  readonly address: string;
  stop(): Promise<void>;
}

/** Parses 'host:port' / '[v6]:port' / 'port'. Throws EBAD_LISTEN. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d+)$/.exec(s) ?? (/^(\d+)$/.test(s) ? [s, undefined, '127.0.0.1', s] : null);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !Number.isInteger(port) || port < 0 || port > 65535 || (isIP(host) === 0 && host !== 'localhost')) {
    throw badRequest('EBAD_LISTEN', `"${s}" is not an address to listen on; write it as IP:PORT, like 127.0.0.1:9524.`);
  }
  return { host, port };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

export async function startObserveServer(o: ObserveServerOptions): Promise<ObserveServer> {
  const { host, port } = parseListen(o.listen);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://tsnet').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    if (o.metrics && path === '/metrics') return send(res, 200, PROMETHEUS_CONTENT_TYPE, renderMetrics(o.controller, o.info));
    if (o.dashboard && (path === '/' || path === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
    if (o.dashboard && path === '/api/state') return send(res, 200, 'application/json', JSON.stringify(dashboardState(o.controller, o.info)));
    return send(res, 404, 'text/plain', `no such page: ${path}\n`);
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      o.log?.(`observe server: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(conflict('ELISTEN_IN_USE', `${o.listen} is already in use; pick another address for --metrics/--dashboard.`));
      else if (err.code === 'EACCES') reject(forbidden('ELISTEN_PERMISSION', `not allowed to listen on ${o.listen}; pick a port above 1023.`));
      else if (err.code === 'EADDRNOTAVAIL') reject(badRequest('EBAD_LISTEN', `${host} is not an address of this host; use 127.0.0.1 or one of its addresses.`));
      else reject(internal('ELISTEN', `cannot listen on ${o.listen}: ${err.message}.`, err));
    });
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  const address = a && typeof a === 'object' ? (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`) : o.listen;
  o.log?.(`serving ${[o.metrics ? 'metrics (/metrics)' : '', o.dashboard ? 'the dashboard (/)' : ''].filter(Boolean).join(' and ')} on http://${address}`);
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
