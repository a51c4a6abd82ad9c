// A VTEP address as users and the cluster give it (`--peer`, `--listen`, a member's VTEP): "IP",
// "IP:PORT", a bare IPv6 address, "[IPv6]" or "[IPv6]:PORT". The address is checked with ipaddr.js
// (IPv4 in four-part decimal only), so a bare IPv6 address is never split at its last colon.
import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';
import { VXLAN_PORT } from '../wire/vxlan.js';

export interface HostPortOptions {
  /** what the text is, for the error message (default 'peer') */
  what?: string;
  /** error code (default EBAD_PEER) */
  code?: string;
  /** lowest port accepted (default 1; 0 lets a listening socket take any port) */
  minPort?: number;
}

/** Address and port of `text`, the port defaulting to defaultPort (4789 for a VTEP, 7946 for a cluster
 *  node), which the error's examples use too. */
export function parseHostPort(text: string, defaultPort = VXLAN_PORT, opts: HostPortOptions = {}): { address: string; port: number } {
  const s = text.trim();
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(s);
  const plain = bracketed ? null : /^([^:]*)(?::(\d+))?$/.exec(s);
  let address = '';
  let portText: string | undefined;
  let valid = false;
  if (bracketed) {
    [, address = '', portText] = bracketed;
    valid = ipaddr.IPv6.isValid(address);
  } else if (plain) {
    [, address = '', portText] = plain;
    valid = ipaddr.IPv4.isValidFourPartDecimal(address);
  } else {
    address = s; // more than one colon and no brackets: an IPv6 address without a port
    valid = ipaddr.IPv6.isValid(address);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!valid || !Number.isInteger(port) || port < (opts.minPort ?? 1) || port > 65535) {
    throw badRequest(opts.code ?? 'EBAD_PEER',
      `${opts.what ?? 'peer'} "${text}" is not IP or IP:PORT, like 10.200.0.2, 10.200.0.2:${defaultPort}, fd00::2 or [fd00::2]:${defaultPort}.`);
  }
  return { address, port };
}

/** Whether a parsed address is IPv6 (its VXLAN packets carry a 40-byte outer header, not 20). */
export function isIpv6Address(address: string): boolean {
  return address.includes(':');
}

/** "IP:PORT", with an IPv6 address in brackets: the form parseHostPort reads back. */
export function formatHostPort(address: string, port: number): string {
  return isIpv6Address(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The any-address of an underlay family, what a socket binds when no address is given: '::' for an
 *  IPv6 underlay (daemon and switch VTEPs, cluster nodes), '0.0.0.0' otherwise. */
export function anyAddress(ipv6: boolean): string {
  return ipv6 ? '::' : '0.0.0.0';
}

/** Whether this kernel has IPv6 at all (booted without ipv6.disable=1): only then can a socket be
 *  IPv6, or dual-stack on '::'. */
export function kernelHasIpv6(): boolean {
  return existsSync('/proc/net/if_inet6');
}
