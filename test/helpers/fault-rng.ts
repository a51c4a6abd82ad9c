// Seeded randomness for the fuzz and fault tests (test/unit/fuzz-*.test.ts, test/integration/fault-*):
// a small PRNG (mulberry32) so every failure reproduces from its seed, byte mutators in the style of
// AFL's havoc stage (bit flips, byte sets, interesting values, truncation, extension, splices), and
// random JSON values of every type for API bodies. Set FUZZ_SEED to replay another seed.

// --- our choice ---
/** The default seed; FUZZ_SEED=N overrides it (printed by the tests so a failure can be replayed). */
export const DEFAULT_SEED = Number(process.env.FUZZ_SEED ?? 0x7e57);
/** Byte values that often hit length and sign edge cases (AFL's interesting_8 plus 0xff). */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64, 0xfe];

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Buffer;
  bool(p?: number): boolean;
}

export function rng(seed: number = DEFAULT_SEED): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[int(xs.length)]!,
    bytes: (n: number) => {
      const b: Buffer = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
    bool: (p = 0.5) => next() < p,
  };
}

/** Just the uniform [0, 1) generator of a seed, for tests that need nothing more. */
export const prng = (seed: number): (() => number) => rng(seed).next;

/** One to `maxOps` havoc mutations of a copy of `seed` (never modifies it). */
export function mutate(r: Rng, seed: Buffer, maxOps = 4): Buffer {
  let b: Buffer = Buffer.from(seed);
  const ops = 1 + r.int(maxOps);
  for (let k = 0; k < ops; k++) {
    const op = r.int(7);
    if (b.length === 0 && op < 4) {
      b = r.bytes(1 + r.int(8));
      continue;
    }
    switch (op) {
      case 0: // flip one bit
        b[r.int(b.length)]! ^= 1 << r.int(8);
        break;
      case 1: // random byte
        b[r.int(b.length)] = r.int(256);
        break;
      case 2: // interesting byte
        b[r.int(b.length)] = r.pick(INTERESTING);
        break;
      case 3: // interesting 16-bit value (lengths, counts)
        if (b.length >= 2) b.writeUInt16BE(r.pick([0, 1, 0x7fff, 0x8000, 0xffff, b.length, b.length + 1]), r.int(b.length - 1));
        break;
      case 4: // truncate
        b = b.subarray(0, r.int(b.length + 1));
        break;
      case 5: // extend with random bytes
        b = Buffer.concat([b, r.bytes(1 + r.int(64))]);
        break;
      default: {
        // splice: copy a chunk of itself elsewhere
        if (b.length < 2) break;
        const from = r.int(b.length);
        const to = r.int(b.length);
        const n = r.int(Math.min(16, b.length - Math.max(from, to)) + 1);
        b.copy(b, to, from, from + n);
      }
    }
  }
  return b;
}

/** A random JSON value: every type, nested, sometimes a huge string or a prototype-looking key. */
export function randomJson(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 2 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.bool();
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, 65536, 4789]);
    case 3:
      return r.pick(['', 'x', '10.0.0.0/8', '999.1.1.1', '../../etc/passwd', 'a'.repeat(300), '\u0000', 'ts-000000000000', '-rf', '💥', '%2F']);
    case 4:
      return 'A'.repeat(r.pick([1024, 65_536, 500_000]));
    case 5:
      return r.bytes(1 + r.int(40)).toString('latin1');
    case 6:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = ['name', 'driver', 'subnet', 'gateway', 'ipRange', 'auxAddresses', 'options', 'internal', 'peers', 'scope', 'container', 'ip', 'aliases', 'cmd', 'detach', 'hostname', 'network', 'autoRemove', 'force', 'exitCode', '__proto__', 'constructor', 'NetworkID', 'EndpointID', 'PoolID', 'Address', 'Pool', 'SubPool', 'Options', 'IPv4Data', 'Interface', 'SandboxKey', 'V6', 'AddressSpace'];
      const n = 1 + r.int(5);
      for (let i = 0; i < n; i++) o[r.pick(keys)] = randomJson(r, depth + 1);
      return o;
    }
  }
}
