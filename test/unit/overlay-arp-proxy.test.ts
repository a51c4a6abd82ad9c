// Proxy ARP for remote endpoints (src/dataplane/overlay-arp-proxy.ts, overlay-ingress.ts): the reply
// bytes, what is not answered, and that everything else reaches the switch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSwitch } from '../../src/dataplane/switch.js';
import { createMemoryPort } from '../../src/dataplane/memory-port.js';
import { ArpProxyTable, answerArpRequest } from '../../src/dataplane/overlay-arp-proxy.js';
import { createOverlayIngress } from '../../src/dataplane/overlay-ingress.js';
import { buildArpRequest, decodeArp, isMalformed } from '../../src/wire/index.js';

test('an ARP request for a remote endpoint is answered back to the asking port, byte for byte', () => {
  const sw = createSwitch({ name: 'arp1' });
  const p = createMemoryPort('c1');
  const other = createMemoryPort('c2');
  sw.addPort(p);
  sw.addPort(other);
  const table = new ArpProxyTable();
  table.set('10.0.42.2', '02:42:0a:00:2a:02');
  const ingress = createOverlayIngress(sw, table);
  ingress.attach(p);
  p.inject(buildArpRequest('02:42:0a:00:2a:01', '10.0.42.1', '10.0.42.2'));
  assert.is(p.sent.length, 1);
  assert.is(other.sent.length, 0, 'not flooded');
  assert.is(ingress.counters.arpProxied, 1);
  const expected = Buffer.from(
    '02420a002a01' + '02420a002a02' + '0806' + // Ethernet: to the asker, from the endpoint, ARP
    '0001' + '0800' + '06' + '04' + '0002' + // Ethernet/IPv4, reply
    '02420a002a02' + '0a002a02' + // sender: the endpoint's MAC and IP
    '02420a002a01' + '0a002a01', // target: the asker
    'hex');
  assert.equal(p.sent[0].frame, expected);
  const d = decodeArp(p.sent[0].frame, 14, 28);
  assert.not.ok(isMalformed(d));
});

test('not answered: unknown target, gratuitous ARP, replies, asked by the owner; those reach the switch', () => {
  const sw = createSwitch({ name: 'arp2' });
  const p = createMemoryPort('c1');
  const other = createMemoryPort('c2');
  sw.addPort(p);
  sw.addPort(other);
  const table = new ArpProxyTable();
  table.set('10.0.42.2', '02:42:0a:00:2a:02');
  const ingress = createOverlayIngress(sw, table);
  ingress.attach(p);
  p.inject(buildArpRequest('02:42:0a:00:2a:01', '10.0.42.1', '10.0.42.3'));
  p.inject(buildArpRequest('02:42:0a:00:2a:05', '10.0.42.5', '10.0.42.5'));
  p.inject(buildArpRequest('02:42:0a:00:2a:02', '10.0.42.9', '10.0.42.2'));
  const reply = buildArpRequest('02:42:0a:00:2a:01', '10.0.42.1', '10.0.42.2');
  reply[21] = 2; // op = reply
  p.inject(reply);
  assert.is(ingress.counters.arpProxied, 0);
  assert.is(ingress.counters.passed, 4);
  assert.is(other.sent.length, 4, 'flooded by the switch as usual');
  assert.is(p.sent.length, 0);
});

test('answerArpRequest writes nothing without room and handles truncated frames', () => {
  const table = new ArpProxyTable();
  table.set('10.0.0.2', '02:00:00:00:00:02');
  const req = buildArpRequest('02:00:00:00:00:01', '10.0.0.1', '10.0.0.2');
  const out = Buffer.alloc(41);
  assert.is(answerArpRequest(table, req, 0, req.length, out, 0), 0);
  for (let n = 0; n < req.length; n++) assert.is(answerArpRequest(table, req, 0, n, Buffer.alloc(64), 0), 0);
  assert.is(answerArpRequest(table, req, 0, req.length, Buffer.alloc(64), 0), 42);
  table.deleteMac('02:00:00:00:00:02');
  assert.is(answerArpRequest(table, req, 0, req.length, Buffer.alloc(64), 0), 0);
});

test.run();
