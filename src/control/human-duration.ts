// Durations in words as Docker prints them in `docker ps` ("Up 5 seconds", "Exited (0) 3 minutes
// ago", CREATED "About an hour ago"): the rules of Docker's go-units HumanDuration. Used by the
// container views (control/views.ts) and the CLI's tables (cli/format.ts).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "Less than a second", "1 second", "About a minute", "3 hours", "2 weeks"... (negative: 0). */
export function humanDuration(ms: number): string {
  const d = Math.max(0, ms);
  const seconds = Math.floor(d / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.floor(d / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(d / HOUR);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return plural(hours, 'hour');
  if (hours < 24 * 7 * 2) return plural(Math.floor(d / DAY), 'day');
  if (hours < 24 * 30 * 2) return plural(Math.floor(d / (7 * DAY)), 'week');
  if (hours < 24 * 365 * 2) return plural(Math.floor(d / (30 * DAY)), 'month');
  return plural(Math.floor(d / (365 * DAY)), 'year');
}

/** The time from an ISO date to `now`, in words ("3 minutes"); "Less than a second" for a bad date. */
export function humanSince(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  return humanDuration(Number.isFinite(t) ? now - t : 0);
}
