// The two AEAD ciphers an encrypted overlay network can seal its packets with, behind one shape:
// seal `plain` into `sealed` (ciphertext then tag) and open a ciphertext in place, both with a
// 12-byte nonce and additional authenticated data. Used only by overlay-crypto.ts.
//
// - ChaCha20-Poly1305 (RFC 8439 section 2.8) through libsodium (sodium-native): a call on the key
//   bytes with no object made per packet; ~1-3 us per 64-1514 byte frame here (bench/crypto.ts).
//   libsodium's crypto_aead_chacha20poly1305_ietf is RFC 8439's construction, so its packets are
//   byte-for-byte those of node:crypto's 'chacha20-poly1305' (checked in test/unit/overlay-aead.test.ts).
// - AES-256-GCM (NIST SP 800-38D) through node:crypto: a cipher object and its output per packet,
//   ~8-10 us per full-size frame here. libsodium has AES-256-GCM, but sodium-native does not bind it.
import { createCipheriv, createDecipheriv, type CipherGCM, type DecipherGCM } from 'node:crypto';
import sodium from 'sodium-native';

/** RFC 8439 section 2.8 / SP 800-38D: a 128-bit tag. */
export const AEAD_TAG_LEN = 16;
/** RFC 8439 section 2.8 / SP 800-38D section 8.2.1: a 96-bit nonce. */
export const AEAD_NONCE_LEN = 12;
/** ChaCha20 / AES-256 key size. */
export const AEAD_KEY_LEN = 32;

export type AeadAlgorithm = 'chacha20-poly1305' | 'aes-256-gcm';
export const AEAD_ALGORITHMS: readonly AeadAlgorithm[] = ['chacha20-poly1305', 'aes-256-gcm'];

export interface Aead {
  readonly algorithm: AeadAlgorithm;
  /** Encrypts `plain` into `sealed` (plain.length + AEAD_TAG_LEN bytes: ciphertext, then tag). */
  seal(key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer, sealed: Buffer): void;
  /** Checks `tag` and decrypts `cipher` over itself; false when it is not authentic (the packet is
   *  to be dropped: libsodium zeroes `cipher` then, node:crypto leaves it; never any plaintext). */
  openInPlace(key: Buffer, nonce: Buffer, aad: Buffer, cipher: Buffer, tag: Buffer): boolean;
}

const chacha20Poly1305: Aead = {
  algorithm: 'chacha20-poly1305',
  seal(key, nonce, aad, plain, sealed) {
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plain, aad, null, nonce, key);
  },
  openInPlace(key, nonce, aad, cipher, tag) {
    try {
      // libsodium checks the tag before it writes a byte, then XORs the key stream in place
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(cipher, null, cipher, tag, aad, nonce, key);
      return true;
    } catch {
      return false;
    }
  },
};

const aes256Gcm: Aead = {
  algorithm: 'aes-256-gcm',
  seal(key, nonce, aad, plain, sealed) {
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LEN }) as CipherGCM;
    c.setAAD(aad);
    c.update(plain).copy(sealed, 0);
    c.final();
    c.getAuthTag().copy(sealed, plain.length);
  },
  openInPlace(key, nonce, aad, cipher, tag) {
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LEN }) as DecipherGCM;
    d.setAAD(aad);
    d.setAuthTag(tag);
    const plain = d.update(cipher);
    try {
      d.final();
    } catch {
      return false;
    }
    plain.copy(cipher, 0);
    return true;
  },
};

/** The implementation of `algorithm`, or undefined for a name we do not know. */
export function aeadOf(algorithm: string): Aead | undefined {
  if (algorithm === 'chacha20-poly1305') return chacha20Poly1305;
  if (algorithm === 'aes-256-gcm') return aes256Gcm;
  return undefined;
}
