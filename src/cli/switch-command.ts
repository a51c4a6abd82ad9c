// `tsnet switch`: one overlay network's switch in the foreground, no daemon. It binds a VTEP, opens a
// TAP per --attach and moves it into that namespace as eth0 (switch-attach.ts), joins the TAPs and
// the VXLAN tunnel port to a learning switch, answers ARP for nothing but what it learns, and runs
// until SIGINT/SIGTERM, then removes its TAPs. A teaching aid and the simplest multi-host setup:
//
//   tsnet switch --network multi --vni 42 --peer 10.200.0.2 --attach cA=10.0.42.1/24 -v
//
// -v prints one line per event (learned, flooded, forwarded, encapsulated, decapsulated, dropped).
// Counters: a line `stats {json}` is printed on SIGUSR1 and on exit (vtep with its socket I/O: batches,
// GSO sends, GRO trains, busy-poll windows; tunnel, switch, ports with their offload counters).
// Called by src/cli/main.ts (`tsnet switch ...`) and by src/cli/switch-main.ts.
import { badRequest } from '../errors.js';
import { createSwitch, type SwitchEvent } from '../dataplane/switch.js';
import { createTapPort, offloadStatsOf, readerStatsOf, type TapPort } from '../dataplane/tap-port.js';
import type { Port } from '../dataplane/port.js';
import { createVtep, DEFAULT_BUSY_POLL_AHEAD_US, DEFAULT_BUSY_POLL_US, VXLAN_PORT, type VtepEvent } from '../dataplane/vtep.js';
import { createVxlanPort, DEFAULT_UNDERLAY_MTU, VXLAN_OVERHEAD_IPV4, VXLAN_OVERHEAD_IPV6 } from '../dataplane/vxlan-port.js';
import { anyAddress, formatHostPort, isIpv6Address, parseHostPort as parseVtepAddress } from '../control/host-port.js';
import { mtuOption } from '../control/options.js';
import { createOverlayIngress } from '../dataplane/overlay-ingress.js';
import { macToString } from '../dataplane/mac.js';
import { readMac } from '../wire/index.js';
import { TapDevice } from '../native/tap.js';
import { bool, BUSY_POLL_AHEAD_FLAG_MAX_US, BUSY_POLL_FLAG_MAX_US, intFlag, list, parseArgs, str, type FlagSpecs } from './args.js';
import { macFor, moveIntoNetns, parseAttach, underlayMtuTo, type AttachSpec } from './switch-attach.js';
import { startSwitchDiscovery, type SwitchDiscovery } from './switch-discovery.js';
import { readClusterKey } from '../discovery/pnet.js';

// ---- our choice ----
/** Largest default inner MTU: a jumbo frame that still fits a TAP read slot (TAP_MAX_FRAME 9216). */
const MAX_DEFAULT_MTU = 9000;
/** Default VNIs are derived from the network name so hosts agree without configuration; they start
 *  above 4096 to stay clear of VLAN-mapped VNIs that people pick by hand. */
const DERIVED_VNI_BASE = 4096;

