// Sealing of overlay (VXLAN) payloads for networks created with `-o encrypted`: every inner frame
// crosses the underlay as AEAD ciphertext (ChaCha20-Poly1305 by default, see aead.ts), authenticated
// together with its VXLAN header, with a per-sender sequence number checked against a sliding replay
// window on receive. Used by the tunnel port (vxlan-port.ts: seal() on output, open() on receive) and
// configured by the control plane (src/control/encryption.ts) with the network's key ring.
//
// Packet layout (UDP payload; the VXLAN header stays in clear so the VTEP can demultiplex by VNI):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                VXLAN header (RFC 7348 section 5), 8 bytes     |   \
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+    | additional
//   |    Key id     |   Version     |         Reserved (0)          |    | authenticated
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+    | data (24 bytes)
//   |        Sender id (32 bits: the sender's VTEP address)         | \  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  | AEAD nonce
//   |        Sequence number (64 bits, per sender, increasing)      |  | (12 bytes)
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ /  /
//   |        Inner Ethernet frame, encrypted (same length)          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Authentication tag, 16 bytes                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The version names the cipher: 1 = AES-256-GCM, 2 = ChaCha20-Poly1305. A sealer opens only its own:
// a packet of the other is dropped as crypto-bad-version (members set up with different `-o cipher`
// see that reason, not a failed authentication).
// Why ChaCha20-Poly1305 by default: through libsodium it costs one call per packet with no object
// made (1-3 us here), where node:crypto's AES-256-GCM makes a cipher per packet (8-10 us for a full
// frame; bench/crypto.ts). The 96-bit nonce is NIST SP 800-38D section 8.2.1's deterministic
// construction (4-byte fixed field = sender id, 8-byte invocation field = sequence), which RFC 8439
// section 4 also recommends (a counter, unique per key). Nonces never repeat under one key: all
// members share the network key, so the fixed field is the sender's VTEP address (unique among
// members; the receiver checks it against the address the packet came from, which also binds the
// replay window to the sender), and the sequence starts from the wall clock (ms * 1024) at every
// start, so a restarted sender continues above its old numbers.
//
// Hot path: scratch buffers are reused; a sealed packet makes two Buffer views (its frame and its
// place in `out`), an opened one one view, and AES-256-GCM adds node:crypto's cipher object. Never
// throws on a bad packet: every failure is a drop reason returned as a negative code.
import { isIPv4 } from 'node:net';
import { badRequest } from '../errors.js';
import { AEAD_ALGORITHMS, AEAD_KEY_LEN, AEAD_NONCE_LEN, AEAD_TAG_LEN, aeadOf, type Aead, type AeadAlgorithm } from './aead.js';

export { AEAD_KEY_LEN, AEAD_NONCE_LEN, AEAD_TAG_LEN, type AeadAlgorithm };

/** RFC 7348 section 5. */
const VXLAN_HEADER_LEN = 8;

// ---- our choice ----
/** The version byte of each cipher's packets. */
export const SEAL_VERSIONS: Readonly<Record<AeadAlgorithm, number>> = { 'aes-256-gcm': 1, 'chacha20-poly1305': 2 };
/** Key id, version, reserved (4) + sender id (4) + sequence (8). */
export const SEAL_HEADER_LEN = 16;
/** What sealing adds to every VXLAN packet: subtract it from the overlay MTU. */
export const SEAL_OVERHEAD = SEAL_HEADER_LEN + AEAD_TAG_LEN;
/** The authenticated prefix: VXLAN header + seal header. */
export const SEAL_AAD_LEN = VXLAN_HEADER_LEN + SEAL_HEADER_LEN;
/** bench/crypto.ts: ChaCha20-Poly1305 through libsodium seals a full frame 3-5 x faster here. */
export const DEFAULT_AEAD: AeadAlgorithm = 'chacha20-poly1305';
/** Replay window per sender, in packets (RFC 6479 style bitmap). Our path reorders little (a few
 *  send sockets), but a burst of floods to many peers can delay one flow behind another. */
export const REPLAY_WINDOW = 2048;
const WINDOW_BLOCKS = REPLAY_WINDOW / 32;
/** Sequence numbers start at wall-clock ms * 1024: a restarted sender is above its old numbers
 *  unless it sent more than ~1M packets/s on average or the clock went back (see the report). */
export const SEQ_PER_MS = 1024;
/** A previous key stays accepted this long after the next one became active (packets in flight,
 *  members that switched a little later). */
