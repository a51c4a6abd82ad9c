// The one result type every wire decoder returns on bad input (decoders never throw on hostile bytes),
// and the shared checks that produce it. Used by all decodeX functions in src/wire and by their callers
// (control plane, trace/capture views, tests), which test with isMalformed().

export interface Malformed {
  readonly malformed: true;
  /** What was wrong, e.g. "truncated: 10 bytes, IPv4 header needs 20". */
  readonly reason: string;
}

export function malformed(reason: string): Malformed {
  return { malformed: true, reason };
}

export function isMalformed(x: unknown): x is Malformed {
  return typeof x === 'object' && x !== null && (x as { malformed?: unknown }).malformed === true;
}

/** Checks that (off, len) is a valid view of buf; returns a Malformed or null. */
export function badView(buf: Uint8Array, off: number, len: number): Malformed | null {
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > buf.length) {
    return malformed(`bad view: offset ${off} length ${len} outside a buffer of ${buf.length} bytes`);
  }
  return null;
}

/** Checks the view and that it holds at least `need` bytes for `what`; returns a Malformed or null. */
export function needBytes(buf: Uint8Array, off: number, len: number, need: number, what: string): Malformed | null {
  const v = badView(buf, off, len);
  if (v) return v;
  if (len < need) return malformed(`truncated: ${len} bytes, ${what} needs ${need}`);
  return null;
}
