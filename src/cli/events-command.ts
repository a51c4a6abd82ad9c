// `tsnet events [-f type=network|container] [-f event=ACTION]... [--format json|TEMPLATE]`: network
// and container events as they happen, one line each in Docker's form
// `TIME network connect ID (container=ID, name=NET, type=DRIVER)`, until Ctrl-C.
import type { ApiClient } from '../api/client.js';
import { streamGet } from '../api/stream-client.js';
import type { TsnetEvent } from '../control/events.js';
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

export async function eventsCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { filter: { short: 'f', type: 'string', multiple: true }, format: { type: 'string' } }, 'tsnet events');
  needPositionals(a, 0, 0, 'tsnet events [-f type=network|container] [-f event=ACTION]... [--format json|TEMPLATE]');
  const filters = parseFilters(list(a, 'filter'), ['type', 'event'], 'tsnet events');
  const q = new URLSearchParams();
  for (const [k, values] of filters) for (const v of values) q.append(k, v);
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
