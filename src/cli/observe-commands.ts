// The observing commands of the CLI, for labs and for operators asking "why did this packet not
// arrive?":
//   tsnet fdb NETWORK [--format json]                       the MAC table, like `bridge fdb`
//   tsnet peers NETWORK [--format json]                     remote VTEPs of an overlay network
//   tsnet trace NETWORK [--port P] [-c N] [--json] [FILTER...]   what the switch does, one line per frame
//   tsnet capture NETWORK [-w FILE] [--port P] [-c N] [--underlay] [FILTER...]   pcap of the frames
//   tsnet network attach|detach NETWORK --iface DEV         bridge an existing interface in or out
// Each is one API call; trace and capture stream until Ctrl-C, the count, or the network's removal.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { ApiClient } from '../api/client.js';
import { streamGet, streamNdjson } from '../api/stream-client.js';
import { badRequest } from '../errors.js';
import type { FdbRow } from '../observe/network-view.js';
import type { PeersView } from '../observe/overlay-view.js';
import { formatTraceLine, type TraceLine } from '../observe/trace-record.js';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_RECORD_HEADER_LEN } from '../wire/pcap.js';
import { bool, needPositionals, parseArgs, str } from './args.js';
import { json, table } from './format.js';

type Out = (line: string) => void;

const enc = encodeURIComponent;

function formatFlag(a: ReturnType<typeof parseArgs>): 'table' | 'json' {
  const f = str(a, 'format') ?? 'table';
  if (f !== 'json' && f !== 'table') throw badRequest('EBAD_FORMAT', `--format must be json or table, not "${f}".`);
  return f;
}

function countFlag(a: ReturnType<typeof parseArgs>): string | undefined {
  const c = str(a, 'count');
  if (c === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(c)) throw badRequest('EBAD_COUNT', `--count needs a whole number above 0, not "${c}".`);
  return c;
}

/** "4.2s", "3m05s" for an FDB age; "-" for static entries. */
export function formatAge(ms: number, kind: string): string {
  if (kind === 'static') return '-';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export async function fdbCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { format: { type: 'string' } }, 'tsnet fdb');
  needPositionals(a, 1, 1, 'tsnet fdb NETWORK [--format json]');
  const rows = await api.get<FdbRow[]>(`/v1/networks/${enc(a.positionals[0]!)}/fdb`);
  if (formatFlag(a) === 'json') {
    out(json(rows));
    return 0;
  }
  out(table(['MAC', 'PORT', 'VTEP', 'TYPE', 'AGE'], rows.map((r) => [r.mac, r.port, r.vtep || '-', r.kind, formatAge(r.ageMs, r.kind)])));
  return 0;
}

const orDash = (v: number | string | null | undefined, unit = ''): string => (v === null || v === undefined || v === '' ? '-' : `${v}${unit}`);

