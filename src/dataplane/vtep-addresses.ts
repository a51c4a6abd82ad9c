// Address caches of the VTEP's hot path (vtep.ts). The receiver reports a datagram's source as
// numbers (native/udp_endpoint.c); tunnel ports key their peers by address string. SourceNames turns
// the numbers into the string dgram would have given (inet_ntop form, as libuv prints it) and keeps
// it, so a packet from a known sender allocates nothing. DestCache keeps the sockaddr bytes of each
// destination for sendto. Both are bounded: a flood of spoofed sources only costs a cache reset.

// ---- our choice ----
/** Entries kept before a cache starts over (far more VTEPs than one network has). */
export const ADDRESS_CACHE_MAX = 4096;

interface V6Name {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  name: string;
}

export class SourceNames {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<number, V6Name>();

  /** a: the IPv4 address as a 32-bit number (host order, any sign). */
  ipv4(a: number): string {
    const key = a >>> 0;
    let s = this.v4.get(key);
    if (s === undefined) {
      if (this.v4.size >= ADDRESS_CACHE_MAX) this.v4.clear();
      s = `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
      this.v4.set(key, s);
    }
    return s;
  }

  /** The 16 bytes of an IPv6 address as four big-endian 32-bit words. */
  ipv6(w0: number, w1: number, w2: number, w3: number): string {
    const key = (Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3) >>> 0;
    const e = this.v6.get(key);
    if (e !== undefined && e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.name;
    if (this.v6.size >= ADDRESS_CACHE_MAX) this.v6.clear();
    const name = formatIpv6([w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff]);
    this.v6.set(key, { w0, w1, w2, w3, name });
    return name;
  }
}

/** RFC 5952 text of eight 16-bit groups as libuv's inet_ntop6 prints it (the longest run of two or
 *  more zero groups becomes "::", the first on a tie; ::ffff:a.b.c.d and ::a.b.c.d keep dotted IPv4). */
export function formatIpv6(g: number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      out += `${g[6] >>> 8}.${g[6] & 255}.${g[7] >>> 8}.${g[7] & 255}`;
      return out;
    }
    out += g[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

interface Dest {
  port: number;
  sockaddr: Buffer;
}

/** Destination address string -> sockaddr bytes (built by `make`, once per address and port). */
export class DestCache {
  private readonly map = new Map<string, Dest>();

  constructor(private readonly make: (address: string, port: number) => Buffer | null) {}

  get(address: string, port: number): Buffer | null {
    const d = this.map.get(address);
    if (d !== undefined && d.port === port) return d.sockaddr;
    const sockaddr = this.make(address, port);
    if (sockaddr === null) return null;
    if (this.map.size >= ADDRESS_CACHE_MAX) this.map.clear();
    this.map.set(address, { port, sockaddr });
    return sockaddr;
  }
}
