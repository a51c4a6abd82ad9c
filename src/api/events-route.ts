// GET /v1/events[?type=network|container][&event=ACTION]...[&since=S][&until=S]: network and
// container events (src/control/events.ts), one JSON object per line in the shape of Docker's events
// API: the kept ones since `since`, then as they happen, until `until` or until the client goes away
// (`tsnet events`). The same filter key twice matches either value.
import { badRequest } from '../errors.js';
import type { NetworkController } from '../control/controller.js';
import type { TsnetEvent } from '../control/events.js';
import { RawResponse } from './router.js';

const TYPES = ['network', 'container'];
// --- our choice ---
/** Events queued for a client that does not read; past this the stream is ended, not the daemon's memory. */
const MAX_QUEUED_BYTES = 1 << 20;

/** `since` / `until`: seconds since the epoch (fractions allowed), as Docker's API takes them. */
function timeParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw badRequest('EBAD_ARGS', `${key} is seconds since the epoch, not "${v}".`);
  return Number(v) * 1000;
}

export function eventsRoute(ctl: NetworkController, q: URLSearchParams): RawResponse {
  const since = timeParam(q, 'since');
  const until = timeParam(q, 'until');
  const types = q.getAll('type');
  const actions = q.getAll('event');
  for (const t of types) if (!TYPES.includes(t)) throw badRequest('EBAD_FILTER', `events have the types ${TYPES.join(' and ')}, not "${t}".`);
  const wanted = (e: TsnetEvent) => (types.length === 0 || types.includes(e.Type)) && (actions.length === 0 || actions.includes(e.Action));
  return new RawResponse((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    // the headers go out now: the client knows it is subscribed before the first event
    res.flushHeaders();
    let off = () => {};
    let timer: NodeJS.Timeout | undefined;
    const end = () => {
      off();
      clearTimeout(timer);
      if (!res.writableEnded) res.end();
    };
    const inTime = (e: TsnetEvent) => until === undefined || e.timeNano / 1e6 <= until;
    const send = (e: TsnetEvent) => {
      if (!wanted(e) || !inTime(e) || res.writableEnded) return;
      if (res.writableLength > MAX_QUEUED_BYTES) return end();
      res.write(JSON.stringify(e) + '\n');
    };
    if (since !== undefined) for (const e of ctl.recentEvents(since)) send(e);
    if (res.writableEnded) return;
    off = ctl.onEvent(send);
    req.on('close', end);
    res.on('close', end);
    // --until: the stream ends then (at once when it is past)
    if (until !== undefined) timer = setTimeout(end, Math.max(0, until - Date.now()));
  });
}
