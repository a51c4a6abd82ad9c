// How the observing views name switch ports and the remotes behind a tunnel port. Ports have
// technical names ("eth0:1b45c0ffee12", "host:ts-1b45c0ffee12", "vxlan0"); a class watching a trace
// wants "rose:eth0" and "gateway". The API layer knows the containers and builds a PortNaming from
// the controller's state; the views here only call it. A tunnel port that can say which VTEP stands
// behind a remote index implements RemoteNamedPort.
import type { Port } from '../dataplane/port.js';
import { VxlanPort } from '../dataplane/vxlan-port.js';

export interface PortDescription {
  /** short display label, e.g. "rose:eth0" */
  label: string;
  /** every name a `port NAME` filter may use for this port (label, port name, container name...) */
  names: string[];
}

export interface PortNaming {
  describe(port: Port): PortDescription;
  /** the remote behind a multi-destination port (a VTEP "10.0.0.2:4789"), or '' */
  remote(port: Port, remote: number): string;
}

/** A multi-destination port (VXLAN tunnel) that can name a remote index. */
export interface RemoteNamedPort extends Port {
  remoteAddress(remote: number): string | undefined;
}

export function isRemoteNamed(p: Port): p is RemoteNamedPort {
  return typeof (p as Partial<RemoteNamedPort>).remoteAddress === 'function';
}

/** "10.0.0.2:4789" for a VXLAN port's remote (its peer table), or what a RemoteNamedPort says; '' if none. */
export function remoteName(p: Port, remote: number): string {
  if (remote < 0) return '';
  if (p instanceof VxlanPort) {
    const peer = p.peer(remote);
    if (peer === null) return `remote#${remote}`;
    return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
  }
  return isRemoteNamed(p) ? p.remoteAddress(remote) ?? `remote#${remote}` : `remote#${remote}`;
}

/** Names ports by their own name only (tests, `tsnet switch`); remote names from the port if it can. */
export const plainNaming: PortNaming = {
  describe: (p) => ({ label: p.name, names: [p.name] }),
  remote: remoteName,
};

/** Wraps a naming with a per-port cache (ports never change names). */
export function cachedNaming(inner: PortNaming): PortNaming {
  const cache = new WeakMap<Port, PortDescription>();
  return {
    describe(p) {
      let d = cache.get(p);
      if (d === undefined) {
        d = inner.describe(p);
        cache.set(p, d);
      }
      return d;
    },
    remote: (p, r) => inner.remote(p, r),
  };
}
