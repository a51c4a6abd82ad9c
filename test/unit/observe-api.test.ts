// Unit tests of the observing API over a temporary unix socket (no root): the routes of
// src/api/observe-routes.ts served by the real API server, called through the typed client, the
// streaming client and the CLI command functions; and the metrics/dashboard HTTP server on loopback.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../../src/api/router.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { ApiClient } from '../../src/api/client.js';
import { addObserveRoutes } from '../../src/api/observe-routes.js';
import { streamGet, streamNdjson } from '../../src/api/stream-client.js';
import { fdbCommand, peersCommand, traceCommand, formatAge, PcapRecordCounter } from '../../src/cli/observe-commands.js';
import { switchTap } from '../../src/observe/switch-tap.js';
import type { TraceLine, TraceRecord } from '../../src/observe/trace-record.js';
import type { FdbRow } from '../../src/observe/network-view.js';
import { startObserveServer, parseListen, type ObserveServer } from '../../src/daemon/dashboard-server.js';
import { startLatencyMeters } from '../../src/daemon/metrics.js';
import type { DashboardState } from '../../src/daemon/dashboard-state.js';
import { decodePcap, isMalformed } from '../../src/wire/index.js';
import { TsnetError } from '../../src/errors.js';
import { makeRig, type Rig } from './observe-rig.js';
import { arpReply, arpWhoHas, icmpEcho, MAC_LILY, MAC_ROSE } from './observe-frames.js';

const t = suite('observe API');
let dir: string;
let rig: Rig;
let api: ApiServer;
let client: ApiClient;

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnet-observe-'));
  rig = makeRig();
  api = await startApiServer(addObserveRoutes(new Router(), rig.ctl), join(dir, 'api.sock'));
  client = new ApiClient(api.socketPath);
});
t.after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

t('fdb lists learned MACs with container names, like bridge fdb', async () => {
  rig.rose.inject(arpWhoHas());
  rig.lily.inject(arpReply());
  const rows = await client.get<FdbRow[]>('/v1/networks/frontend/fdb');
  assert.equal(rows.map((r) => [r.mac, r.port, r.kind]), [[MAC_LILY, 'lily:eth0', 'learned'], [MAC_ROSE, 'rose:eth0', 'learned']]);
  const lines: string[] = [];
  assert.is(await fdbCommand(client, ['frontend'], (l) => lines.push(l)), 0);
  assert.match(lines[0]!, /^MAC\s+PORT\s+VTEP\s+TYPE\s+AGE$/m);
  assert.match(lines[0]!, new RegExp(`${MAC_ROSE}\\s+rose:eth0\\s+-\\s+learned\\s+\\d+\\.\\ds`));
  assert.is(formatAge(125_000, 'learned'), '2m05s');
  assert.is(formatAge(0, 'static'), '-');
});

t('peers of a bridge network: no peers', async () => {
  const lines: string[] = [];
  await peersCommand(client, ['frontend'], (l) => lines.push(l));
  assert.equal(lines, ['no peers: bridge network']);
});

t('unknown network and port: one clear sentence with its category', async () => {
  try {
    await client.get('/v1/networks/nosuch/fdb');
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'ENETWORK_NOT_FOUND');
  }
  try {
    await streamGet({ socketPath: api.socketPath, path: '/v1/networks/frontend/trace?port=tulip' }, () => undefined);
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EPORT_NOT_FOUND');
    assert.match((err as Error).message, /has no port tulip; its ports are gateway, rose:eth0, lily:eth0/);
  }
  try {
    await streamGet({ socketPath: api.socketPath, path: '/v1/networks/frontend/trace?filter=bogus' }, () => undefined);
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EBAD_FILTER');
  }
  try {
    await client.post('/v1/networks/frontend/attach', { iface: 'bad/name' });
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EIFACE_NAME');
  }
  try {
    await client.post('/v1/networks/frontend/detach', { iface: 'veth9' });
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EIFACE_NOT_ATTACHED');
  }
});

t('trace streams records while attached, the observer goes away after', async () => {
  const got: TraceLine[] = [];
  const done = streamNdjson<TraceLine>({ socketPath: api.socketPath, path: '/v1/networks/frontend/trace?filter=icmp&count=3' }, (l) => got.push(l));
  await until(() => switchTap(rig.sw).subscribers === 1, 'the trace to subscribe');
  for (let i = 1; i <= 5; i++) rig.rose.inject(icmpEcho(i));
  await done;
  assert.match((got.shift() as { notice: string }).notice, /^tracing frontend, filter: icmp$/);
  assert.equal(got.map((r) => (r as TraceRecord).action), ['forwarded', 'forwarded', 'forwarded']);
  assert.equal(got.map((r) => (r as TraceRecord).out), ['lily:eth0', 'lily:eth0', 'lily:eth0']);
  await until(() => switchTap(rig.sw).subscribers === 0, 'the trace to unsubscribe');
});

