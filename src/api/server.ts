// Serves a Router over HTTP on a unix socket with root-only permissions (0600). Every handler error
// is turned into {code, category, message} with the category's HTTP status; a handler never takes
// the daemon down.
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { asTsnetError, CATEGORY_HTTP_STATUS, unavailable } from '../errors.js';
import { discardBody, readJsonBody, sendJson } from './http-json.js';
import { RawResponse, type Router } from './router.js';

export interface ApiServer {
  readonly socketPath: string;
  stop(): Promise<void>;
}

/** True when something already answers on the socket (another daemon). */
export function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startApiServer(router: Router, socketPath: string, onError?: (err: unknown) => void): Promise<ApiServer> {
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  if (await socketIsLive(socketPath)) {
    throw unavailable('ESOCKET_IN_USE', `another tsnet daemon already listens on ${socketPath}; stop it or use --socket.`);
  }
  await unlink(socketPath).catch(() => undefined);
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://tsnet');
        const { handler, params } = router.match(req.method ?? 'GET', url.pathname);
        const bodiless = req.method === 'GET' || req.method === 'DELETE';
        const body = bodiless ? await discardBody(req).then(() => ({})) : await readJsonBody(req);
        const result = await handler({ params, query: url.searchParams, body });
        if (result instanceof RawResponse) result.respond(req, res);
        else sendJson(res, 200, result ?? {});
      } catch (err) {
        const e = asTsnetError(err);
        if (e.category === 'internal') onError?.(err);
        if (!res.headersSent) await discardBody(req).catch(() => undefined);
        if (!res.headersSent) sendJson(res, CATEGORY_HTTP_STATUS[e.category], e.toWire());
        else res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // umask-free: chmod right after listen, before anything else can run on the loop
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => unlink(socketPath).catch(() => undefined)),
  };
}
