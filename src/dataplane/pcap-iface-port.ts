// A switch Port over an existing network interface (a veth, a physical NIC) through libpcap, with the
// optional `cap` npm package: `tsnet network attach NETWORK --iface DEV` bridges DEV into the
// network's switch so namespaces and machines that tsnet did not make join the L2 segment.
//
// Receive: cap opens DEV promiscuous in immediate mode and copies each frame into one receive buffer
// that starts at HEADROOM of a larger buffer (so a VXLAN port downstream can encapsulate in place,
// convention 2); each frame goes to the sink and ends its burst (cap delivers one frame per event).
// The capture filter drops frames whose source is DEV's own MAC: those were sent by this host's
// stack out of DEV, not received on the segment (Linux also shows a packet socket outgoing frames;
// libpcap's `inbound` keyword would drop PACKET_OTHERHOST frames on a veth, measured here).
// Frames we send with cap.send are not looped back to our own socket by the kernel.
// Send: pcap_sendpacket of the frame (a Buffer view per frame: this is the slow, debugging-grade
// path; TAP and VXLAN ports allocate nothing).
//
// `cap` is loaded lazily: without it, opening fails with a TsnetError saying how to install it.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { badRequest, notFound, unavailable, TsnetError } from '../errors.js';
import { countDrop, HEADROOM, newCounters, REMOTE_NONE, type FrameSink, type Port, type PortCounters } from './port.js';

// ---- from the spec ----
/** Linux interface names are at most IFNAMSIZ - 1 = 15 bytes. */
const IFNAMSIZ_MAX = 15;
/** IEEE 802.3: a frame shorter than its 14-byte header is not a frame. */
const ETH_HEADER_LEN = 14;

// ---- our choice ----
/** libpcap's kernel ring buffer (bytes): room for a few thousand full frames of a burst. */
export const PCAP_IFACE_BUFFER_BYTES = 4 << 20;
/** Largest frame we receive: cap's snaplen is 65535. */
export const PCAP_IFACE_MAX_FRAME = 65_535;

/** The part of cap's Cap object we use (its API: open/send/close and a 'packet' event). */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  send(buffer: Buffer, nBytes?: number): void;
  close(): void;
  on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(ev?: string): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

let capModule: CapModule | null = null;

/** Loads the optional `cap` package, or throws ECAP_MISSING. */
export function loadCap(): CapModule {
  if (capModule) return capModule;
  try {
    const require = createRequire(import.meta.url);
    capModule = require('cap') as CapModule;
    return capModule;
  } catch (err) {
    throw new TsnetError('ECAP_MISSING', 'unavailable',
      'attaching an interface needs the optional `cap` package (libpcap bindings); install libpcap-dev and run `npm install cap` where tsnet is installed, then restart the daemon.',
      { cause: err });
  }
}

export interface PcapIfacePort extends Port {
  readonly device: string;
  readonly closed: boolean;
}

export interface PcapIfacePortOptions {
  /** port name (default "iface:DEV") */
  name?: string;
  /** called once if sending fails (the interface went away) */
  onError?: (err: TsnetError) => void;
  /** DEV's MAC address (frames with it as source were sent by this host, not received); default:
   *  read from /sys/class/net, which only shows the daemon's namespace when /sys was mounted there
   *  (`ip netns exec` does, `nsenter --net` does not): the control plane passes it from netlink. */
  mac?: string;
}

function readMac(sysfs: string, dev: string): string {
  try {
    return readFileSync(`${sysfs}/${dev}/address`, 'utf8').trim();
  } catch {
    throw notFound('EIFACE_NOT_FOUND', `interface ${dev} does not exist in the daemon's network namespace; check the name with \`ip link\`.`);
  }
}

class PcapIfacePortImpl implements PcapIfacePort {
  readonly kind = 'pcap-iface' as const;
  readonly counters: PortCounters = newCounters();
  readonly name: string;
  closed = false;
  private sink: FrameSink | null = null;
  private readonly rx = Buffer.alloc(HEADROOM + PCAP_IFACE_MAX_FRAME);
  private readonly cap: CapHandle;
  private errorReported = false;

  constructor(readonly device: string, private readonly opts: PcapIfacePortOptions) {
    this.name = opts.name ?? `iface:${device}`;
    const mac = opts.mac ?? readMac('/sys/class/net', device);
    const { Cap } = loadCap();
    this.cap = new Cap();
    const filter = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac) ? `not ether src ${mac}` : '';
    let linkType: string;
    try {
      linkType = this.cap.open(device, filter, PCAP_IFACE_BUFFER_BYTES, this.rx.subarray(HEADROOM));
    } catch (err) {
      throw unavailable('EIFACE_OPEN', `cannot capture on interface ${device}: ${(err as Error).message}; is it up and are you root?`);
    }
    if (linkType !== 'ETHERNET') {
      this.cap.close();
      throw badRequest('EIFACE_NOT_ETHERNET', `interface ${device} is not an Ethernet interface (libpcap link type ${linkType}); attach a veth, a bridge port or a NIC.`);
    }
    this.cap.on('packet', (nbytes: number, truncated: boolean) => this.onPacket(nbytes, truncated));
  }

  setSink(sink: FrameSink | null): void {
    this.sink = sink;
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    const c = this.counters;
    const sink = this.sink;
    if (this.closed) return;
    if (truncated) {
      countDrop(c, 'truncated');
      return;
    }
    if (sink === null) {
      countDrop(c, 'no-sink');
      return;
    }
    if (nbytes < ETH_HEADER_LEN) {
      countDrop(c, 'runt');
      return;
    }
    c.rxFrames++;
    c.rxBytes += nbytes;
    sink.input(this, this.rx, HEADROOM, nbytes, REMOTE_NONE);
    sink.flush?.();
  }

  output(buf: Buffer, off: number, len: number, _remote: number): void {
    const c = this.counters;
    if (this.closed) {
      countDrop(c, 'closed');
      return;
    }
    try {
      this.cap.send(off === 0 && len === buf.length ? buf : buf.subarray(off, off + len), len);
    } catch (err) {
      countDrop(c, 'tx-error');
      if (!this.errorReported) {
        this.errorReported = true;
        this.opts.onError?.(unavailable('EIFACE_SEND', `sending on interface ${this.device} failed: ${(err as Error).message}.`));
      }
      return;
    }
    c.txFrames++;
    c.txBytes += len;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    this.cap.removeAllListeners('packet');
    this.cap.close();
  }
}

/** Checks an interface name the way the kernel would (1..15 bytes, no '/', no spaces, not "." or ".."). */
export function checkIfaceName(dev: string): void {
  if (typeof dev !== 'string' || dev.length === 0 || Buffer.byteLength(dev) > IFNAMSIZ_MAX || /[/\s:]/.test(dev) || dev === '.' || dev === '..') {
    throw badRequest('EIFACE_NAME', `"${String(dev)}" is not a valid interface name (1 to ${IFNAMSIZ_MAX} characters, no '/', ':' or spaces).`);
  }
}

/** Opens DEV through libpcap as a switch port. Throws ECAP_MISSING, EIFACE_NOT_FOUND, EIFACE_OPEN. */
export function openPcapIfacePort(device: string, opts: PcapIfacePortOptions = {}): PcapIfacePort {
  checkIfaceName(device);
  return new PcapIfacePortImpl(device, opts);
}