const FLAGS: FlagSpecs = {
  network: { type: 'string' },
  vni: { type: 'string' },
  peer: { type: 'string', multiple: true },
  join: { type: 'string', multiple: true },
  advertise: { type: 'string' },
  'cluster-listen': { type: 'string' },
  'cluster-key': { type: 'string' },
  listen: { type: 'string' },
  attach: { type: 'string', multiple: true },
  mtu: { type: 'string' },
  'no-mss-clamp': { type: 'boolean' },
  'busy-poll': { type: 'string' },
  'busy-poll-ahead': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

export const SWITCH_USAGE = `Usage: tsnet switch --network NAME [--vni N] [--peer IP[:PORT]]... [--listen IP[:PORT]]
                    [--attach NETNS[=IP/PREFIX]]... [--mtu N] [--no-mss-clamp] [--busy-poll US]
                    [--busy-poll-ahead US] [-v]
Runs one network's switch in the foreground: TAP ports in the named namespaces, VXLAN to the peers.
  --vni N        VXLAN network identifier (default: derived from the network name)
  --peer         a member VTEP; repeat for each host (port defaults to ${VXLAN_PORT})
  --join H[:PORT] find the network and its peers through a cluster member instead (no daemon needed);
                 with --advertise IP[:PORT] (this host's address) and --cluster-listen IP:PORT,
                 and --cluster-key FILE for a private cluster (the daemons' key file);
                 not for encrypted networks (use a daemon)
  --listen       local VTEP address and port (default 0.0.0.0:${VXLAN_PORT}; [::]:${VXLAN_PORT} for IPv6 peers)
  --attach       a namespace to plug in as eth0, optionally with an IPv4 address
  --mtu N        container MTU (default: a joined network's -o mtu, else the underlay MTU towards the
                 peers minus ${VXLAN_OVERHEAD_IPV4}, ${VXLAN_OVERHEAD_IPV6} over IPv6)
  --no-mss-clamp leave the TCP MSS of SYNs alone (to watch a too-small path black-hole TCP)
  --busy-poll US keep polling this long after each packet instead of sleeping (default ${DEFAULT_BUSY_POLL_US};
                 0 = off; longer than the gap between packets trades a CPU for latency, see README)
  --busy-poll-ahead US  when bursts come at a steady period, start polling this long before the next
                 is due (default ${DEFAULT_BUSY_POLL_AHEAD_US}; 0 = off; adds at most a quarter of a CPU)
  -v             one log line per switching event
SIGUSR1 prints a \`stats {json}\` line with all counters; so does exit.`;

/** A `--peer` or `--listen` value (src/control/host-port.ts); errors name the flag. */
export function parseHostPort(s: string, defPort: number, what: string): { address: string; port: number } {
  return parseVtepAddress(s, defPort, { what, code: 'EBAD_ADDRESS', minPort: 0 });
}

/** The default VNI of a network name (FNV-1a), the same on every host. */
export function vniForName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return DERIVED_VNI_BASE + ((h >>> 0) % (0xffffff - DERIVED_VNI_BASE));
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function describeRemote(tunPeers: (i: number) => string, remote: number): string {
  return remote >= 0 ? ` via VTEP ${tunPeers(remote)}` : '';
}

export async function runSwitchCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS, 'tsnet switch');
  if (bool(a, 'help')) {
    log(SWITCH_USAGE);
    return 0;
  }
  if (a.positionals.length > 0) throw badRequest('EBAD_FLAG', `unexpected argument "${a.positionals[0]}" for \`tsnet switch\`; see \`tsnet switch --help\`.`);
  const network = str(a, 'network');
  if (!network) throw badRequest('EBAD_FLAG', '`tsnet switch` needs --network NAME.');
  const busyPollUs = intFlag(a, 'busy-poll', 0, BUSY_POLL_FLAG_MAX_US);
  const busyPollAheadUs = intFlag(a, 'busy-poll-ahead', 0, BUSY_POLL_AHEAD_FLAG_MAX_US);
  const joinTo = list(a, 'join');
  const clusterKeyFile = str(a, 'cluster-key');
  if (clusterKeyFile && joinTo.length === 0) throw badRequest('EBAD_FLAG', '--cluster-key needs --join: it protects the connections to the cluster.');
  const peers = list(a, 'peer').map((p) => parseHostPort(p, VXLAN_PORT, '--peer'));
  // without --listen the VTEP listens on the underlay's family, that of the peers or of the address
  // given to the cluster (an IPv6 underlay: '::')
  const advertise = str(a, 'advertise');
  const ipv6Underlay = peers.some((p) => isIpv6Address(p.address)) ||
    (advertise !== undefined && joinTo.length > 0 && isIpv6Address(parseHostPort(advertise, VXLAN_PORT, '--advertise').address));
  const listen = parseHostPort(str(a, 'listen') ?? anyAddress(ipv6Underlay), VXLAN_PORT, '--listen');
  const disc: SwitchDiscovery | undefined = joinTo.length
    ? await startSwitchDiscovery({ network, join: joinTo, advertise, clusterListen: str(a, 'cluster-listen'), clusterKey: clusterKeyFile ? readClusterKey(clusterKeyFile) : undefined, vni: intFlag(a, 'vni', 0, 0xffffff), vtepPort: listen.port, log })
    : undefined;
  const vni = disc?.network.vni ?? intFlag(a, 'vni', 0, 0xffffff) ?? vniForName(network);
  const attaches: AttachSpec[] = list(a, 'attach').map(parseAttach);
  const verbose = bool(a, 'verbose');

  // the inner MTU the underlay path carries (TCP MSS is clamped to it) and the containers' MTU
  let underlay = Infinity;
  for (const p of peers) underlay = Math.min(underlay, (await underlayMtuTo(p.address)) ?? DEFAULT_UNDERLAY_MTU);
  if (underlay === Infinity) underlay = DEFAULT_UNDERLAY_MTU;
  const overIpv6 = isIpv6Address(listen.address) || peers.some((p) => isIpv6Address(p.address));
  const pathMtu = Math.min(MAX_DEFAULT_MTU, underlay - (overIpv6 ? VXLAN_OVERHEAD_IPV6 : VXLAN_OVERHEAD_IPV4));
  // a joined network's own MTU (-o mtu at its creation) holds for the namespaces attached here too
  const mtu = intFlag(a, 'mtu', 576, MAX_DEFAULT_MTU) ?? (disc ? mtuOption(disc.network.options) : undefined) ?? pathMtu;

  const vtep = createVtep({ address: listen.address, port: listen.port, busyPollUs, busyPollAheadUs });
  await vtep.start();
  const sw = createSwitch({ name: network });
  const tun = createVxlanPort({ vtep, vni, mtu: pathMtu, mssClamp: !bool(a, 'no-mss-clamp') });
  const taps: TapPort[] = [];
  const stop = new AbortController();
  let running = false;
  const printStats = () => log(`stats ${JSON.stringify(statsOf())}`);
  const onStop = () => stop.abort();
  const statsOf = () => ({
    network, vni, mtu, pathMtu,
    vtep: { ...vtep.counters, io: vtep.ioStats() },
    tunnel: { counters: tun.counters, ...tun.stats, peers: tun.peers() },
    switch: sw.counters,
    ingress: ingress.counters,
    ports: Object.fromEntries(sw.ports().map((p) => [p.name, { ...p.counters, ...offloadEntry(p) }])),
  });
  const ingress = createOverlayIngress(sw, tun.arp);
  try {
    tun.attach(sw);
    for (const p of peers) tun.addPeer(p.address, p.port);
    const peerName = (i: number) => {
      const p = tun.peer(i);
      return p === null ? `#${i}` : `${p.address}:${p.port}`;
    };
    for (let i = 0; i < attaches.length; i++) {
      const spec = attaches[i];
      const dev = TapDevice.open({ name: `tsn${process.pid.toString(36)}${i}`.slice(0, 15), offload: true });
      const port = createTapPort(dev, {
        name: spec.netns,
        onError: (err) => log(`port ${spec.netns}: ${err.message}`),
      });
      taps.push(port);
      const mac = macFor(spec.cidr);
      await moveIntoNetns(dev.name, spec, { ifname: 'eth0', mac, mtu });
      sw.addPort(port);
      ingress.attach(port);
      log(`attached ${spec.netns}: eth0 ${mac}${spec.cidr ? ` ${spec.cidr}` : ''} mtu ${mtu}`);
    }
    if (verbose) {
      sw.setObserver((ev: SwitchEvent) => log(describeSwitchEvent(ev, peerName)));
      vtep.setObserver((ev: VtepEvent) => log(describeVtepEvent(ev)));
    }
    const la = vtep.localAddress();
    log(`switch ${network}: vni ${vni}, VTEP ${formatHostPort(la.address, la.port)}, mtu ${mtu}, path mtu ${pathMtu}, peers ${peers.map((p) => formatHostPort(p.address, p.port)).join(' ') || 'none'}`);
    await disc?.connect(tun, attaches);
    log('ready');
    running = true;
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGUSR1', printStats);
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    return 0;
  } finally {
    process.removeListener('SIGINT', onStop);
    process.removeListener('SIGTERM', onStop);
    process.removeListener('SIGUSR1', printStats);
    sw.setObserver(null);
    vtep.setObserver(null);
    if (running) printStats();
    sw.close(); // closes the TAP ports: a non-persistent TAP disappears with its fd, wherever it is
    for (const t of taps) t.close();
    tun.close();
    await vtep.stop();
    await disc?.stop();
  }
}

