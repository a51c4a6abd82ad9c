// Loads the native addon build/Release/tsnet_native.node (native/*.c, built by
// scripts/build-native.mjs) and describes its raw functions. Only src/native/ imports this file;
// everything else uses TapDevice from ./tap.js. Failures come back as {errno, syscall} values,
// never as thrown errors; ./tap-errors.ts turns them into TsnetErrors.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsnetError } from '../errors.js';

/** A failed syscall as reported by the addon. */
export interface NativeFailure {
  errno: number;
  syscall: string;
}

export interface NativeReaderStats {
  wakeups: number;
  batches: number;
  frames: number;
  /** frames read but dropped by the reader (empty, or larger than the batch's maxFrame) */
  drops: number;
  /** frames delivered by readerReadNow (read in the turn that wrote, not after a wakeup) */
  readNowFrames: number;
  active: boolean;
}

/** Opaque handle of a running reader (a napi external). */
export type NativeReaderHandle = object & { readonly __tsnetReader?: never };

export interface TsnetNative {
  /** persist: -1 leave as is, 0 clear, 1 set. name '' lets the kernel choose (tap0, tap1...).
   *  offload: IFF_VNET_HDR + 10-byte header + TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN; false clears the offloads. */
  open(name: string, persist: number, netnsPath: string | null, mustExist: boolean, offload: boolean): { fd: number; name: string; uso: boolean } | NativeFailure;
  setPersist(fd: number, persist: boolean): NativeFailure | undefined;
  ifName(fd: number): string | NativeFailure;
  close(fd: number): NativeFailure | undefined;
  /** bytes written, or -errno */
  write(fd: number, buf: Buffer, off: number, len: number): number;
  /** frames written; stops at the first failure, whose errno lastErrno() returns */
  writeBatch(fd: number, buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number): number;
  /** offload TAPs: writev of hdr[hdrOff, +10) then the frame; bytes written (header included), or -errno */
  writeVnet(fd: number, hdr: Buffer, hdrOff: number, buf: Buffer, off: number, len: number): number;
  /** offload TAPs: frames written, each behind the same 10-byte header; stops at the first failure (lastErrno()) */
  writeVnetBatch(fd: number, hdr: Buffer, hdrOff: number, buf: Buffer, offsets: Int32Array, lengths: Int32Array, count: number): number;
  lastErrno(): number;
  /** Packed reader: meta holds lengths[0..frames) then offsets[0..frames); vnetHdr is 0 or 10
   *  (offload TAP: the header is read into the 10 bytes before each frame). */
  readerStart(
    fd: number,
    buffer: Buffer,
    meta: Int32Array,
    frames: number,
    maxFrame: number,
    headroom: number,
    vnetHdr: number,
    onBatch: (count: number) => void,
    onError: (errno: number, syscall: string) => void,
  ): NativeReaderHandle | NativeFailure;
  readerStop(handle: NativeReaderHandle): void;
  readerReadNow(handle: NativeReaderHandle): number;
  readerStats(handle: NativeReaderHandle): NativeReaderStats;
}

export const ADDON_RELATIVE_PATH = join('build', 'Release', 'tsnet_native.node');

export function isNativeFailure(v: unknown): v is NativeFailure {
  return typeof v === 'object' && v !== null && typeof (v as NativeFailure).errno === 'number' && typeof (v as NativeFailure).syscall === 'string';
}

/** The package root: the nearest directory above this file whose package.json is tsnet's
 *  (works from src/native/ under ts-node and from dist/src/native/ once compiled). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'tsnet') return dir;
      } catch {
        /* not ours: keep climbing */
      }
    }
    if (dirname(dir) === dir) {
      throw new TsnetError('ENATIVE_MISSING', 'internal', `cannot find the tsnet package root above ${from}; reinstall tsnet.`);
    }
  }
}

let loaded: TsnetNative | null = null;

/** Loads the addon once per thread (require caches it anyway). Throws TsnetError ENATIVE_MISSING. */
export function loadNative(): TsnetNative {
  if (loaded) return loaded;
  const root = packageRoot();
  const file = join(root, ADDON_RELATIVE_PATH);
  if (!existsSync(file)) {
    throw new TsnetError('ENATIVE_MISSING', 'internal', `the native TAP addon ${file} is missing; build it with \`node scripts/build-native.mjs\`.`);
  }
  const require = createRequire(import.meta.url);
  try {
    loaded = require(file) as TsnetNative;
  } catch (err) {
    throw new TsnetError('ENATIVE_LOAD', 'internal', `the native TAP addon ${file} failed to load; rebuild it with \`node scripts/build-native.mjs\`.`, { cause: err });
  }
  return loaded;
}