export const DEFAULT_ROTATION_WINDOW_MS = 30_000;
/** The clock is read once every this many sealed packets (a per-packet read boxes a double). */
const CLOCK_EVERY_PACKETS = 64;
/** Largest inner frame sealed (jumbo frames up to 9000 MTU + Ethernet header, with margin). */
export const SEAL_MAX_FRAME = 9216;
const TWO_32 = 4294967296;

/** Drop reasons counted by the sealer (and by the tunnel port that uses it). */
export const SEAL_DROP_REASONS = [
  '', 'crypto-no-key', 'crypto-no-sender', 'crypto-too-big', 'crypto-truncated', 'crypto-bad-version',
  'crypto-unknown-key', 'crypto-sender-mismatch', 'crypto-replay', 'crypto-auth-failed',
] as const;
export type SealDropReason = Exclude<(typeof SEAL_DROP_REASONS)[number], ''>;
export const SEAL_NO_KEY = -1;
export const SEAL_NO_SENDER = -2;
export const SEAL_TOO_BIG = -3;
export const OPEN_TRUNCATED = -4;
export const OPEN_BAD_VERSION = -5;
export const OPEN_UNKNOWN_KEY = -6;
export const OPEN_SENDER_MISMATCH = -7;
export const OPEN_REPLAY = -8;
export const OPEN_AUTH_FAILED = -9;

/** The reason string of a negative seal()/open() result. */
export function sealDropReason(code: number): SealDropReason {
  return (SEAL_DROP_REASONS[-code] || 'crypto-auth-failed') as SealDropReason;
}

/** One key of a network's ring. */
export interface OverlayKey {
  /** 1..255, carried in every packet; 0 is never used. */
  id: number;
  /** AEAD_KEY_LEN bytes. */
  key: Uint8Array;
  /** ms since the epoch from which senders use this key (receivers accept it at once). */
  activeFrom: number;
}

export interface SealerCounters {
  sealed: number;
  opened: number;
  drops: Record<string, number>;
}

export interface OverlaySealerOptions {
  algorithm?: AeadAlgorithm;
  /** This host's VTEP address as its peers see it (the sender id); settable later. */
  localAddress?: string;
  /** ms since the epoch (default Date.now): sequence start and key activation. */
  clock?: () => number;
  rotationWindowMs?: number;
}

