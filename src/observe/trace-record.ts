// One line of `tsnet trace`: a JSON record built from a SwitchEvent (sent as ndjson over the API)
// and its one-line text form, e.g.
//   12:00:01.123456 rose:eth0 > flood(2) 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff ARP who-has 172.17.0.3 tell 172.17.0.2
//   12:00:01.123789 lily:eth0 > rose:eth0 02:42:ac:11:00:03 > 02:42:ac:11:00:02 ARP reply 172.17.0.3 is-at ...
//   12:00:01.124001 vxlan0@10.0.0.2:4789 learned 02:42:0a:00:01:05
//   12:00:01.124100 rose:eth0 > drop(hairpin) ...
// Used by the trace session (daemon side) and the CLI (formatting); shared with the dashboard.
import type { SwitchEvent } from '../dataplane/switch.js';
import type { FrameInfo } from './frame-summary.js';
import type { PortNaming } from './port-naming.js';

export interface TraceRecord {
  /** microseconds since the epoch */
  t: number;
  network: string;
  action: 'learned' | 'moved' | 'forwarded' | 'flooded' | 'dropped';
  in: string;
  /** the remote VTEP the frame came from (tunnel ports), else absent */
  inRemote?: string;
  out?: string;
  outRemote?: string;
  /** ports a flooded frame went to */
  count?: number;
  reason?: string;
  src: string;
  dst: string;
  len: number;
  summary: string;
}

/** A notice in the trace stream (the client fell behind and records were skipped). */
export interface TraceNotice {
  t: number;
  notice: string;
  skipped?: number;
}

export type TraceLine = TraceRecord | TraceNotice;

export const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

export function traceRecord(ev: SwitchEvent, frame: FrameInfo, naming: PortNaming, t: number): TraceRecord {
  const r: TraceRecord = {
    t,
    network: ev.switchName,
    action: ev.action,
    in: ev.inPort ? naming.describe(ev.inPort).label : '?',
    src: frame.src,
    dst: frame.dst,
    len: ev.len,
    summary: frame.summary,
  };
  if (ev.inPort && ev.inRemote >= 0) r.inRemote = naming.remote(ev.inPort, ev.inRemote);
  if (ev.action === 'forwarded' && ev.outPort) {
    r.out = naming.describe(ev.outPort).label;
    if (ev.outRemote >= 0) r.outRemote = naming.remote(ev.outPort, ev.outRemote);
  }
  if (ev.action === 'flooded') r.count = ev.count;
  if (ev.action === 'dropped') r.reason = ev.reason;
  return r;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** "HH:MM:SS.uuuuuu" in local time, as tcpdump prints. */
export function formatTime(tMicros: number): string {
  const d = new Date(Math.floor(tMicros / 1000));
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(Math.floor(tMicros % 1_000_000), 6)}`;
}

/** The text line of a record (see the header for examples). */
export function formatTraceLine(line: TraceLine): string {
  if ('notice' in line) return `${formatTime(line.t)} -- ${line.notice}`;
  const from = line.inRemote ? `${line.in}@${line.inRemote}` : line.in;
  const head = `${formatTime(line.t)} ${from}`;
  switch (line.action) {
    case 'learned':
    case 'moved':
      return `${head} ${line.action} ${line.src}`;
    case 'forwarded':
      return `${head} > ${line.outRemote ? `${line.out} encap to ${line.outRemote}` : line.out} ${line.src} > ${line.dst} ${line.summary}`;
    case 'flooded':
      return `${head} > flood(${line.count ?? 0}) ${line.src} > ${line.dst} ${line.summary}`;
    case 'dropped':
      return `${head} > drop(${line.reason ?? ''}) ${line.src} > ${line.dst} ${line.summary}`;
    default:
      return `${head} ${String(line.action)}`;
  }
}