function describeSwitchEvent(ev: SwitchEvent, peerName: (i: number) => string): string {
  const inName = ev.inPort?.name ?? '?';
  const src = ev.buf !== null && ev.len >= 12 ? macToString(readMac(ev.buf, ev.off + 6)) : '?';
  const dst = ev.buf !== null && ev.len >= 6 ? macToString(readMac(ev.buf, ev.off)) : '?';
  const via = describeRemote(peerName, ev.inRemote);
  switch (ev.action) {
    case 'learned':
      return `learned ${src} on port ${inName}${via}`;
    case 'moved':
      return `moved ${src} to port ${inName}${via}`;
    case 'flooded':
      return `flooded ${src} > ${dst} from ${inName}${via} to ${ev.count} port${ev.count === 1 ? '' : 's'}`;
    case 'forwarded':
      return `forwarded ${src} > ${dst} from ${inName}${via} to ${ev.outPort?.name ?? '?'}${describeRemote(peerName, ev.outRemote)}`;
    case 'dropped':
      return `dropped frame from ${inName}${via}: ${ev.reason}`;
  }
}

function describeVtepEvent(ev: VtepEvent): string {
  switch (ev.action) {
    case 'encap':
      return `encapsulated ${ev.len} bytes to VTEP ${formatHostPort(ev.address, ev.port)} (vni ${ev.vni})`;
    case 'decap':
      return `decapsulated ${ev.len} bytes from VTEP ${formatHostPort(ev.address, ev.port)} (vni ${ev.vni})`;
    case 'drop':
      return ev.address === ''
        ? `dropped frame to the tunnel (vni ${ev.vni}): ${ev.reason}`
        : `dropped packet from ${formatHostPort(ev.address, ev.port)} (vni ${ev.vni}): ${ev.reason}`;
  }
}

/** A TAP port's software GSO/GRO counters and its reader's counters, as `offload` and `reader`
 *  entries of its stats (none for other ports). */
function offloadEntry(p: Port): { offload?: ReturnType<typeof offloadStatsOf>; reader?: ReturnType<typeof readerStatsOf> } {
  const o = offloadStatsOf(p);
  const r = readerStatsOf(p);
  return { ...(o === null ? {} : { offload: o }), ...(r === null ? {} : { reader: r }) };
}
