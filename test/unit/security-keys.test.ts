// Key material and options of the security features: static-overlay key files (control/encryption.ts
// parseKeyFile), cluster key files (discovery/pnet.ts), the -o options (control/options.ts) and the
// MTU they imply (must match the sealer's real overhead).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { parseKeyFile } from '../../src/control/encryption.js';
import { DEFAULT_KEY_ROTATION_MS, defaultOverlayMtu, ENCRYPTION_OVERHEAD, encryptionOption, keyRotationOption, maxMacsOption, portSecurityOption } from '../../src/control/options.js';
import { SEAL_OVERHEAD } from '../../src/dataplane/overlay-crypto.js';
import { clusterProtector, generateClusterKey, parseClusterKey } from '../../src/discovery/pnet.js';

const code = (c: string) => (e: Error & { code?: string }) => e.code === c;

test('key file: bare keys, ids, activation times, comments; bad lines refused', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);
  const keys = parseKeyFile(`# overlay keys\n${a.toString('base64')}\n\n7 ${b.toString('hex')} 2030-01-01T00:00:00Z\n`, 'k');
  assert.is(keys.length, 2);
  assert.equal({ id: keys[0]!.id, from: keys[0]!.activeFrom }, { id: 1, from: 0 });
  assert.equal(Buffer.from(keys[0]!.key), a);
  assert.equal({ id: keys[1]!.id, from: keys[1]!.activeFrom }, { id: 7, from: Date.parse('2030-01-01T00:00:00Z') });
  assert.throws(() => parseKeyFile('', 'k'), code('EKEY_FILE'));
  assert.throws(() => parseKeyFile('c2hvcnQ=', 'k'), code('EKEY_FILE'));
  assert.throws(() => parseKeyFile(`0 ${a.toString('hex')}`, 'k'), code('EKEY_FILE'));
  assert.throws(() => parseKeyFile(`1 ${a.toString('hex')}\n1 ${b.toString('hex')}`, 'k'), code('EKEY_FILE'));
});

test('cluster key: swarm.key, bare hex and raw bytes give the same key; junk refused', () => {
  const text = generateClusterKey();
  assert.match(text, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
  const k = parseClusterKey(Buffer.from(text));
  assert.is(k.length, 32);
  assert.equal(parseClusterKey(Buffer.from(Buffer.from(k).toString('hex'))), k);
  assert.equal(parseClusterKey(Buffer.from(k)), k);
  assert.throws(() => parseClusterKey(Buffer.from('not a key')), code('ECLUSTER_KEY'));
  assert.type(clusterProtector(k), 'function');
  assert.is(clusterProtector(undefined), undefined);
});

test('options: -o encrypted, key-file, cipher, max-macs, port-security, broadcast-rate; MTU leaves room', () => {
  assert.is(encryptionOption({}), null);
  assert.equal(encryptionOption({ encrypted: 'true' }), { cipher: 'chacha20-poly1305' });
  assert.equal(encryptionOption({ encrypted: '' }), { cipher: 'chacha20-poly1305' });
  assert.equal(encryptionOption({ 'key-file': '/etc/tsnet/k' }), { keyFile: '/etc/tsnet/k', cipher: 'chacha20-poly1305' });
  assert.equal(encryptionOption({ cipher: 'aes-256-gcm' }), { cipher: 'aes-256-gcm' }, '-o cipher implies -o encrypted');
  assert.is(encryptionOption({ encrypted: 'false' }), null);
  assert.throws(() => encryptionOption({ encrypted: 'maybe' }), code('EBAD_OPTION'));
  assert.throws(() => encryptionOption({ 'key-file': 'relative' }), code('EBAD_OPTION'));
  assert.throws(() => encryptionOption({ cipher: 'aes-128-cbc' }), code('EBAD_OPTION'));
  assert.throws(() => encryptionOption({ cipher: 'aes-256-gcm', encrypted: 'false' }), code('EBAD_OPTION'));
  assert.is(ENCRYPTION_OVERHEAD, SEAL_OVERHEAD);
  assert.is(defaultOverlayMtu({}), 1450);
  assert.is(defaultOverlayMtu({ encrypted: 'true' }), 1450 - SEAL_OVERHEAD);
  assert.is(defaultOverlayMtu({}, true), 1430, 'an IPv6 underlay: 40-byte outer header');
  assert.is(defaultOverlayMtu({ encrypted: 'true' }, true), 1430 - SEAL_OVERHEAD);
  assert.is(maxMacsOption({ 'max-macs': '64' }), 64);
  assert.throws(() => maxMacsOption({ 'max-macs': '0' }), code('EBAD_OPTION'));
  assert.equal(portSecurityOption({}), { checkSources: true, broadcastRatePerSec: undefined });
  assert.equal(portSecurityOption({ 'port-security': 'false', 'broadcast-rate': '50' }), { checkSources: false, broadcastRatePerSec: 50 });
});

test('-o key-rotation: durations with units, off, Docker\'s 12 h by default; refused out of range, unencrypted or with a key file', () => {
  const enc = (v?: string) => keyRotationOption(v === undefined ? { encrypted: '' } : { encrypted: '', 'key-rotation': v });
  assert.is(enc(), DEFAULT_KEY_ROTATION_MS);
  assert.is(DEFAULT_KEY_ROTATION_MS, 12 * 3600 * 1000);
  assert.is(enc('12h'), 12 * 3600 * 1000);
  assert.is(enc('30m'), 30 * 60 * 1000);
  assert.is(enc('10s'), 10_000);
  assert.is(enc('3600'), 3600_000, 'plain seconds');
  assert.is(enc('7d'), 7 * 86_400_000);
  assert.is(enc('off'), 0);
  assert.is(enc('0'), 0);
  for (const bad of ['9s', '5', '1w', '-1h', '1.5h', '', 'soon', '366d']) assert.throws(() => enc(bad), code('EBAD_OPTION'), bad);
  assert.is(keyRotationOption({}), null, 'not encrypted: no rotation');
  assert.is(keyRotationOption({ 'key-file': '/etc/k' }), null, 'keys from a file: rotated by editing it');
  assert.throws(() => keyRotationOption({ 'key-rotation': '1h' }), code('EBAD_OPTION'));
  assert.throws(() => keyRotationOption({ 'key-file': '/etc/k', 'key-rotation': '1h' }), code('EBAD_OPTION'));
});

test.run();
