// A standalone discovery node for tests, benchmarks and debugging: runs createDiscoveryNode from
// command-line flags, joins one global network, publishes one endpoint, and prints every member and
// endpoint event as one JSON line on stdout. The namespace integration test starts one per network
// namespace with `ip netns exec` and kills it by PID; bench/discovery-liveness.ts uses it on loopback.
// Usage: node dist/src/discovery/agent.js --listen ip:port --vtep ip:port [--join host:port]...
//        [--network <64 hex>] [--endpoint name:ipv4] [--hostname h] [--key-file path] [--ping-ms n]
import { createDiscoveryNode } from './index.js';

function flags(argv: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    m.set(k, [...(m.get(k) ?? []), argv[i + 1]]);
  }
  return m;
}

const f = flags(process.argv.slice(2));
const one = (k: string) => f.get(k)?.[0];
const out = (o: object) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');

const tag = one('hostname') ?? 'agent';
const debug = (level: string) => (msg: string) => process.stderr.write(`${new Date().toISOString()} ${tag} ${level} ${msg}\n`);
const logger = process.env.TSNET_DISCOVERY_DEBUG ? { debug: debug('debug'), info: debug('info'), warn: debug('warn') } : undefined;

const node = await createDiscoveryNode({
  logger,
  listen: f.get('listen') ?? ['0.0.0.0:7946'],
  join: f.get('join') ?? [],
  vtep: one('vtep') ?? '127.0.0.1:4789',
  hostname: one('hostname'),
  keyFile: one('key-file'),
  pingIntervalMs: one('ping-ms') ? Number(one('ping-ms')) : undefined,
  antiEntropyIntervalMs: one('ae-ms') ? Number(one('ae-ms')) : undefined,
});
node.onMember((networkId, host, kind) => out({ event: 'member', networkId, hostId: host.hostId, hostname: host.hostname, kind }));
node.onEndpoint((networkId, rec, kind) => out({ event: 'endpoint', networkId, name: rec.name, ipv4: rec.ipv4, hostId: rec.hostId, kind }));
await node.start();
const network = one('network');
if (network) {
  await node.joinNetwork(network);
  const e = one('endpoint');
  if (e) {
    const [name, ipv4] = e.split(':');
    await node.publishEndpoint({ networkId: network, endpointId: (node.peerId + name).slice(-64).padStart(64, '0'), name, aliases: [], ipv4, mac: '02:42:00:00:00:01' });
  }
}
out({ event: 'ready', peerId: node.peerId, addresses: node.addresses() });
const shutdown = () => void node.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
