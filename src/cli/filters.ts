// `--filter KEY=VALUE` of `network ls` and `ps`, with Docker's rules: the same key given twice
// matches either value, different keys must all match; `name` matches part of a name, `id` the start
// of an id, the other keys the whole value.
import { badRequest } from '../errors.js';

export type Filters = Map<string, string[]>;

/** Parses the --filter values; `keys` are the ones the command knows. */
export function parseFilters(items: string[], keys: readonly string[], command: string): Filters {
  const out: Filters = new Map();
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq) : '';
    if (!keys.includes(key)) throw badRequest('EBAD_FILTER', `${command} filters by ${keys.join(', ')} as KEY=VALUE, not "${item}".`);
    out.set(key, [...(out.get(key) ?? []), item.slice(eq + 1)]);
  }
  return out;
}

/** Does an item pass every filter? `fields` gives its value(s) for each key. */
export function passes(filters: Filters, fields: Record<string, string | string[]>): boolean {
  for (const [key, wanted] of filters) {
    const have = ([] as string[]).concat(fields[key] ?? []);
    const hit = (w: string) => have.some((h) => (key === 'name' ? h.includes(w) : key === 'id' ? h.startsWith(w) : h === w));
    if (!wanted.some(hit)) return false;
  }
  return true;
}
