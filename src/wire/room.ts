// Checks shared by the wire encoders: room in the caller's buffer and valid field values. Encoders are
// control-path code, so they throw TsnetErrors (decoders never throw; they return Malformed).
import { badRequest, internal } from '../errors.js';

/** Throws EWIRE_SPACE unless buf has `need` bytes from off. A too-small buffer is a caller bug. */
export function ensureRoom(buf: Uint8Array, off: number, need: number, what: string): void {
  if (!Number.isInteger(off) || off < 0 || off + need > buf.length) {
    throw internal('EWIRE_SPACE', `no room to encode ${what}: it needs ${need} bytes at offset ${off} of a ${buf.length}-byte buffer.`);
  }
}

/** Throws EWIRE_FIELD unless v is an integer in [0, max]. */
export function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw badRequest('EWIRE_FIELD', `${what} must be an integer from 0 to ${max}, got ${v}.`);
  }
}
