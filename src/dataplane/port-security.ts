// Port security for endpoint ports: a FrameSink between a container's port (TAP) and the switch (or
// the overlay ARP-proxy ingress in front of it) that lets a container send only as itself. Frames
// whose Ethernet source is not the endpoint's MAC, ARP whose sender is not the endpoint's MAC/IPv4
// address, IPv4 whose source is not the endpoint's address (0.0.0.0 is allowed: DHCP, ARP probes),
// and VLAN-tagged frames (endpoints are untagged access ports) are dropped; broadcast and multicast
// frames are rate-limited per port by a token bucket, so one container cannot storm its network.
// Every drop is counted by reason in the guard, in the switch's counters for that port (what
// `network inspect` shows per port) and in the switch's total drops.
// Used by the control plane (src/control/datapath.ts attachEndpoint) for every container endpoint.
// Hot path: synchronous, allocates nothing, never throws.
import { macValue } from './mac.js';
import { TokenBucket } from './overlay-token-bucket.js';
import { countDrop, type FrameSink, type Port, type PortCounters } from './port.js';

// ---- from the spec ----
/** IEEE 802.3: destination (6) + source (6) + EtherType (2). */
const ETH_HEADER_LEN = 14;
const ETH_SRC_OFF = 6;
const ETH_TYPE_OFF = 12;
/** EtherTypes (IEEE 802 numbers). */
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100; // IEEE 802.1Q
const ETHERTYPE_QINQ = 0x88a8; // IEEE 802.1ad
/** RFC 791 section 3.1: source address at byte 12 of the IPv4 header, 20-byte minimum header. */
const IPV4_MIN_HEADER = 20;
const IPV4_SRC_OFF = 12;
/** RFC 826 for Ethernet/IPv4: sender hardware address at 8, sender protocol address at 14, 28 bytes. */
const ARP_LEN = 28;
const ARP_SHA_OFF = 8;
const ARP_SPA_OFF = 14;
/** The group bit of the first destination byte (IEEE 802.3 section 3.2.3). */
const MAC_GROUP_BIT = 0x01;

// ---- our choice ----
/** Broadcast/multicast frames per second per endpoint port, and the burst after a quiet time: ARP,
 *  DHCP and mDNS need a few per second; a storm needs thousands. */
export const DEFAULT_BROADCAST_RATE_PER_SEC = 1000;
export const DEFAULT_BROADCAST_BURST = 200;

export type PortSecurityDropReason = 'spoofed-mac' | 'spoofed-ip' | 'spoofed-arp' | 'vlan-tagged' | 'broadcast-rate-limit';

export interface PortSecurityOptions {
  /** The endpoint's MAC: the only Ethernet source it may use. */
  mac: string | number;
  /** The endpoint's IPv4 address (no prefix); null/undefined: only the MAC is checked. */
  ipv4?: string | null;
  /** Check sources (default true); false keeps only the broadcast rate limit. */
  checkSources?: boolean;
  /** Broadcast + multicast frames per second (default 1000); 0 turns the limit off. */
  broadcastRatePerSec?: number;
  broadcastBurst?: number;
  /** Milliseconds, monotonic (default performance.now), for the token bucket. */
  clock?: () => number;
}

/** The switch the guard reports its drops to (a Switch from switch.ts fits). */
export interface GuardedSwitch extends FrameSink {
  portCounters(port: Port): PortCounters;
  readonly counters: { dropped: Record<string, number> };
}

export interface PortSecurityCounters {
  passed: number;
  drops: Record<string, number>;
}

function ipv4Number(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.split('/')[0]!.trim());
  if (m === null || m.slice(1).some((x) => Number(x) > 255)) throw new RangeError(`port security needs an IPv4 address, got "${text}"`);
  return ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0;
}

export class PortSecurity implements FrameSink {
  readonly counters: PortSecurityCounters = { passed: 0, drops: {} };
  /** Where allowed frames go: the switch, or the overlay ingress in front of it. */
  next: FrameSink;
  private readonly macHi: number;
  private readonly macLo: number;
  private readonly ip: number;
  private readonly checkSources: boolean;
  private readonly bucket: TokenBucket | null;
  private port: Port | null = null;

