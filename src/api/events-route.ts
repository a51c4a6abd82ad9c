// GET /v1/events[?type=network|container][&event=ACTION]...: network and container events as they
// happen (src/control/events.ts), one JSON object per line in the shape of Docker's events API,
// until the client goes away (`tsnet events`). The same filter key twice matches either value.
import { badRequest } from '../errors.js';
import type { NetworkController } from '../control/controller.js';
import type { TsnetEvent } from '../control/events.js';
import { RawResponse } from './router.js';

const TYPES = ['network', 'container'];
// --- our choice ---
/** Events queued for a client that does not read; past this the stream is ended, not the daemon's memory. */
const MAX_QUEUED_BYTES = 1 << 20;

export function eventsRoute(ctl: NetworkController, q: URLSearchParams): RawResponse {
  const types = q.getAll('type');
  const actions = q.getAll('event');
  for (const t of types) if (!TYPES.includes(t)) throw badRequest('EBAD_FILTER', `events have the types ${TYPES.join(' and ')}, not "${t}".`);
  const wanted = (e: TsnetEvent) => (types.length === 0 || types.includes(e.Type)) && (actions.length === 0 || actions.includes(e.Action));
  return new RawResponse((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    // the headers go out now: the client knows it is subscribed before the first event
    res.flushHeaders();
    const off = ctl.onEvent((e) => {
      if (!wanted(e) || res.writableEnded) return;
      if (res.writableLength > MAX_QUEUED_BYTES) return end();
      res.write(JSON.stringify(e) + '\n');
    });
    const end = () => {
      off();
      if (!res.writableEnded) res.end();
    };
    req.on('close', end);
    res.on('close', end);
  });
}
