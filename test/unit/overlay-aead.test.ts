// The overlay's two AEAD ciphers (src/dataplane/aead.ts) against an independent implementation of
// the same standards (node:crypto's OpenSSL), and the sealer's cipher choice (overlay-crypto.ts):
// ChaCha20-Poly1305 from libsodium gives the bytes RFC 8439 says (same as OpenSSL's), both ciphers
// open in place and refuse forgeries without revealing plaintext, and a sealer refuses the packets
// of the other cipher by their version byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { AEAD_ALGORITHMS, AEAD_TAG_LEN, aeadOf, type AeadAlgorithm } from '../../src/dataplane/aead.js';
import { createOverlaySealer, DEFAULT_AEAD, SEAL_AAD_LEN, SEAL_VERSIONS } from '../../src/dataplane/overlay-crypto.js';

/** Seals with OpenSSL through node:crypto: ciphertext then tag. */
function opensslSeal(alg: AeadAlgorithm, key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LEN }) as CipherGCM;
  c.setAAD(aad);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

function opensslOpen(alg: AeadAlgorithm, key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LEN }) as DecipherGCM;
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_LEN));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - AEAD_TAG_LEN)), d.final()]);
}

for (const alg of AEAD_ALGORITHMS) {
  test(`${alg}: our seal equals OpenSSL's, byte for byte, and OpenSSL opens it (0-9216 bytes)`, () => {
    const aead = aeadOf(alg)!;
    for (const len of [0, 1, 63, 64, 1514, 9216]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(24);
      const plain = randomBytes(len);
      const sealed = Buffer.alloc(len + AEAD_TAG_LEN);
      aead.seal(key, nonce, aad, plain, sealed);
      assert.equal(sealed, opensslSeal(alg, key, nonce, aad, plain), `${len} bytes`);
      assert.equal(opensslOpen(alg, key, nonce, aad, sealed), plain);
    }
  });

  test(`${alg}: opens OpenSSL's packets in place; a forged tag, byte or header is refused and reveals nothing`, () => {
    const aead = aeadOf(alg)!;
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(24);
    const plain = randomBytes(1400);
    const sealed = opensslSeal(alg, key, nonce, aad, plain);
    const tag = Buffer.from(sealed.subarray(1400));

    const forgeries: Array<(c: Buffer, t: Buffer, a: Buffer) => void> = [
      (_c, t) => { t[0] ^= 1; },
      (c) => { c[700] ^= 0x80; },
      (_c, _t, a) => { a[3] ^= 1; },
    ];
    for (const forge of forgeries) {
      const c = Buffer.from(sealed.subarray(0, 1400));
      const t = Buffer.from(tag);
      const a = Buffer.from(aad);
      forge(c, t, a);
      const before = Buffer.from(c);
      assert.not.ok(aead.openInPlace(key, nonce, a, c, t));
      assert.ok(c.equals(before) || c.every((b) => b === 0), 'a refused packet is left as it was or zeroed');
    }
    const c = Buffer.from(sealed.subarray(0, 1400));
    assert.ok(aead.openInPlace(key, nonce, aad, c, tag));
    assert.equal(c, plain);
    assert.not.ok(aead.openInPlace(randomBytes(32), nonce, aad, Buffer.from(sealed.subarray(0, 1400)), tag), 'another key');
  });
}

test('unknown cipher names have no implementation', () => {
  assert.is(aeadOf('aes-128-cbc'), undefined);
});

test('sealers: the version byte names the cipher; the other cipher is refused as crypto-bad-version', () => {
  assert.is(DEFAULT_AEAD, 'chacha20-poly1305');
  const key = { id: 1, key: randomBytes(32), activeFrom: 0 };
  const make = (algorithm: AeadAlgorithm, localAddress: string) => {
    const s = createOverlaySealer({ algorithm, localAddress, clock: () => 1_000 });
    s.setKeys([key]);
    return s;
  };
  const frame = Buffer.alloc(8 + 100, 7);
  for (const alg of AEAD_ALGORITHMS) {
    const other = AEAD_ALGORITHMS.find((a) => a !== alg)!;
    const tx = make(alg, '10.9.0.1');
    const n = tx.seal(frame, 0, frame.length);
    const wire = Buffer.from(tx.out.subarray(0, n));
    assert.is(wire[9], SEAL_VERSIONS[alg]);

    const mismatched = make(other, '10.9.0.2');
    assert.is(mismatched.open(Buffer.from(wire), 0, n, 0, '10.9.0.1'), -5);
    assert.equal(mismatched.counters.drops, { 'crypto-bad-version': 1 });

    const rx = make(alg, '10.9.0.2');
    const copy = Buffer.from(wire);
    assert.is(rx.open(copy, 0, n, 0, '10.9.0.1'), 100);
    assert.equal(copy.subarray(SEAL_AAD_LEN, SEAL_AAD_LEN + 100), frame.subarray(8));
  }
});

test.run();
