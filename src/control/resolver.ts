// The embedded name server (Docker's 127.0.0.11, here one listener per network gateway address): it
// answers A and PTR queries for the names the control plane owns, as seen by the asking client, and
// forwards every other name to the upstream name servers, relaying their answer. The control plane
// decides everything about names through `lookup(clientIp, qname, qtype)`:
//   null                         not ours: forward upstream (SERVFAIL when no upstream answers);
//   {type:'A', addresses}        A records (IPv4), AAAA records (IPv6 ones, usually none: empty NOERROR);
//   {type:'PTR', names}          PTR records for an in-addr.arpa / ip6.arpa name;
//   {type:'NXDOMAIN'}            ours, but no such name (an empty addresses/names list means the same);
//   {type:'REFUSED'}             ours, but this client is not allowed to ask (unknown client).
// Undecodable packets are dropped and counted; a wrong opcode gets NOTIMP, a question count other than
// one FORMERR. UDP and TCP (RFC 1035 section 4.2) on each listener. Used by the daemon; lookup comes
// from src/control/names.ts.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import {
  DNS_CLASS_IN,
  DNS_RCODE_FORMERR,
  DNS_RCODE_NOERROR,
  DNS_RCODE_NOTIMP,
  DNS_RCODE_NXDOMAIN,
  DNS_RCODE_REFUSED,
  DNS_RCODE_SERVFAIL,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_OPT,
  DNS_TYPE_PTR,
  type DnsMessage,
  type DnsRecord,
  buildDns,
  decodeDns,
} from '../wire/dns.js';
import { isMalformed } from '../wire/malformed.js';
import { badRequest, conflict, internal, TsnetError } from '../errors.js';
import { tryParseAddress } from './ipam-pools.js';
import { DEFAULT_UPSTREAM_TIMEOUT_MS, DNS_UDP_PORT, type Upstream, forwardQuery, parseUpstream, systemUpstreams } from './resolver-upstream.js';

export { parseUpstream, systemUpstreams, parseResolvConf, type Upstream } from './resolver-upstream.js';

// --- from the spec ---
/** RFC 1035 section 4.2.1: UDP answers without EDNS are at most 512 bytes, else truncated (TC). */
const UDP_PLAIN_LIMIT = 512;
const TCP_LENGTH_PREFIX = 2;
const OPCODE_QUERY = 0;

// --- our choice ---
/** Names change when containers come and go: clients must not cache them for long. */
export const MAX_TTL_SECONDS = 5;
/** Our EDNS UDP payload size (RFC 6891 section 6.2.5; 1232 is the DNS flag day 2020 value). */
const EDNS_PAYLOAD = 1232;
/** Forwarded queries in flight at once; more get SERVFAIL at once instead of more sockets. */
const MAX_INFLIGHT_FORWARDS = 512;
/** How long the upstream list read from resolv.conf is reused before reading the file again. */
const UPSTREAM_REFRESH_MS = 10_000;
/** A TCP client that sends nothing for this long is disconnected. */
const TCP_IDLE_MS = 10_000;

export type DnsQtype = 'A' | 'AAAA' | 'PTR' | 'OTHER';
export type ResolverAnswer =
  | { type: 'A'; addresses: string[] }
  | { type: 'PTR'; names: string[] }
  | { type: 'NXDOMAIN' }
  | { type: 'REFUSED' }
  | null;
export type ResolverLookup = (clientIp: string, qname: string, qtype: DnsQtype) => ResolverAnswer | Promise<ResolverAnswer>;

