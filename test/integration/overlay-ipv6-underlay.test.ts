// tsnet's VXLAN over an IPv6 underlay: two "hosts" joined by a veth with fd00:77::1/64 and
// fd00:77::2/64, `tsnet switch` on each (dist/src/cli/switch-main.js) with a TAP in its container,
// one peer given bare (`--peer fd00:77::2`) and one bracketed with a port; B has no --listen, so its
// VTEP listens on [::] for its IPv6 peer. Checks the containers'
// MTU (the underlay's 1500 minus 70: outer IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14), that
// pings of exactly that size with DF set cross in both directions, and that the underlay carries
// them as IPv6/UDP to port 4789 (tcpdump), nothing over IPv4.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { background, cleanupAll, inNs, ip, makeNetns, makeVeth } from '../helpers/netns.js';
import { until } from '../helpers/until.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SWITCH_MAIN = join(ROOT, 'dist', 'src', 'cli', 'switch-main.js');
const A6 = 'fd00:77::1';
const B6 = 'fd00:77::2';
const CA_IP = '10.0.77.1';
const CB_IP = '10.0.77.2';
const INNER_MTU = 1500 - 70;

test.after.each(() => cleanupAll());

test('containers reach each other over an IPv6 underlay, at the full inner MTU', async () => {
  const work = mkdtempSync(join(tmpdir(), 'tsnet-v6-'));
  try {
    const [hA, hB, cA, cB] = [makeNetns('v6ha'), makeNetns('v6hb'), makeNetns('v6ca'), makeNetns('v6cb')];
    makeVeth({ name: 'ul0', ns: hA }, { name: 'ul1', ns: hB });
    ip('-n', hA, 'addr', 'add', `${A6}/64`, 'dev', 'ul0', 'nodad');
    ip('-n', hB, 'addr', 'add', `${B6}/64`, 'dev', 'ul1', 'nodad');
    ip('-n', hA, 'link', 'set', 'ul0', 'up');
    ip('-n', hB, 'link', 'set', 'ul1', 'up');

    const dump = join(work, 'underlay.txt');
    background(['ip', 'netns', 'exec', hA, 'tcpdump', '-l', '-n', '-i', 'ul0', 'udp port 4789'], dump);
    const logA = join(work, 'a.log');
    const logB = join(work, 'b.log');
    background(['ip', 'netns', 'exec', hA, process.execPath, SWITCH_MAIN, '--network', 'v6', '--vni', '77',
      '--listen', `[${A6}]:4789`, '--peer', B6, '--attach', `${cA}=${CA_IP}/24`], logA);
    background(['ip', 'netns', 'exec', hB, process.execPath, SWITCH_MAIN, '--network', 'v6', '--vni', '77',
      '--peer', `[${A6}]:4789`, '--attach', `${cB}=${CB_IP}/24`], logB);
    await until('both switches ready', () => [logA, logB].every((f) => /^ready$/m.test(readFileSync(f, 'utf8'))), 20_000, 100);
    assert.match(readFileSync(logA, 'utf8'), /VTEP \[fd00:77::1\]:4789, mtu 1430, path mtu 1430, peers \[fd00:77::2\]:4789/);
    assert.match(readFileSync(logB, 'utf8'), /VTEP \[::\]:4789, mtu 1430/, 'with an IPv6 peer and no --listen, B listens on [::]');

    for (const c of [cA, cB]) {
      const [eth0] = JSON.parse(inNs(c, 'ip', ['-j', 'link', 'show', 'eth0']).stdout) as Array<{ mtu: number }>;
      assert.is(eth0!.mtu, INNER_MTU, 'container MTU = underlay minus the IPv6 VXLAN overhead');
    }
    // 1402 bytes of ICMP data + 8 ICMP + 20 IP = 1430: the largest packet that fits, sent with DF
    const full = String(INNER_MTU - 28);
    for (const [from, to] of [[cA, CB_IP], [cB, CA_IP]] as const) {
      const r = inNs(from, 'ping', ['-c', '3', '-W', '2', '-M', 'do', '-s', full, to]);
      assert.is(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /3 received/);
    }
    await until('the underlay capture', () => /IP6 fd00:77::1\.\d+ > fd00:77::2\.4789: VXLAN/.test(readFileSync(dump, 'utf8')), 5_000, 100);
    const captured = readFileSync(dump, 'utf8');
    assert.match(captured, /IP6 fd00:77::2\.\d+ > fd00:77::1\.4789: VXLAN/, 'replies come back over IPv6 too');
    assert.not.match(captured, /^\S+ IP /m, 'no VXLAN over IPv4');
  } finally {
    cleanupAll();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