/** 32-bit sender id of a VTEP address: an IPv4 address as its number, else FNV-1a of the text. */
export function senderIdOf(address: string): number {
  if (isIPv4(address)) {
    const p = address.split('.');
    return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
  }
  let h = 0x811c9dc5;
  const s = address.toLowerCase();
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Per-sender receive state: the address it was computed for, its sender id and replay window. */
class Window {
  top = -1;
  readonly bits = new Uint32Array(WINDOW_BLOCKS);
  constructor(readonly address: string, readonly senderId: number) {}

  /** True if seq is new (not seen, not too old). Does not mark it. */
  fresh(seq: number): boolean {
    if (seq > this.top) return true;
    if (this.top - seq >= REPLAY_WINDOW - 32) return false;
    const b = Math.floor(seq / 32) % WINDOW_BLOCKS;
    return (this.bits[b] & (1 << (seq % 32))) === 0;
  }

  /** Marks seq as seen (after authentication). */
  mark(seq: number): void {
    if (seq > this.top) {
      const cur = this.top < 0 ? -1 : Math.floor(this.top / 32);
      const next = Math.floor(seq / 32);
      const clear = Math.min(next - cur, WINDOW_BLOCKS);
      for (let i = 1; i <= clear; i++) this.bits[(next - clear + i) % WINDOW_BLOCKS] = 0;
      this.top = seq;
    }
    const b = Math.floor(seq / 32) % WINDOW_BLOCKS;
    this.bits[b] |= 1 << (seq % 32);
  }
}

export class OverlaySealer {
  readonly algorithm: AeadAlgorithm;
  /** The version byte this sealer writes and accepts (SEAL_VERSIONS). */
  readonly version: number;
  readonly counters: SealerCounters = { sealed: 0, opened: 0, drops: {} };
  /** seal() writes the sealed packet here: VXLAN header at 0, then SEAL_HEADER_LEN, ciphertext, tag. */
  readonly out: Buffer = Buffer.alloc(SEAL_AAD_LEN + SEAL_MAX_FRAME + AEAD_TAG_LEN);
  private readonly aead: Aead;
  /** The header of the packet being sealed (additional data, with the nonce at its end), copied in
   *  front of the ciphertext: fixed views, none made per packet. */
  private readonly txAad = Buffer.alloc(SEAL_AAD_LEN);
  private readonly txNonce = this.txAad.subarray(SEAL_AAD_LEN - AEAD_NONCE_LEN);
  /** A received packet's additional data and tag are copied here (no view per packet). */
  private readonly rxAad = Buffer.alloc(SEAL_AAD_LEN);
  private readonly rxNonce = this.rxAad.subarray(SEAL_AAD_LEN - AEAD_NONCE_LEN);
  private readonly rxTag = Buffer.alloc(AEAD_TAG_LEN);
  private readonly clock: () => number;
  private readonly rotationWindowMs: number;
  private senderId = -1;
  private seq: number;
  private ring: OverlayKey[] = [];
  /** key bytes by id for receive (null: not accepted now) */
  private readonly accepted: (Buffer | null)[] = new Array(256).fill(null);
  private txKey: Buffer | null = null;
  private txKeyId = 0;
  private nextChangeAt = Infinity;
  private clockLeft = 0;
  private windows: (Window | undefined)[] = [];

  constructor(opts: OverlaySealerOptions = {}) {
    const algorithm = opts.algorithm ?? DEFAULT_AEAD;
    const aead = aeadOf(algorithm);
    if (aead === undefined) {
      throw badRequest('ECRYPTO_BAD_ALGORITHM', `unknown overlay cipher "${String(algorithm)}"; use ${AEAD_ALGORITHMS.join(' or ')}.`);
    }
    this.aead = aead;
    this.algorithm = algorithm;
    this.version = SEAL_VERSIONS[algorithm];
    this.clock = opts.clock ?? Date.now;
    this.rotationWindowMs = opts.rotationWindowMs ?? DEFAULT_ROTATION_WINDOW_MS;
    this.seq = Math.floor(this.clock() * SEQ_PER_MS);
    if (opts.localAddress !== undefined) this.setLocalAddress(opts.localAddress);
  }

  // ---------------------------------------------------------------- control path

  /** The address peers see this host's VXLAN packets come from (sets the sender id). */
  setLocalAddress(address: string): void {
    this.senderId = senderIdOf(address);
  }

  get ready(): boolean {
    return this.senderId >= 0 && this.txKey !== null;
  }

  /** Replaces the key ring. Receivers accept every key that is active, pending, or was replaced
   *  less than the rotation window ago; senders use the newest active one. */
  setKeys(keys: readonly OverlayKey[]): void {
    for (const k of keys) {
      if (!Number.isInteger(k.id) || k.id < 1 || k.id > 255) throw badRequest('ECRYPTO_BAD_KEY', `overlay key ids are 1-255, got ${k.id}.`);
      if (k.key.length !== AEAD_KEY_LEN) throw badRequest('ECRYPTO_BAD_KEY', `an overlay key is ${AEAD_KEY_LEN} bytes, got ${k.key.length}.`);
    }
    this.ring = keys.map((k) => ({ id: k.id, key: Buffer.from(k.key), activeFrom: k.activeFrom })).sort((a, b) => a.activeFrom - b.activeFrom);
    this.refresh(this.clock());
  }

  /** Key ids accepted on receive now, and the one used to send (0: none). */
  keyState(): { sending: number; accepted: number[] } {
    this.refresh(this.clock());
    const accepted: number[] = [];
    for (let i = 1; i < 256; i++) if (this.accepted[i] !== null) accepted.push(i);
    return { sending: this.txKeyId, accepted };
  }

  /** Forgets the receive state of remote index `remote` (its peer was removed). */
  forgetRemote(remote: number): void {
    this.windows[remote] = undefined;
  }

  private refresh(now: number): void {
    this.accepted.fill(null);
    let tx: OverlayKey | null = null;
    let next = Infinity;
    for (const k of this.ring) {
      if (k.activeFrom <= now) tx = k;
      else next = Math.min(next, k.activeFrom);
    }
    for (let i = 0; i < this.ring.length; i++) {
      const k = this.ring[i];
      const successor = this.ring[i + 1];
      const retiredAt = successor !== undefined && successor.activeFrom <= now ? successor.activeFrom + this.rotationWindowMs : Infinity;
      if (retiredAt > now) this.accepted[k.id] = k.key as Buffer;
      else continue;
      if (retiredAt !== Infinity) next = Math.min(next, retiredAt);
    }
    this.txKey = tx === null ? null : (tx.key as Buffer);
    this.txKeyId = tx === null ? 0 : tx.id;
    this.nextChangeAt = next;
    this.clockLeft = CLOCK_EVERY_PACKETS;
  }

  // ---------------------------------------------------------------- hot path

  private tick(): void {
    if (--this.clockLeft > 0) return;
    this.clockLeft = CLOCK_EVERY_PACKETS;
    const now = this.clock();
    if (now >= this.nextChangeAt) this.refresh(now);
  }

  private drop(code: number): number {
    const r = sealDropReason(code);
    this.counters.drops[r] = (this.counters.drops[r] ?? 0) + 1;
    return code;
  }

  /**
   * Seals a VXLAN packet: buf[off, off+8) is its VXLAN header, buf[off+8, off+len) the inner frame
   * (not modified: the same frame may be flooded to other ports). The result is written to `out`
   * from `outOff` (default: this.out from 0; the tunnel port passes its send arena, so a burst of
   * sealed packets can leave in one system call); returns its length, or a negative code
   * (sealDropReason) when it cannot be sent.
   */
  seal(buf: Buffer, off: number, len: number, out: Buffer = this.out, outOff = 0): number {
    this.tick();
    const key = this.txKey;
    if (key === null) return this.drop(SEAL_NO_KEY);
    if (this.senderId < 0) return this.drop(SEAL_NO_SENDER);
    const frameLen = len - VXLAN_HEADER_LEN;
    const sealedLen = SEAL_AAD_LEN + frameLen + AEAD_TAG_LEN;
    if (frameLen > SEAL_MAX_FRAME || frameLen < 0 || outOff + sealedLen > out.length) return this.drop(SEAL_TOO_BIG);
    const h = this.txAad;
    buf.copy(h, 0, off, off + VXLAN_HEADER_LEN);
    h[8] = this.txKeyId;
    h[9] = this.version;
    h[10] = 0;
    h[11] = 0;
    h.writeUInt32BE(this.senderId, 12);
    const seq = this.seq++;
    h.writeUInt32BE(Math.floor(seq / TWO_32), 16);
    h.writeUInt32BE(seq >>> 0, 20);
    h.copy(out, outOff);
    const ctOff = outOff + SEAL_AAD_LEN;
    this.aead.seal(key, this.txNonce, h, buf.subarray(off + VXLAN_HEADER_LEN, off + len), out.subarray(ctOff, outOff + sealedLen));
    this.counters.sealed++;
    return sealedLen;
  }

  /**
   * Opens a sealed packet received from remote index `remote` at `address`: buf[off, off+len) is the
   * whole UDP payload (VXLAN header first). On success the plaintext inner frame is written back
   * over the ciphertext, at off + SEAL_AAD_LEN, and its length is returned; else a negative code.
   */
  open(buf: Buffer, off: number, len: number, remote: number, address: string): number {
    if (len < SEAL_AAD_LEN + AEAD_TAG_LEN) return this.drop(OPEN_TRUNCATED);
    if (buf[off + 9] !== this.version) return this.drop(OPEN_BAD_VERSION);
    const key = this.accepted[buf[off + 8]];
    if (key === null) return this.drop(OPEN_UNKNOWN_KEY);
    let w = this.windows[remote];
    if (w === undefined || w.address !== address) {
      w = new Window(address, senderIdOf(address)); // once per peer (control-path cost on its first packet)
      this.windows[remote] = w;
    }
    if (buf.readUInt32BE(off + 12) !== w.senderId) return this.drop(OPEN_SENDER_MISMATCH);
    const seq = buf.readUInt32BE(off + 16) * TWO_32 + buf.readUInt32BE(off + 20);
    if (!w.fresh(seq)) return this.drop(OPEN_REPLAY);
    const ctOff = off + SEAL_AAD_LEN;
    const frameLen = len - SEAL_AAD_LEN - AEAD_TAG_LEN;
    buf.copy(this.rxAad, 0, off, ctOff);
    buf.copy(this.rxTag, 0, ctOff + frameLen, off + len);
    if (!this.aead.openInPlace(key, this.rxNonce, this.rxAad, buf.subarray(ctOff, ctOff + frameLen), this.rxTag)) {
      return this.drop(OPEN_AUTH_FAILED);
    }
    w.mark(seq);
    this.counters.opened++;
    return frameLen;
  }
}

/** Builds a sealer; give it keys (setKeys) and a local address before it can send. */
export function createOverlaySealer(opts: OverlaySealerOptions = {}): OverlaySealer {
  return new OverlaySealer(opts);
}
