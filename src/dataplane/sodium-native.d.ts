// Types for the part of sodium-native (libsodium bindings) that aead.ts calls; @types/sodium-native
// lists only the XChaCha20 variants of these functions. Each throws when its check fails.
declare module 'sodium-native' {
  interface SodiumNative {
    crypto_aead_chacha20poly1305_ietf_encrypt(
      ciphertext: Uint8Array, message: Uint8Array, additionalData: Uint8Array | null,
      nsec: null, npub: Uint8Array, key: Uint8Array,
    ): number;
    crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      message: Uint8Array, nsec: null, ciphertext: Uint8Array, mac: Uint8Array,
      additionalData: Uint8Array | null, npub: Uint8Array, key: Uint8Array,
    ): void;
  }
  const sodium: SodiumNative;
  export default sodium;
}
