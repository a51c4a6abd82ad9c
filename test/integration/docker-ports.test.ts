// Published ports through the tsnet plugin (`docker run -p HOSTPORT:PORT`, src/control/docker-ports.ts)
// against a real dockerd and daemon whose host namespace has an uplink to an "outside" namespace
// (test/helpers/uplink.ts): busybox httpd in a container answers a client outside and one on the host
// itself; a second container asking for the same host port, and a -p with no host port, are refused
// with one sentence; docker rm -f takes the rules away.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupAll, inNs, makeNetns } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestDockerd, type TestDockerd } from '../helpers/dockerd.js';
import { makeUplink, UPLINK_IP } from '../helpers/uplink.js';

const t = suite('docker published ports');
let d: TestDaemon;
let dk: TestDockerd;
let hostNs: string;
let outside: string;
const URL = `http://${UPLINK_IP}:8080/`;

t.before(async () => {
  hostNs = makeNetns('dk');
  outside = makeUplink(hostNs);
  d = await startTestDaemon({ hostNs });
  dk = startTestDockerd({ netns: hostNs, apiSocket: d.socket });
  dk.ok('network', 'create', '-d', 'tsnet', '--ipam-driver', 'tsnet', '--subnet', '10.66.0.0/24', 'pnet');
});
t.after(() => cleanupAll());

const fetch = (ns: string) => inNs(ns, 'curl', ['-s', '-m', '2', URL]);
const portRules = () => inNs(hostNs, 'iptables-save', []).stdout.split('\n').filter((l) => l.includes('tsnet-port:'));

async function until(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}\n--- daemon log ---\n${d.log.slice(-15).join('')}\n--- plugin log ---\n${dk.pluginLog.slice(-10).join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t('docker run -p 8080:80: a client outside the host and one on the host reach the container', async () => {
  dk.ok('run', '-d', '--name', 'web', '--net', 'pnet', '-p', '8080:80', 'busybox', 'sh', '-c', 'mkdir -p /www && echo hello-from-tsnet > /www/index.html && exec httpd -f -p 80 -h /www');
  await until('httpd answers from outside', () => fetch(outside).status === 0);
  assert.is(fetch(outside).stdout.trim(), 'hello-from-tsnet');
  assert.is(fetch(hostNs).stdout.trim(), 'hello-from-tsnet', 'from the host itself (OUTPUT)');
  assert.ok(portRules().length >= 2, portRules().join('\n'));
});

t('the same host port for a second container, or -p with no host port, is refused with one sentence', () => {
  const twice = dk.docker('run', '-d', '--name', 'web2', '--net', 'pnet', '-p', '8080:80', 'busybox', 'sleep', '600');
  assert.is.not(twice.status, 0);
  assert.match(twice.stderr, /host port 8080\/tcp is already published by container web/, twice.stderr);
  dk.docker('rm', '-f', 'web2');
  const anyPort = dk.docker('run', '-d', '--name', 'web3', '--net', 'pnet', '-p', '80', 'busybox', 'sleep', '600');
  assert.is.not(anyPort.status, 0);
  assert.match(anyPort.stderr, /publish port 80\/tcp with a host port \(-p HOSTPORT:80\)/, anyPort.stderr);
  dk.docker('rm', '-f', 'web3');
  assert.is(fetch(outside).stdout.trim(), 'hello-from-tsnet', 'web still published');
});

t('docker rm -f web takes its rules away', () => {
  dk.ok('rm', '-f', 'web');
  assert.equal(portRules(), []);
  assert.is.not(fetch(outside).status, 0);
});

t.run();