export interface ResolverOptions {
  lookup: ResolverLookup;
  /** Upstream servers ("192.0.2.53", "192.0.2.53:5353", "[fd00::53]:53"); default: the daemon's resolv.conf. */
  upstreams?: ReadonlyArray<string | Upstream>;
  /** TTL of our answers in seconds, at most MAX_TTL_SECONDS (default). */
  ttl?: number;
  upstreamTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface ResolverStats {
  queries: number;
  tcpQueries: number;
  answered: number;
  forwarded: number;
  nxdomain: number;
  refused: number;
  servfail: number;
  malformed: number;
}

export interface Resolver {
  /** Starts answering on ip:port (UDP and TCP); a no-op if already listening on that ip and port. */
  addListener(ip: string, port?: number): Promise<void>;
  /** Stops answering on ip (both transports); a no-op if not listening there. */
  removeListener(ip: string): Promise<void>;
  listeners(): Array<{ ip: string; port: number }>;
  stats(): ResolverStats;
  /** Closes every listener. */
  stop(): Promise<void>;
}

interface Listener {
  ip: string;
  port: number;
  udp: UdpSocket;
  tcp: Server;
  conns: Set<TcpSocket>;
}

const qtypeName = (t: number): DnsQtype => (t === DNS_TYPE_A ? 'A' : t === DNS_TYPE_AAAA ? 'AAAA' : t === DNS_TYPE_PTR ? 'PTR' : 'OTHER');

/** "172.19.0.2" -> "2.0.19.172.in-addr.arpa" (IPv4 only). */
export function reverseName(ipv4: string): string {
  return ipv4.split('.').reverse().join('.') + '.in-addr.arpa';
}

/** "2.0.19.172.in-addr.arpa" -> "172.19.0.2"; undefined for any other name. */
export function addressOfReverseName(qname: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(qname);
  if (!m) return undefined;
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  return tryParseAddress(ip)?.family === 4 ? ip : undefined;
}

export function createResolver(opts: ResolverOptions): Resolver {
  const ttl = Math.min(opts.ttl ?? MAX_TTL_SECONDS, MAX_TTL_SECONDS);
  if (!Number.isInteger(ttl) || ttl < 0) throw badRequest('EDNS_TTL', `invalid DNS TTL ${opts.ttl}: use a whole number of seconds from 0 to ${MAX_TTL_SECONDS}.`);
  const fixedUpstreams = opts.upstreams?.map((u) => (typeof u === 'string' ? parseUpstream(u) : u));
  const timeoutMs = opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const log = opts.log ?? (() => undefined);
  const listeners = new Map<string, Listener>();
  const counters: ResolverStats = { queries: 0, tcpQueries: 0, answered: 0, forwarded: 0, nxdomain: 0, refused: 0, servfail: 0, malformed: 0 };
  let inflight = 0;
  let systemCache: { at: number; list: Promise<Upstream[]> } | undefined;

  function upstreams(): Promise<Upstream[]> {
    if (fixedUpstreams) return Promise.resolve(fixedUpstreams);
    const now = Date.now();
    if (!systemCache || now - systemCache.at > UPSTREAM_REFRESH_MS) {
      systemCache = { at: now, list: systemUpstreams([...listeners.keys()]) };
    }
    return systemCache.list;
  }

  /** A response to `q` with the given rcode and answers (question echoed). */
  function reply(q: DnsMessage, rcode: number, answers: DnsRecord[], limit: number, authoritative: boolean): Buffer {
    const edns = q.additionals.some((r) => r.type === DNS_TYPE_OPT);
    const base = {
      id: q.id,
      qr: true,
      opcode: q.opcode,
      aa: authoritative,
      rd: q.rd,
      ra: true,
      cd: q.cd,
      rcode,
      questions: q.questions,
      additionals: edns ? [{ name: '', type: DNS_TYPE_OPT, class: EDNS_PAYLOAD, ttl: 0, data: new Uint8Array(0) }] : [],
    };
    const full = buildDns({ ...base, answers });
    if (full.length <= limit) return full;
    return buildDns({ ...base, tc: true, answers: [] });
  }

  /** handleQuery that never rejects: a failure to build an answer is logged, counted and dropped. */
  function handle(raw: Buffer, client: string, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
    return handleQuery(raw, client, transport).catch((err: unknown) => {
      counters.servfail++;
      log(`dns: query from ${client} dropped: ${(err as Error).message}`);
      return null;
    });
  }

  /** The response to one query, or null to drop it. `transport` decides truncation and forwarding. */
  async function handleQuery(raw: Buffer, client: string, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
    counters.queries++;
    if (transport === 'tcp') counters.tcpQueries++;
    const q = decodeDns(raw, 0, raw.length);
    if (isMalformed(q) || q.qr) {
      counters.malformed++;
      return null;
    }
    const opt = q.additionals.find((r) => r.type === DNS_TYPE_OPT);
    const limit = transport === 'tcp' ? 0xffff : Math.max(UDP_PLAIN_LIMIT, Math.min(opt?.class ?? 0, EDNS_PAYLOAD));
    if (q.opcode !== OPCODE_QUERY) return reply(q, DNS_RCODE_NOTIMP, [], limit, false);
    if (q.questions.length !== 1) {
      counters.malformed++;
      return reply({ ...q, questions: [] }, DNS_RCODE_FORMERR, [], limit, false);
    }
    const question = q.questions[0]!;
    let answer: ResolverAnswer = null;
    if (question.class === DNS_CLASS_IN) {
      try {
        answer = await opts.lookup(client, question.name.toLowerCase(), qtypeName(question.type));
      } catch (err) {
        counters.servfail++;
        log(`dns: lookup of ${question.name} for ${client} failed: ${(err as Error).message}`);
        return reply(q, DNS_RCODE_SERVFAIL, [], limit, false);
      }
    }
    if (answer === null) return forward(raw, q, transport, limit);
    if (answer.type === 'REFUSED') {
      counters.refused++;
      return reply(q, DNS_RCODE_REFUSED, [], limit, false);
    }
    const values = answer.type === 'A' ? answer.addresses : answer.type === 'PTR' ? answer.names : [];
    if (values.length === 0) {
      counters.nxdomain++;
      return reply(q, DNS_RCODE_NXDOMAIN, [], limit, true);
    }
    counters.answered++;
    const records: DnsRecord[] = [];
    const rr = (type: number, data: string): DnsRecord => ({ name: question.name, type, class: DNS_CLASS_IN, ttl, data });
    if (answer.type === 'A' && question.type === DNS_TYPE_A) {
      for (const a of answer.addresses) if (tryParseAddress(a)?.family === 4) records.push(rr(DNS_TYPE_A, a));
    } else if (answer.type === 'A' && question.type === DNS_TYPE_AAAA) {
      for (const a of answer.addresses) if (tryParseAddress(a)?.family === 6) records.push(rr(DNS_TYPE_AAAA, a));
    } else if (answer.type === 'PTR' && question.type === DNS_TYPE_PTR) {
      for (const n of answer.names) records.push(rr(DNS_TYPE_PTR, n.replace(/\.$/, '')));
    }
    // an owned name asked for another type: NOERROR with no answer (NODATA, RFC 2308 section 2.2)
    return reply(q, DNS_RCODE_NOERROR, records, limit, true);
  }

  async function forward(raw: Buffer, q: DnsMessage, transport: 'udp' | 'tcp', limit: number): Promise<Buffer> {
    if (inflight >= MAX_INFLIGHT_FORWARDS) {
      counters.servfail++;
      return reply(q, DNS_RCODE_SERVFAIL, [], limit, false);
    }
    inflight++;
    try {
      const r = await forwardQuery(raw, await upstreams(), transport, timeoutMs);
      if (r.ok) {
        counters.forwarded++;
        return r.answer;
      }
      counters.servfail++;
      log(`dns: ${q.questions[0]?.name ?? '?'} could not be forwarded: ${r.reason}`);
      return reply(q, DNS_RCODE_SERVFAIL, [], limit, false);
    } finally {
      inflight--;
    }
  }

  function onTcpConnection(l: Listener, sock: TcpSocket): void {
    l.conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => l.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= TCP_LENGTH_PREFIX && buf.length >= TCP_LENGTH_PREFIX + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = Buffer.from(buf.subarray(TCP_LENGTH_PREFIX, TCP_LENGTH_PREFIX + len));
        buf = buf.subarray(TCP_LENGTH_PREFIX + len);
        void handle(msg, sock.remoteAddress ?? '', 'tcp').then((res) => {
          if (!res || sock.destroyed) return;
          const framed = Buffer.alloc(TCP_LENGTH_PREFIX + res.length);
          framed.writeUInt16BE(res.length, 0);
          res.copy(framed, TCP_LENGTH_PREFIX);
          sock.write(framed);
        });
      }
    });
  }

  function listenError(ip: string, port: number, err: unknown): TsnetError {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return conflict('EDNS_LISTEN', `cannot serve DNS on ${ip}:${port}: the address is already in use by another program.`);
    if (code === 'EADDRNOTAVAIL') return badRequest('EDNS_LISTEN', `cannot serve DNS on ${ip}:${port}: ${ip} is not an address of this host.`);
    if (code === 'EACCES') return new TsnetError('EDNS_LISTEN', 'forbidden', `cannot serve DNS on ${ip}:${port}: binding a port below 1024 needs root.`);
    return internal('EDNS_LISTEN', `cannot serve DNS on ${ip}:${port}: ${(err as Error).message}.`, err);
  }

  async function addListener(ip: string, port = DNS_UDP_PORT): Promise<void> {
    const addr = tryParseAddress(ip);
    if (!addr) throw badRequest('EDNS_LISTEN', `invalid DNS listen address ${ip}: expected an IP address.`);
    const existing = listeners.get(ip);
    if (existing) {
      if (existing.port === port) return;
      throw conflict('EDNS_LISTEN', `the name server already listens on ${ip}:${existing.port}; remove that listener first.`);
    }
    const udp = createSocket({ type: addr.family === 4 ? 'udp4' : 'udp6' });
    udp.on('message', (msg, rinfo) => {
      void handle(msg, rinfo.address, 'udp').then((res) => {
        if (!res) return;
        try {
          udp.send(res, rinfo.port, rinfo.address, () => undefined);
        } catch {
          // the listener was removed (network rm) while the query was in flight: nobody to answer
        }
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: ip, port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw listenError(ip, port, err);
    }
    udp.on('error', (err) => log(`dns: UDP socket on ${ip}:${port}: ${err.message}`));
    const l: Listener = { ip, port, udp, tcp: createServer(), conns: new Set() };
    l.tcp.on('connection', (s) => onTcpConnection(l, s));
    try {
      await new Promise<void>((resolve, reject) => {
        l.tcp.once('error', reject);
        l.tcp.listen({ host: ip, port, exclusive: true }, () => {
          l.tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw listenError(ip, port, err);
    }
    l.tcp.on('error', (err) => log(`dns: TCP server on ${ip}:${port}: ${err.message}`));
    listeners.set(ip, l);
    systemCache = undefined; // our own addresses are never upstreams
  }

  async function removeListener(ip: string): Promise<void> {
    const l = listeners.get(ip);
    if (!l) return;
    listeners.delete(ip);
    for (const c of l.conns) c.destroy();
    await Promise.all([new Promise<void>((r) => l.udp.close(() => r())), new Promise<void>((r) => l.tcp.close(() => r()))]);
  }

  return {
    addListener,
    removeListener,
    listeners: () => [...listeners.values()].map((l) => ({ ip: l.ip, port: l.port })),
    stats: () => ({ ...counters }),
    stop: async () => {
      await Promise.all([...listeners.keys()].map(removeListener));
    },
  };
}