  constructor(private readonly sw: GuardedSwitch, opts: PortSecurityOptions) {
    const mac = macValue(opts.mac);
    this.macHi = Math.floor(mac / 0x1000000);
    this.macLo = mac % 0x1000000;
    this.ip = opts.ipv4 ? ipv4Number(opts.ipv4) : -1;
    this.checkSources = opts.checkSources ?? true;
    const rate = opts.broadcastRatePerSec ?? DEFAULT_BROADCAST_RATE_PER_SEC;
    this.bucket = rate > 0 ? new TokenBucket({ ratePerSec: rate, burst: opts.broadcastBurst ?? Math.max(1, Math.min(DEFAULT_BROADCAST_BURST, rate)), clock: opts.clock }) : null;
    this.next = sw;
  }

  /** Puts the guard between `port` and `next` (call after sw.addPort(port)). */
  attach(port: Port): void {
    this.port = port;
    port.setSink(this);
  }

  /** Gives the port straight back to `next`. */
  detach(): void {
    this.port?.setSink(this.next);
    this.port = null;
  }

  input(port: Port, buf: Buffer, off: number, len: number, remote: number, vnet = -1): void {
    if (len >= ETH_HEADER_LEN) {
      const r = this.check(buf, off, len);
      if (r !== null) {
        this.drop(port, len, r);
        return;
      }
    }
    this.counters.passed++;
    this.next.input(port, buf, off, len, remote, vnet);
  }

  flush(): void {
    this.next.flush?.();
  }

  private check(buf: Buffer, off: number, len: number): PortSecurityDropReason | null {
    if (this.checkSources) {
      const s = off + ETH_SRC_OFF;
      if (((buf[s] << 16) | (buf[s + 1] << 8) | buf[s + 2]) !== this.macHi || ((buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5]) !== this.macLo) {
        return 'spoofed-mac';
      }
      const type = (buf[off + ETH_TYPE_OFF] << 8) | buf[off + ETH_TYPE_OFF + 1];
      if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) return 'vlan-tagged';
      if (type === ETHERTYPE_IPV4 && this.ip >= 0) {
        // a truncated header is left to the receivers' stacks; nothing to spoof with it
        if (len >= ETH_HEADER_LEN + IPV4_MIN_HEADER) {
          const src = buf.readUInt32BE(off + ETH_HEADER_LEN + IPV4_SRC_OFF);
          if (src !== this.ip && src !== 0) return 'spoofed-ip';
        }
      } else if (type === ETHERTYPE_ARP) {
        if (len < ETH_HEADER_LEN + ARP_LEN) return 'spoofed-arp';
        const a = off + ETH_HEADER_LEN;
        const sha = a + ARP_SHA_OFF;
        if (((buf[sha] << 16) | (buf[sha + 1] << 8) | buf[sha + 2]) !== this.macHi || ((buf[sha + 3] << 16) | (buf[sha + 4] << 8) | buf[sha + 5]) !== this.macLo) {
          return 'spoofed-arp';
        }
        if (this.ip >= 0) {
          const spa = buf.readUInt32BE(a + ARP_SPA_OFF);
          if (spa !== this.ip && spa !== 0) return 'spoofed-arp';
        }
      }
    }
    if ((buf[off] & MAC_GROUP_BIT) !== 0 && this.bucket !== null && !this.bucket.tryTake()) return 'broadcast-rate-limit';
    return null;
  }

  private drop(port: Port, len: number, reason: PortSecurityDropReason): void {
    const own = this.counters.drops;
    own[reason] = (own[reason] ?? 0) + 1;
    let pc: PortCounters | null = null;
    try {
      pc = this.sw.portCounters(port);
    } catch {
      pc = null; // the port was detached meanwhile: the guard's own counters still have it
    }
    if (pc !== null) {
      pc.rxFrames++;
      pc.rxBytes += len;
      countDrop(pc, reason);
    }
    const d = this.sw.counters.dropped;
    d[reason] = (d[reason] ?? 0) + 1;
  }
}

/** A guard for one endpoint port; attach it after sw.addPort(port). */
export function createPortSecurity(sw: GuardedSwitch, opts: PortSecurityOptions): PortSecurity {
  return new PortSecurity(sw, opts);
}
