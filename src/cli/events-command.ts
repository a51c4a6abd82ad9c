// `tsnet events [-f type=network|container] [-f event=ACTION]... [--since T] [--until T] [--format
// json|TEMPLATE]`: network and container events (the daemon's last 1024 with --since, then as they
// happen), one line each in Docker's form `TIME network connect ID (container=ID, name=NET,
// type=DRIVER)`, until --until or Ctrl-C.
import type { ApiClient } from '../api/client.js';
import { streamGet } from '../api/stream-client.js';
import type { TsnetEvent } from '../control/events.js';
import { badRequest } from '../errors.js';
import { list, needPositionals, parseArgs, str } from './args.js';
import { parseFilters } from './filters.js';
import { renderTemplate } from './go-template.js';
import { interruptSignal } from './observe-commands.js';

type Out = (line: string) => void;

/** Docker's line for an event: time, type, action, actor id, and the attributes sorted by key. */
export function eventLine(e: TsnetEvent): string {
  const attrs = Object.keys(e.Actor.Attributes).sort().map((k) => `${k}=${e.Actor.Attributes[k]}`);
  return `${new Date(e.timeNano / 1e6).toISOString()} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}`;
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** --since/--until as Docker takes them: seconds since the epoch, a duration back from now in one
 *  unit (90s, 10m, 2h), or an RFC 3339 time. Returns seconds since the epoch. */
export function eventTime(v: string, flag: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return now / 1000 - Number(d[1]) * UNIT_S[d[2]!]!;
  const t = Date.parse(v);
  if (Number.isFinite(t) && /^\d{4}-\d\d-\d\d/.test(v)) return t / 1000;
  throw badRequest('EBAD_ARGS', `${flag} takes seconds since the epoch, a duration such as 10m, or a time such as 2026-12-08T10:00:00Z; not "${v}".`);
}

export async function eventsCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, {
    filter: { short: 'f', type: 'string', multiple: true }, format: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
  }, 'tsnet events');
  needPositionals(a, 0, 0, 'tsnet events [-f type=network|container] [-f event=ACTION]... [--since T] [--until T] [--format json|TEMPLATE]');
  const filters = parseFilters(list(a, 'filter'), ['type', 'event'], 'tsnet events');
  const q = new URLSearchParams();
  for (const [k, values] of filters) for (const v of values) q.append(k, v);
  for (const key of ['since', 'until'] as const) {
    const v = str(a, key);
    if (v !== undefined) q.set(key, eventTime(v, `--${key}`).toFixed(3));
  }
  const format = str(a, 'format');
  const show = format === 'json' ? (e: TsnetEvent) => JSON.stringify(e) : format !== undefined ? (e: TsnetEvent) => renderTemplate(format, e) : eventLine;
  const intr = interruptSignal();
  let partial = '';
  try {
    await streamGet({ socketPath: api.socketPath, path: `/v1/events${q.size ? `?${q}` : ''}`, signal: intr.signal }, (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l) out(show(JSON.parse(l) as TsnetEvent));
    });
  } finally {
    intr.dispose();
  }
  return 0;
}
