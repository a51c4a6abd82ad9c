// Paths 3 and 4: tinc 1.0 (Debian's `tinc` package) in switch mode. One tincd per host namespace, run
// in the foreground (`tincd -D`), keys made with `tincd -K`; its tap device is bridged to the veth into
// the container by tinc-up. `tinc` keeps tinc 1.0's cipher and digest (aes-256-cbc, HMAC-sha256), as a
// user would run it; `tinc-plain` turns both off (`Cipher = none`, `Digest = none` in each host's file)
// and so carries frames in the clear like tsnet's VXLAN: the like-for-like userspace peer.
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, startDaemon, type Daemon } from '../proc.js';
import { INNER_MTU, UNDERLAY_A, UNDERLAY_B, bridgeContainers, type Topology } from '../topology.js';
import type { BenchPath, PathHandle } from './path.js';

// Our choice: tinc's network name and its TCP/UDP port (655 is tinc's registered port).
const NETNAME = 'bench';
const TINC_PORT = 655;
const TINCD = '/usr/sbin/tincd';

/** tinc 1.0 host-file settings that switch off the UDP packets' encryption and authentication. */
const PLAIN_HOST_SETTINGS = ['Cipher = none', 'Digest = none'];

function writeNodeConfig(dir: string, me: string, peer: string, underlay: string, plain: boolean): void {
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  writeFileSync(
    join(dir, 'tinc.conf'),
    [`Name = ${me}`, 'Mode = switch', 'DeviceType = tap', 'Interface = tap0', 'AddressFamily = ipv4', `ConnectTo = ${peer}`, ''].join('\n'),
  );
  const hostSettings = [`Address = ${underlay}`, `Port = ${TINC_PORT}`, ...(plain ? PLAIN_HOST_SETTINGS : [])];
  writeFileSync(join(dir, 'hosts', me), [...hostSettings, ''].join('\n'));
  const up = join(dir, 'tinc-up');
  writeFileSync(up, ['#!/bin/sh', `ip link set "$INTERFACE" mtu ${INNER_MTU} up`, 'ip link set "$INTERFACE" master br0', ''].join('\n'));
  chmodSync(up, 0o755);
  // tincd -K appends the public key to hosts/<me>; stdin is empty so it takes the default file names.
  sh(TINCD, ['-c', dir, '-n', NETNAME, '-K'], '');
}

function tincSwitchPath(id: 'tinc' | 'tinc-plain', label: string, plain: boolean): BenchPath {
  return {
    id,
    label,
    unavailable: () => (existsSync(TINCD) ? null : `${TINCD} not found: apt-get install -y tinc`),
    async setup(t: Topology): Promise<PathHandle> {
      bridgeContainers(t);
      const nodes = [
        { host: 'A' as const, ns: t.hostA, me: 'nodeA', peer: 'nodeB', underlay: UNDERLAY_A, dir: join(t.dir, 'tincA') },
        { host: 'B' as const, ns: t.hostB, me: 'nodeB', peer: 'nodeA', underlay: UNDERLAY_B, dir: join(t.dir, 'tincB') },
      ];
      for (const n of nodes) writeNodeConfig(n.dir, n.me, n.peer, n.underlay, plain);
      // Each side needs the other's host file (address + public key).
      copyFileSync(join(nodes[0].dir, 'hosts', 'nodeA'), join(nodes[1].dir, 'hosts', 'nodeA'));
      copyFileSync(join(nodes[1].dir, 'hosts', 'nodeB'), join(nodes[0].dir, 'hosts', 'nodeB'));
      const daemons: Array<Daemon & { host: 'A' | 'B' }> = [];
      for (const n of nodes) {
        const d = startDaemon(`tincd (host ${n.host})`, 'ip', [
          'netns', 'exec', n.ns, TINCD, '-D', '-n', NETNAME, '-c', n.dir, `--pidfile=${join(n.dir, 'tincd.pid')}`,
        ]);
        daemons.push(Object.assign(d, { host: n.host }));
      }
      // `ip netns exec` execs tincd, so the PID we hold is tincd's own.
      for (const d of daemons) await d.waitForOutput(/Ready/, 15_000);
      return {
        switches: daemons,
        stop: async () => {
          await Promise.all(daemons.map((d) => d.stop()));
        },
      };
    },
  };
}

export const tincPath = tincSwitchPath('tinc', 'tinc 1.0 switch mode, tap bridged to the container veth; its default cipher and digest', false);
export const tincPlainPath = tincSwitchPath(
  'tinc-plain',
  'the same with `Cipher = none` and `Digest = none`: frames in the clear, like VXLAN',
  true,
);