export async function peersCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const a = parseArgs(argv, { format: { type: 'string' } }, 'tsnet peers');
  needPositionals(a, 1, 1, 'tsnet peers NETWORK [--format json]');
  const v = await api.get<PeersView>(`/v1/networks/${enc(a.positionals[0]!)}/peers`);
  if (formatFlag(a) === 'json') {
    out(json(v));
    return 0;
  }
  if (v.peers.length === 0) {
    out(v.message ?? 'no peers');
    return 0;
  }
  out(table(
    ['VTEP', 'HOST', 'STATE', 'LAST SEEN', 'RTT', 'PATH MTU', 'ENDPOINTS', 'MACS', 'TX', 'RX', 'DROPS'],
    v.peers.map((p) => [p.vtep, orDash(p.host), p.state, orDash(p.lastSeen), p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)}ms`, String(p.mtu),
      String(p.endpoints), String(p.macs), orDash(p.txFrames), orDash(p.rxFrames), orDash(p.drops)]),
  ));
  if (v.totals) {
    const drops = Object.entries(v.totals.drops).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
    out(`${v.tunnelPort} (VNI ${v.vni}): tx ${v.totals.txFrames} frames, rx ${v.totals.rxFrames} frames, drops: ${drops}`);
  }
  const u = v.underlay;
  if (u) {
    out(`underlay socket (all overlays of this host): rx ${u.packets} datagrams in ${u.batches} batches (${u.groPackets} GRO trains), ` +
      `tx ${u.sent} (${u.gsoSends} GSO sends); busy-poll ${u.busyPollWindows} windows (${u.busyPollContended} cut), ` +
      `look-ahead ${u.busyPollAheadWindows} windows met ${u.busyPollAheadHits} bursts, missed ${u.busyPollAheadMissHoldoff} in hold-off, ` +
      `${u.busyPollAheadMissUnpredicted} unpredicted, ${u.busyPollAheadMissEarly} early, ${u.busyPollAheadMissLate} late`);
  }
  return 0;
}

/** Ctrl-C (and SIGTERM) end a live view cleanly: the stream is aborted and the command exits 0. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose() {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}

function streamQuery(a: ReturnType<typeof parseArgs>, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  const filter = a.positionals.slice(1).join(' ').trim();
  if (filter) q.set('filter', filter);
  const port = str(a, 'port');
  if (port) q.set('port', port);
  const count = countFlag(a);
  if (count) q.set('count', count);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Notices (trace started, records skipped, network removed) go to `err` unless --json; records to `out`. */
export async function traceCommand(api: ApiClient, argv: string[], out: Out, err: Out = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const a = parseArgs(argv, { port: { type: 'string' }, count: { short: 'c', type: 'string' }, json: { type: 'boolean' } }, 'tsnet trace');
  needPositionals(a, 1, Infinity, 'tsnet trace NETWORK [--port P] [-c N] [--json] [FILTER...]');
  const path = `/v1/networks/${enc(a.positionals[0]!)}/trace${streamQuery(a)}`;
  const asJson = bool(a, 'json');
  const intr = interruptSignal();
  try {
    await streamNdjson<TraceLine>({ socketPath: api.socketPath, path, signal: intr.signal }, (line) => {
      if (asJson) out(JSON.stringify(line));
      else if ('notice' in line) err(formatTraceLine(line));
      else out(formatTraceLine(line));
    });
  } finally {
    intr.dispose();
  }
  return 0;
}

/** Counts whole pcap records in a byte stream (for the closing "N frames captured" line). */
export class PcapRecordCounter {
  records = 0;
  private skip = PCAP_GLOBAL_HEADER_LEN;
  private header = Buffer.alloc(PCAP_RECORD_HEADER_LEN);
  private have = 0;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(PCAP_RECORD_HEADER_LEN - this.have, chunk.length - i);
      chunk.copy(this.header, this.have, i, i + n);
      this.have += n;
      i += n;
      if (this.have === PCAP_RECORD_HEADER_LEN) {
        this.records++;
        this.skip = this.header.readUInt32LE(8);
        this.have = 0;
      }
    }
  }
}

export async function captureCommand(api: ApiClient, argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    write: { short: 'w', type: 'string' }, port: { type: 'string' }, count: { short: 'c', type: 'string' }, underlay: { type: 'boolean' },
  }, 'tsnet capture');
  needPositionals(a, 1, Infinity, 'tsnet capture NETWORK [-w FILE.pcap] [--port P] [-c N] [--underlay] [FILTER...]');
  const file = str(a, 'write');
  const toStdout = file === undefined || file === '-';
  if (toStdout && process.stdout.isTTY) {
    throw badRequest('ETTY_OUTPUT', 'capture writes pcap bytes: give -w FILE.pcap, or pipe it, as in `tsnet capture NETWORK | tshark -r -`.');
  }
  const path = `/v1/networks/${enc(a.positionals[0]!)}/capture${streamQuery(a, { underlay: bool(a, 'underlay') ? '1' : undefined })}`;
  const intr = interruptSignal();
  const counter = new PcapRecordCounter();
  // the reader went away (tshark or head exited) or the file cannot be written: stop quietly
  const done = new AbortController();
  const sink: WriteStream | NodeJS.WriteStream = toStdout ? process.stdout : createWriteStream(file);
  sink.on('error', () => done.abort());
  const signal = AbortSignal.any([intr.signal, done.signal]);
  try {
    await streamGet({ socketPath: api.socketPath, path, signal }, (chunk) => {
      counter.push(chunk);
      sink.write(chunk);
    });
  } finally {
    intr.dispose();
  }
  if (!toStdout) {
    await new Promise<void>((resolve) => (sink as WriteStream).end(() => resolve()));
    process.stderr.write(`${counter.records} frames captured to ${file}\n`);
  } else {
    await new Promise<void>((resolve) => (process.stdout.writableLength === 0 ? resolve() : process.stdout.once('drain', () => resolve())));
  }
  return 0;
}

function ifaceArgs(argv: string[], verb: 'attach' | 'detach') {
  const a = parseArgs(argv, { iface: { type: 'string' } }, `tsnet network ${verb}`);
  needPositionals(a, 1, 1, `tsnet network ${verb} NETWORK --iface DEV`);
  const iface = str(a, 'iface');
  if (!iface) throw badRequest('EBAD_ARGS', `usage: tsnet network ${verb} NETWORK --iface DEV`);
  return { network: a.positionals[0]!, iface };
}

export async function attachCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const { network, iface } = ifaceArgs(argv, 'attach');
  const r = await api.post<{ Network: string; Interface: string; Port: string }>(`/v1/networks/${enc(network)}/attach`, { iface });
  out(`${r.Interface} attached to ${r.Network} (port ${r.Port})`);
  return 0;
}

export async function detachCommand(api: ApiClient, argv: string[], out: Out): Promise<number> {
  const { network, iface } = ifaceArgs(argv, 'detach');
  await api.post(`/v1/networks/${enc(network)}/detach`, { iface });
  out(`${iface} detached from ${network}`);
  return 0;
}
