// Output shapes of the CLI: Docker-like column tables and JSON with Docker's 4-space indent.
import { humanSince } from '../control/human-duration.js';
import { renderTemplate } from './go-template.js';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export const json = (v: unknown): string => JSON.stringify(v, null, 4);

export const shortId = (id: string): string => id.slice(0, 12);

/** "3 minutes ago" style relative time, as docker ps prints. */
export const ago = (iso: string, now = Date.now()): string => `${humanSince(iso, now)} ago`;

/** What `inspect` prints: the JSON array, or with -f one rendered template per object (Docker's way). */
export function printInspected(results: unknown[], format: string | undefined, out: (line: string) => void): void {
  if (format === undefined) return out(json(results));
  for (const r of results) out(renderTemplate(format, r));
}
