// Upstream name servers for the embedded resolver (resolver.ts): which ones (from /etc/resolv.conf of
// the daemon's namespace, skipping loopback addresses and our own listeners, which would loop), and
// forwarding one query to them over UDP or TCP with a timeout, trying each in turn. The query leaves
// with a fresh random ID and a fresh socket per query (RFC 5452 section 9.2); the answer comes back
// with the client's ID restored.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { badRequest } from '../errors.js';
import { tryParseAddress } from './ipam-pools.js';

// --- from the spec (RFC 1035 section 4.2.1 / 4.2.2) ---
export const DNS_UDP_PORT = 53;
const DNS_HEADER_LEN = 12;
const TCP_LENGTH_PREFIX = 2;

// --- our choice ---
/** How long one upstream gets before the next is tried; after the last one the client gets SERVFAIL. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;
const RESOLV_CONF = '/etc/resolv.conf';
/** systemd-resolved's list of real servers, used when /etc/resolv.conf names only its 127.0.0.53 stub (as Docker does). */
const SYSTEMD_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';
const MAX_UDP_ANSWER = 65535;

export interface Upstream {
  host: string;
  port: number;
}

/** "1.2.3.4", "1.2.3.4:5353", "fd00::1", "[fd00::1]:5353" -> Upstream. */
export function parseUpstream(text: string): Upstream {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4port = /^([0-9.]+):(\d+)$/.exec(text);
  const host = bracket ? bracket[1]! : v4port ? v4port[1]! : text;
  const port = Number(bracket?.[2] ?? v4port?.[2] ?? DNS_UDP_PORT);
  if (!tryParseAddress(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw badRequest('EDNS_UPSTREAM', `invalid upstream name server ${text}: expected an IP address with an optional port, like 192.0.2.53 or 192.0.2.53:5353.`);
  }
  return { host, port };
}

function isLoopback(host: string): boolean {
  const a = tryParseAddress(host);
  if (!a) return false;
  return a.family === 4 ? a.value >> 24n === 127n : a.value === 1n;
}

/** Nameserver addresses of a resolv.conf text, in order. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && tryParseAddress(m[1]!.replace(/%.*$/, ''))) out.push(m[1]!);
  }
  return out;
}

/**
 * The upstreams the daemon's own namespace uses: nameservers of /etc/resolv.conf (or systemd-resolved's
 * real list when that file names only the stub), minus loopback addresses and `exclude` (our listeners).
 */
export async function systemUpstreams(exclude: readonly string[] = [], file = RESOLV_CONF): Promise<Upstream[]> {
  const read = (f: string) => readFile(f, 'utf8').then(parseResolvConf, () => [] as string[]);
  let servers = await read(file);
  if (servers.length > 0 && servers.every(isLoopback) && file === RESOLV_CONF) servers = await read(SYSTEMD_RESOLV_CONF);
  return servers.filter((s) => !isLoopback(s) && !exclude.includes(s)).map((host) => ({ host, port: DNS_UDP_PORT }));
}

export type ForwardResult = { ok: true; answer: Buffer } | { ok: false; reason: string };

/** Sends `query` to one upstream over UDP; resolves with the answer (client ID restored) or a reason. */
function forwardUdpOnce(query: Buffer, up: Upstream, timeoutMs: number): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const clientId = query.readUInt16BE(0);
    const ourId = randomInt(0, 0x10000);
    const out = Buffer.from(query);
    out.writeUInt16BE(ourId, 0);
    const sock = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: ForwardResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `${up.host}:${up.port} did not answer in ${timeoutMs} ms` }), timeoutMs);
    sock.on('error', (err) => finish({ ok: false, reason: `${up.host}:${up.port}: ${err.message}` }));
    sock.on('message', (msg) => {
      // answers that are not for our query (wrong ID, not a response) are ignored, not trusted
      if (msg.length < DNS_HEADER_LEN || msg.readUInt16BE(0) !== ourId || (msg[2]! & 0x80) === 0) return;
      const answer = Buffer.from(msg);
      answer.writeUInt16BE(clientId, 0);
      finish({ ok: true, answer });
    });
    // a connected socket hears ICMP port-unreachable as ECONNREFUSED: a dead upstream fails fast
    // (Node calls the connect callback with the error when the connect itself fails, e.g. no route)
    sock.connect(up.port, up.host, (connectErr?: Error) => {
      if (connectErr) return finish({ ok: false, reason: `${up.host}:${up.port}: ${connectErr.message}` });
      sock.send(out, (err) => err && finish({ ok: false, reason: `${up.host}:${up.port}: ${err.message}` }));
    });
  });
}

/** Sends `query` to one upstream over TCP (RFC 1035 section 4.2.2 length prefix). */
function forwardTcpOnce(query: Buffer, up: Upstream, timeoutMs: number): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const clientId = query.readUInt16BE(0);
    const ourId = randomInt(0, 0x10000);
    const framed = Buffer.alloc(TCP_LENGTH_PREFIX + query.length);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, TCP_LENGTH_PREFIX);
    framed.writeUInt16BE(ourId, TCP_LENGTH_PREFIX);
    let got = Buffer.alloc(0);
    let done = false;
    const sock = tcpConnect({ host: up.host, port: up.port });
    const finish = (r: ForwardResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `${up.host}:${up.port} did not answer over TCP in ${timeoutMs} ms` }), timeoutMs);
    sock.on('connect', () => sock.write(framed));
    sock.on('error', (err) => finish({ ok: false, reason: `${up.host}:${up.port}: ${err.message}` }));
    sock.on('end', () => finish({ ok: false, reason: `${up.host}:${up.port} closed the TCP connection without an answer` }));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < TCP_LENGTH_PREFIX) return;
      const len = got.readUInt16BE(0);
      if (got.length < TCP_LENGTH_PREFIX + len) return;
      const answer = Buffer.from(got.subarray(TCP_LENGTH_PREFIX, TCP_LENGTH_PREFIX + len));
      if (answer.length < DNS_HEADER_LEN || answer.readUInt16BE(0) !== ourId) return finish({ ok: false, reason: `${up.host}:${up.port} sent an answer for another query` });
      answer.writeUInt16BE(clientId, 0);
      finish({ ok: true, answer });
    });
  });
}

/** Tries each upstream in turn until one answers; the reasons of all failures otherwise. */
export async function forwardQuery(query: Buffer, upstreams: readonly Upstream[], transport: 'udp' | 'tcp', timeoutMs: number): Promise<ForwardResult> {
  if (query.length > MAX_UDP_ANSWER) return { ok: false, reason: 'query too large' };
  const reasons: string[] = [];
  for (const up of upstreams) {
    const r = transport === 'udp' ? await forwardUdpOnce(query, up, timeoutMs) : await forwardTcpOnce(query, up, timeoutMs);
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  return { ok: false, reason: reasons.length ? reasons.join('; ') : 'no upstream name server is configured' };
}
