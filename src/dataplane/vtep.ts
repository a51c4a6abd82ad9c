// The VXLAN tunnel endpoint of one daemon (RFC 7348): one UDP socket listening on port 4789 (by
// default) for every network, demultiplexing received packets by VNI to that network's tunnel port
// (vxlan-port.ts), plus a small pool of send sockets whose kernel-chosen ephemeral ports (32768-60999
// on Linux, like kernel VXLAN's source ports) are picked per inner flow (vxlan-flow-hash.ts), so one
// flow keeps one outer 5-tuple and different flows spread over ECMP paths (RFC 7348 section 5).
// Used by the control plane (one per daemon) and by `tsnet switch`.
//
// Receive rules (RFC 7348 section 5): reserved bits are ignored; a packet shorter than the VXLAN
// header plus an inner Ethernet header, without the I flag, with a VNI no network uses, or from an
// address that is not a member VTEP of that network is dropped and counted by reason. Nothing else
// happens: no reply, no log line unless an observer is set.
//
// Sends are synchronous: the socket gets a lookup function that answers IP literals at once, so
// dgram hands the datagram to the kernel inside send() and the caller may reuse its buffer right
// after (Node tries sendto before queueing; only a full socket buffer defers, see sendBufferBytes).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { badRequest, conflict, forbidden, internal, TsnetError } from '../errors.js';
import { ETH_HEADER_LEN, VXLAN_FLAG_I, VXLAN_HEADER_LEN, VXLAN_PORT, vxlanVni } from '../wire/index.js';

// ---- from the spec (RFC 7348 section 5) ----
/** The shortest packet we accept: the VXLAN header and an inner Ethernet header. */
export const VXLAN_MIN_PACKET = VXLAN_HEADER_LEN + ETH_HEADER_LEN;
export { VXLAN_PORT };

// ---- our choice ----
/** Send sockets in the source-port pool: enough for flows to spread, few enough to be cheap. */
export const DEFAULT_SEND_SOCKETS = 8;
/** Socket buffer sizes asked for (the kernel caps them at net.core.[rw]mem_max). A large send buffer
 *  keeps sendto from returning EAGAIN, which would make dgram queue a buffer we are about to reuse. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;

export type VtepDropReason = 'truncated' | 'no-i-flag' | 'unknown-vni' | 'not-member' | 'tx-error' | 'not-started';

export interface VtepCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** drops by reason (VtepDropReason, plus 'flood-rate-limit' etc. reported by tunnel ports) */
  drops: Record<string, number>;
}

/** What a tunnel port (one network) offers the VTEP. */
export interface VtepTunnel {
  readonly vni: number;
  /** Index of the member VTEP with this address, or -1 if it is not a member. */
  remoteIndexOf(address: string): number;
  /** A decapsulated inner frame from member `remote`. */
  receive(buf: Buffer, off: number, len: number, remote: number): void;
  /** A packet for this network was dropped by the VTEP. */
  countDrop(reason: string): void;
}

export type VtepAction = 'encap' | 'decap' | 'drop';

/** One reused object per VTEP: copy what you keep. */
export interface VtepEvent {
  action: VtepAction;
  vni: number;
  /** the remote VTEP (destination of 'encap', source of 'decap' and 'drop') */
  address: string;
  port: number;
  /** bytes of the inner frame ('encap', 'decap') or of the UDP payload ('drop') */
  len: number;
  /** drop reason, or '' */
  reason: string;
  /** remote index at the tunnel port, -1 if none */
  remote: number;
}

export type VtepObserver = (ev: VtepEvent) => void;

export interface VtepOptions {
  /** Address to bind (default '0.0.0.0'; an IPv6 address makes an IPv6 VTEP). */
  address?: string;
  /** UDP port to listen on (default 4789; 0 lets the kernel choose, for tests). */
  port?: number;
  /** Send sockets in the source-port pool (default 8; 0 sends from the listening socket). */
  sendSockets?: number;
  recvBufferBytes?: number;
  sendBufferBytes?: number;
}

/** dgram resolves even IP literals through dns.lookup, which answers on the next tick and so makes
 *  every send asynchronous. We only send to IP literals: answer them synchronously. */
