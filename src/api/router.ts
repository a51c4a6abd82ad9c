// The daemon API's route table: method + path pattern (":name" segments) -> handler. One table for
// every verb (convention 5: wireguard-go device/uapi.go); the server and the tests both use it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFound } from '../errors.js';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export type Handler = (ctx: RouteContext) => Promise<unknown> | unknown;

/** A handler result that writes the response itself: live streams (trace, capture) and
 *  non-JSON bodies (Prometheus metrics, the dashboard page). */
export class RawResponse {
  constructor(readonly respond: (req: IncomingMessage, res: ServerResponse) => void) {}
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the handler for a request, or throws a not-found TsnetError. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
    const segs = pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    for (const r of this.routes) {
      if (r.method !== method || r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = segs[i]!;
        else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { handler: r.handler, params };
    }
    throw notFound('EROUTE', `the daemon has no API route ${method} ${pathname}.`);
  }
}
