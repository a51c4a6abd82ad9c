// Shared by the TAP offload tests (tap-offload, tap-coalesce): plumbing a TAP into a namespace as
// eth0, and a TCP transfer of random bytes between two namespaces checked end to end by sha256
// (small node scripts run inside the namespaces). Every process and interface is registered for
// cleanup (helpers/netns.ts).
import { execFile, spawn } from 'node:child_process';
import { inNs, ip, onCleanup, trySh } from './netns.js';
import { until } from './until.js';

/** Port the receiver listens on. */
export const TRANSFER_PORT = 5201;

// Receiver: prints "listening", then "<bytes> <sha256>" when the sender closes.
const RECEIVER = `const net=require('net'),h=require('crypto').createHash('sha256');let n=0;
const srv=net.createServer(s=>{s.on('data',d=>{h.update(d);n+=d.length});s.on('end',()=>{console.log(n+' '+h.digest('hex'));srv.close();s.destroy();})});
srv.listen(+process.argv[1],process.argv[2],()=>console.log('listening'));`;
// Sender: random bytes; prints their sha256 once all were sent and the socket closed.
const SENDER = `const net=require('net'),c=require('crypto');const b=c.randomBytes(+process.argv[3]);
const s=net.connect(+process.argv[1],process.argv[2],()=>s.end(b));s.on('close',()=>console.log(c.createHash('sha256').update(b).digest('hex')));`;

/** Runs a command inside ns; resolves to its stdout, rejects with its stderr. */
export function runInNs(ns: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', ns, ...args], { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args[0]} in ${ns} failed: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

/** Moves a TAP into ns as eth0 with addr and brings it up; cleanup deletes it there. IPv6 is off
 *  in ns, so that no router solicitation or MLD report joins the frames a test counts. */
export function plumbTap(tapName: string, ns: string, addr: string): void {
  onCleanup(() => trySh('ip', ['-n', ns, 'link', 'del', 'eth0']));
  for (const conf of ['all', 'default']) {
    const r = inNs(ns, 'sysctl', ['-qw', `net.ipv6.conf.${conf}.disable_ipv6=1`]);
    if (r.status !== 0) throw new Error(`sysctl in ${ns} failed: ${r.stderr}`);
  }
  ip('link', 'set', tapName, 'netns', ns);
  ip('-n', ns, 'link', 'set', tapName, 'name', 'eth0', 'txqueuelen', '4096');
  ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
}

/** Sends `bytes` random bytes over TCP from fromNs to toAddr (in toNs). Returns what the receiver
 *  counted and both sha256 digests, for the caller to compare. */
export async function tcpTransfer(fromNs: string, toNs: string, toAddr: string, bytes: number):
  Promise<{ received: number; receivedSha: string; sentSha: string }> {
  const receiver = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', RECEIVER, String(TRANSFER_PORT), toAddr], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => receiver.kill());
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until('the receiver to listen', () => out.includes('listening'), 30_000, 25);
  const sentSha = (await runInNs(fromNs, [process.execPath, '-e', SENDER, String(TRANSFER_PORT), toAddr, String(bytes)])).trim();
  const result = await until('the receiver to finish', () => /\n(\d+) ([0-9a-f]{64})/.exec(out) ?? undefined, 30_000, 25);
  return { received: Number(result[1]), receivedSha: result[2]!, sentSha };
}
