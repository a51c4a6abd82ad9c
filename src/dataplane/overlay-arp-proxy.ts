// Proxy ARP for remote endpoints of an overlay network. The control plane knows the IPv4 and MAC
// address of every endpoint on other hosts (libnetwork overlay's peerdb); answering "who has
// 10.0.42.2?" from that table on the local host means ARP requests rarely have to be replicated to
// every VTEP. The table lives with the network's tunnel port (vxlan-port.ts fills it through
// addRemoteEndpoint); overlay-ingress.ts consults it for frames from local ports.
// Hot path: answerArpRequest() allocates nothing and writes the reply into the caller's buffer.
import {
  ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, ETHERTYPE_ARP, ETH_HEADER_LEN, ETH_TYPE_OFF,
  arpIsEthIpv4, arpOp, arpSenderIp, arpSenderMac, arpTargetIp, parseIpv4, writeArp, writeEthHeader,
} from '../wire/index.js';
import { macValue } from './mac.js';

/** Length of the reply frame answerArpRequest writes (unpadded, as Linux hands it to a TAP). */
export const ARP_REPLY_FRAME_LEN = ETH_HEADER_LEN + ARP_LEN;

/** IPv4 address -> MAC of remote endpoints. */
export class ArpProxyTable {
  private readonly byIp = new Map<number, number>();

  /** Adds or replaces an entry; ip as dotted quad or number, mac as string or number. */
  set(ip: string | number, mac: string | number): void {
    this.byIp.set(typeof ip === 'string' ? parseIpv4(ip) : ip >>> 0, macValue(mac));
  }

  delete(ip: string | number): boolean {
    return this.byIp.delete(typeof ip === 'string' ? parseIpv4(ip) : ip >>> 0);
  }

  /** Removes every entry answering with `mac`; returns how many. */
  deleteMac(mac: string | number): number {
    const m = macValue(mac);
    let n = 0;
    for (const [ip, v] of this.byIp) {
      if (v === m) {
        this.byIp.delete(ip);
        n++;
      }
    }
    return n;
  }

  /** The MAC for an IPv4 address (unsigned 32-bit number), or -1. */
  lookup(ip: number): number {
    return this.byIp.get(ip) ?? -1;
  }

  get size(): number {
    return this.byIp.size;
  }

  entries(): Array<{ ip: number; mac: number }> {
    return [...this.byIp].map(([ip, mac]) => ({ ip, mac }));
  }
}

/**
 * If the untagged frame at (buf, off, len) is an ARP request for an address in `table` (not a
 * gratuitous ARP, not asked by the owner itself), writes the reply frame at out[outOff..] and
 * returns its length (ARP_REPLY_FRAME_LEN); otherwise returns 0 and writes nothing.
 */
export function answerArpRequest(table: ArpProxyTable, buf: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): number {
  if (len < ETH_HEADER_LEN + ARP_LEN) return 0;
  if (buf[off + ETH_TYPE_OFF] !== ETHERTYPE_ARP >>> 8 || buf[off + ETH_TYPE_OFF + 1] !== (ETHERTYPE_ARP & 0xff)) return 0;
  const a = off + ETH_HEADER_LEN;
  if (!arpIsEthIpv4(buf, a, len - ETH_HEADER_LEN) || arpOp(buf, a) !== ARP_OP_REQUEST) return 0;
  const tpa = arpTargetIp(buf, a);
  const spa = arpSenderIp(buf, a);
  if (tpa === spa) return 0; // gratuitous ARP / duplicate address detection: let it flood
  const mac = table.lookup(tpa);
  if (mac < 0) return 0;
  const sha = arpSenderMac(buf, a);
  if (sha === mac) return 0;
  if (out.length - outOff < ARP_REPLY_FRAME_LEN) return 0;
  writeEthHeader(out, outOff, sha, mac, ETHERTYPE_ARP);
  writeArp(out, outOff + ETH_HEADER_LEN, ARP_OP_REPLY, mac, tpa, sha, spa);
  return ARP_REPLY_FRAME_LEN;
}