function literalLookup(
  hostname: string,
  options: unknown,
  callback?: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
  const family = isIP(hostname);
  if (family === 0) {
    const err = new Error(`VTEP addresses must be IP literals, got "${hostname}"`) as NodeJS.ErrnoException;
    err.code = 'EINVAL';
    cb(err, '', 0);
    return;
  }
  cb(null, hostname, family);
}

function bindError(err: NodeJS.ErrnoException, address: string, port: number): TsnetError {
  const where = `${address}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return conflict('EVTEP_PORT_IN_USE', `UDP ${where} is already in use (a kernel vxlan device or another tsnet?); stop it or choose another --listen port.`);
    case 'EADDRNOTAVAIL':
      return badRequest('EVTEP_BAD_ADDRESS', `${address} is not an address of this host; bind the VTEP to one of its addresses or 0.0.0.0.`);
    case 'EACCES':
    case 'EPERM':
      return forbidden('EVTEP_PERMISSION', `not allowed to bind UDP ${where}; run as root or pick a port above 1023.`);
    default:
      return internal('EVTEP_BIND', `binding the VTEP socket to ${where} failed: ${err.message}.`, err);
  }
}

export class Vtep {
  readonly counters: VtepCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: {} };
  private readonly bindAddress: string;
  private readonly bindPort: number;
  private readonly family: 'udp4' | 'udp6';
  private readonly poolSize: number;
  private readonly recvBufferBytes: number;
  private readonly sendBufferBytes: number;
  private socket: dgram.Socket | null = null;
  private pool: dgram.Socket[] = [];
  private readonly tunnels = new Map<number, VtepTunnel>();
  private observer: VtepObserver | null = null;
  private readonly ev: VtepEvent = { action: 'drop', vni: 0, address: '', port: 0, len: 0, reason: '', remote: -1 };
  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => this.receive(msg, rinfo.address, rinfo.port);
  private readonly onSent = (err: Error | null): void => {
    if (err !== null) this.drop('tx-error');
  };
  private readonly onSocketError = (): void => {
    this.drop('socket-error');
  };

  constructor(opts: VtepOptions = {}) {
    this.bindAddress = opts.address ?? '0.0.0.0';
    const fam = isIP(this.bindAddress);
    if (fam === 0) throw badRequest('EVTEP_BAD_ADDRESS', `"${this.bindAddress}" is not an IP address; give the VTEP an address like 10.200.0.1 or 0.0.0.0.`);
    this.family = fam === 6 ? 'udp6' : 'udp4';
    this.bindPort = opts.port ?? VXLAN_PORT;
    if (!Number.isInteger(this.bindPort) || this.bindPort < 0 || this.bindPort > 65535) {
      throw badRequest('EVTEP_BAD_PORT', `VTEP port must be an integer from 0 to 65535, got ${this.bindPort}.`);
    }
    this.poolSize = opts.sendSockets ?? DEFAULT_SEND_SOCKETS;
    this.recvBufferBytes = opts.recvBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    this.sendBufferBytes = opts.sendBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
  }

  /** Binds the listening socket and the send pool. Throws EVTEP_PORT_IN_USE, EVTEP_BAD_ADDRESS... */
  async start(): Promise<void> {
    if (this.socket !== null) return;
    const main = await this.open(this.bindPort);
    const pool: dgram.Socket[] = [];
    try {
      for (let i = 0; i < this.poolSize; i++) pool.push(await this.open(0));
    } catch (err) {
      for (const s of pool) s.close();
      main.close();
      throw err;
    }
    this.socket = main;
    this.pool = pool;
  }

  private open(port: number): Promise<dgram.Socket> {
    const s = dgram.createSocket({
      type: this.family, lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
      recvBufferSize: this.recvBufferBytes, sendBufferSize: this.sendBufferBytes,
    });
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        s.close();
        reject(bindError(err, this.bindAddress, port));
      };
      s.once('error', onError);
      s.bind({ address: this.bindAddress, port, exclusive: true }, () => {
        s.removeListener('error', onError);
        s.on('error', this.onSocketError);
        s.on('message', this.onMessage);
        resolve(s);
      });
    });
  }

  async stop(): Promise<void> {
    const all = this.socket === null ? [] : [this.socket, ...this.pool];
    this.socket = null;
    this.pool = [];
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  get started(): boolean {
    return this.socket !== null;
  }

  /** The bound address and port of the listening socket. */
  localAddress(): { address: string; port: number } {
    if (this.socket === null) throw internal('EVTEP_NOT_STARTED', 'the VTEP is not started; call start() first.');
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Source ports of the send pool (the listening port when there is no pool). */
  sourcePorts(): number[] {
    if (this.socket === null) return [];
    return (this.pool.length > 0 ? this.pool : [this.socket]).map((s) => s.address().port);
  }

  /** Number of send slots a flow hash is spread over. */
  get sendSlots(): number {
    return Math.max(1, this.pool.length);
  }

  /** Routes packets with this VNI to the tunnel. Throws EVNI_IN_USE if another tunnel has it. */
  attach(tunnel: VtepTunnel): void {
    const cur = this.tunnels.get(tunnel.vni);
    if (cur !== undefined && cur !== tunnel) {
      throw conflict('EVNI_IN_USE', `VNI ${tunnel.vni} is already used by another network on this host; choose another --vni.`);
    }
    this.tunnels.set(tunnel.vni, tunnel);
  }

  detach(tunnel: VtepTunnel): void {
    if (this.tunnels.get(tunnel.vni) === tunnel) this.tunnels.delete(tunnel.vni);
  }

  setObserver(fn: VtepObserver | null): void {
    this.observer = fn;
  }

  get observed(): boolean {
    return this.observer !== null;
  }

  // ---------------------------------------------------------------- hot path

  /** Sends buf[off, off+len) (a VXLAN header and inner frame) from send slot `slot`. Returns false
   *  (and counts the drop) if the VTEP is not started. */
  send(slot: number, buf: Buffer, off: number, len: number, port: number, address: string): boolean {
    const s = this.pool.length > 0 ? this.pool[slot] : this.socket;
    if (s === null || s === undefined) {
      this.drop('not-started');
      return false;
    }
    this.counters.txPackets++;
    this.counters.txBytes += len;
    s.send(buf, off, len, port, address, this.onSent);
    return true;
  }

  /** Handles one received UDP payload (exposed for tests and for a future recvmmsg reader). */
  receive(msg: Buffer, address: string, port: number): void {
    const len = msg.length;
    this.counters.rxPackets++;
    this.counters.rxBytes += len;
    if (len < VXLAN_MIN_PACKET) {
      this.rxDrop('truncated', null, 0, address, port, len);
      return;
    }
    if ((msg[0] & VXLAN_FLAG_I) === 0) {
      this.rxDrop('no-i-flag', null, 0, address, port, len);
      return;
    }
    const vni = vxlanVni(msg, 0);
    const t = this.tunnels.get(vni);
    if (t === undefined) {
      this.rxDrop('unknown-vni', null, vni, address, port, len);
      return;
    }
    const remote = t.remoteIndexOf(address);
    if (remote < 0) {
      this.rxDrop('not-member', t, vni, address, port, len);
      return;
    }
    if (this.observer !== null) this.trace('decap', vni, address, port, len - VXLAN_HEADER_LEN, '', remote);
    t.receive(msg, VXLAN_HEADER_LEN, len - VXLAN_HEADER_LEN, remote);
  }

  private rxDrop(reason: VtepDropReason, t: VtepTunnel | null, vni: number, address: string, port: number, len: number): void {
    this.drop(reason);
    if (t !== null) t.countDrop(reason);
    if (this.observer !== null) this.trace('drop', vni, address, port, len, reason, -1);
  }

  /** Counts a drop by reason (tunnel ports report theirs here too, so the VTEP has the totals). */
  drop(reason: string): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  /** Reports an event to the observer (callers check `observed` first to stay free when off). */
  trace(action: VtepAction, vni: number, address: string, port: number, len: number, reason: string, remote: number): void {
    const fn = this.observer;
    if (fn === null) return;
    const ev = this.ev;
    ev.action = action;
    ev.vni = vni;
    ev.address = address;
    ev.port = port;
    ev.len = len;
    ev.reason = reason;
    ev.remote = remote;
    try {
      fn(ev);
    } catch {
      this.observer = null; // a throwing observer must not break the data path
    }
  }
}

/** Builds a VTEP; call start() to bind it. */
export function createVtep(opts: VtepOptions = {}): Vtep {
  return new Vtep(opts);
}