t('a client that leaves unsubscribes the trace', async () => {
  const ac = new AbortController();
  const done = streamNdjson({ socketPath: api.socketPath, path: '/v1/networks/frontend/trace', signal: ac.signal }, () => undefined);
  await until(() => switchTap(rig.sw).subscribers === 1, 'the trace to subscribe');
  ac.abort();
  await done;
  await until(() => switchTap(rig.sw).subscribers === 0, 'the daemon side to notice');
});

t('traceCommand prints formatted lines until the count', async () => {
  const lines: string[] = [];
  const notices: string[] = [];
  const run = traceCommand(client, ['frontend', '--port', 'lily', '-c', '2', 'icmp'], (l) => lines.push(l), (l) => notices.push(l));
  await until(() => switchTap(rig.sw).subscribers === 1, 'the trace to subscribe');
  rig.rose.inject(icmpEcho(7));
  rig.lily.inject(icmpEcho(8, MAC_LILY, MAC_ROSE));
  assert.is(await run, 0);
  assert.is(lines.length, 2);
  assert.match(lines[0]!, / rose:eth0 > lily:eth0 02:42:ac:11:00:02 > 02:42:ac:11:00:03 IP 172\.17\.0\.2 > 172\.17\.0\.3: ICMP echo request, id 7, seq 7, length 64$/);
  assert.match(lines[1]!, / lily:eth0 > rose:eth0 /);
  assert.equal(notices.map((n) => n.replace(/^\S+ /, '')), ['-- tracing frontend, filter: port lily and ( icmp )']);
});

t('capture streams a pcap of the frames', async () => {
  const chunks: Buffer[] = [];
  const counter = new PcapRecordCounter();
  const done = streamGet({ socketPath: api.socketPath, path: '/v1/networks/frontend/capture?count=4' }, (c) => {
    chunks.push(c);
    counter.push(c);
  });
  await until(() => switchTap(rig.sw).subscribers === 1, 'the capture to subscribe');
  const frames = [icmpEcho(1), icmpEcho(2), arpWhoHas(), icmpEcho(3), icmpEcho(4)];
  for (const f of frames) rig.rose.inject(f);
  await done;
  const file = decodePcap(Buffer.concat(chunks));
  if (isMalformed(file)) throw new Error(file.reason);
  assert.is(file.records.length, 4);
  assert.is(counter.records, 4);
  file.records.forEach((r, i) => assert.equal(Buffer.from(r.data), frames[i]));
});

t('capture --underlay of a bridge network is refused', async () => {
  try {
    await streamGet({ socketPath: api.socketPath, path: '/v1/networks/frontend/capture?underlay=1' }, () => undefined);
    assert.unreachable();
  } catch (err) {
    assert.is((err as TsnetError).code, 'EUNDERLAY_BRIDGE');
  }
});

t('metrics and dashboard server on loopback', async () => {
  assert.equal(parseListen('127.0.0.1:9523'), { host: '127.0.0.1', port: 9523 });
  assert.equal(parseListen('[::1]:80'), { host: '::1', port: 80 });
  assert.equal(parseListen('9524'), { host: '127.0.0.1', port: 9524 });
  assert.throws(() => parseListen('nonsense'), /not an address to listen on/);
  const meters = startLatencyMeters(rig.ctl);
  let srv: ObserveServer | undefined;
  try {
    srv = await startObserveServer({ controller: rig.ctl, listen: '127.0.0.1:0', metrics: true, dashboard: true });
    rig.rose.injectBurst([icmpEcho(1), icmpEcho(2)]);
    const metrics = await (await fetch(`http://${srv.address}/metrics`)).text();
    assert.match(metrics, /# TYPE tsnet_switch_rx_frames_total counter/);
    assert.match(metrics, /tsnet_switch_forwarded_total\{network="frontend"\} \d+/);
    assert.match(metrics, /tsnet_port_tx_frames_total\{network="frontend",port="lily:eth0",kind="tap"\} \d+/);
    assert.match(metrics, /tsnet_fdb_entries\{network="frontend"\} 2/);
    assert.match(metrics, /tsnet_peers\{network="frontend"\} 0/);
    assert.match(metrics, /tsnet_switch_frame_latency_seconds_count\{network="frontend"\} 1/);
    assert.match(metrics, /tsnet_switch_frame_latency_seconds_bucket\{network="frontend",le="\+Inf"\} 1/);
    const state = (await (await fetch(`http://${srv.address}/api/state`)).json()) as DashboardState;
    assert.equal(state.networks.map((n) => n.name), ['frontend']);
    assert.equal(state.networks[0]!.endpoints.map((e) => e.container), ['rose', 'lily']);
    assert.is(state.networks[0]!.switch!.latency!.bursts, 1);
    const page = await fetch(`http://${srv.address}/`);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<title>tsnet dashboard<\/title>/);
    assert.is((await fetch(`http://${srv.address}/nope`)).status, 404);
  } finally {
    meters.stop();
    await srv?.stop();
  }
  const only = await startObserveServer({ controller: rig.ctl, listen: '127.0.0.1:0', metrics: true, dashboard: false });
  try {
    assert.is((await fetch(`http://${only.address}/`)).status, 404, 'no dashboard unless asked');
  } finally {
    await only.stop();
  }
});

t.run();
