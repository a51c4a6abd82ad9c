// Parses the addresses users give the discovery node ('ip:port', 'host:port', '[v6]:port' or a
// multiaddr) into multiaddrs. Used by node.ts for listen/advertise/join.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { isIP } from 'node:net';
import { badRequest } from '../errors.js';

/** 'ip:port' | 'name:port' | '[v6]:port' | '/ip4/..' -> Multiaddr. */
export function toMultiaddr(addr: string): Multiaddr {
  const a = addr.trim();
  if (a.startsWith('/')) {
    try {
      return multiaddr(a);
    } catch (err) {
      throw badRequest('EBADADDR', `"${addr}" is not a valid multiaddr: ${(err as Error).message}.`);
    }
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(a) ?? /^([^:]+):(\d+)$/.exec(a);
  if (!m) throw badRequest('EBADADDR', `"${addr}" is not an address; use IP:PORT, [IPv6]:PORT, HOST:PORT or a multiaddr, like 10.210.0.1:7946 or [fd00::1]:7946.`);
  const host = m[1];
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badRequest('EBADADDR', `port in "${addr}" must be 0-65535.`);
  const family = isIP(host);
  const proto = family === 4 ? 'ip4' : family === 6 ? 'ip6' : 'dns';
  return multiaddr(`/${proto}/${host}/tcp/${port}`);
}

/** The /p2p/ peer id in a multiaddr, if any. */
export function peerIdOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === 'p2p')?.value;
}

/** 'ip:port' of a multiaddr's first ip/tcp pair, for display. */
export function hostPortOf(ma: Multiaddr): string {
  const comps = ma.getComponents();
  const ip = comps.find((c) => c.name === 'ip4' || c.name === 'ip6' || c.name === 'dns')?.value;
  const port = comps.find((c) => c.name === 'tcp')?.value;
  return ip && port ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ma.toString();
}
