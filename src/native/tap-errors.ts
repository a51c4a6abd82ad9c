// Maps a failed TAP syscall ({errno, syscall} from the addon) to a TsnetError with a stable code,
// a category and one sentence a user can act on (convention 8). Also validates interface names
// the way the kernel does (net/core/dev.c dev_valid_name) so bad names are caught before a syscall.
// Used by ./tap.ts; unit-tested without root in test/unit/native-tap-errors.test.ts.
import { constants as osConstants } from 'node:os';
import { TsnetError, type ErrorCategory } from '../errors.js';
import type { NativeFailure } from './addon.js';

// From the kernel (include/uapi/linux/if.h): interface names are at most IFNAMSIZ - 1 bytes.
export const IFNAMSIZ = 16;

/** errno number -> name ('EPERM'), from Node's table for this platform; for aliases (EAGAIN and
 *  EWOULDBLOCK) the first, classic name wins. */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);

/** EAGAIN on Linux: the value native write() returns negated when the queue is full. */
export const EAGAIN = osConstants.errno.EAGAIN;

export function errnoName(errno: number): string {
  // EBADFD is missing from Node's table; it is what a TAP fd returns once its device is gone.
  if (errno === 77) return 'EBADFD';
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** What the failing call was doing, for the message. */
export interface TapErrorContext {
  op: 'open' | 'persist' | 'read' | 'close' | 'name';
  name?: string;
  netnsPath?: string;
}

const err = (code: string, category: ErrorCategory, message: string, f: NativeFailure) =>
  new TsnetError(code, category, message, { cause: Object.assign(new Error(`${f.syscall}: ${errnoName(f.errno)}`), f) });

/** Returns a message fragment naming the device, e.g. 'TAP device "tap3"'. */
function dev(ctx: TapErrorContext): string {
  const where = ctx.netnsPath ? ` in network namespace ${ctx.netnsPath}` : '';
  return ctx.name ? `TAP device "${ctx.name}"${where}` : `a TAP device${where}`;
}

export function tapError(f: NativeFailure, ctx: TapErrorContext): TsnetError {
  const e = errnoName(f.errno);
  const netns = f.syscall === 'open(netns)' || f.syscall === 'setns';
  if (e === 'EPERM' || e === 'EACCES') {
    if (netns) return err('ETAP_PERMISSION', 'forbidden', `entering network namespace ${ctx.netnsPath} needs CAP_SYS_ADMIN; run tsnet as root.`, f);
    return err('ETAP_PERMISSION', 'forbidden', 'creating a TAP device needs CAP_NET_ADMIN; run tsnet as root.', f);
  }
  if (netns) {
    if (e === 'ENOENT') return err('ENETNS_NOT_FOUND', 'not-found', `network namespace ${ctx.netnsPath} does not exist; check that the container or namespace is still running.`, f);
    if (e === 'EINVAL' || e === 'ENAMETOOLONG') return err('ENETNS_INVALID', 'bad-request', `${ctx.netnsPath} is not a network namespace; pass /var/run/netns/NAME or /proc/PID/ns/net.`, f);
  }
  if (f.syscall === 'open' && (e === 'ENOENT' || e === 'ENODEV' || e === 'ENXIO')) {
    return err('ETAP_NO_DRIVER', 'unavailable', 'the TUN/TAP driver is missing: /dev/net/tun does not exist; load the tun module (modprobe tun).', f);
  }
  if (f.syscall === 'if_nametoindex' && (e === 'ENODEV' || e === 'ENXIO')) {
    return err('ETAP_NOT_FOUND', 'not-found', `${dev(ctx)} does not exist; it was deleted or never persisted, so create it again.`, f);
  }
  if (e === 'EBUSY') {
    return err('ETAP_BUSY', 'conflict', `${dev(ctx)} is already open in this or another process; close it there or choose another name.`, f);
  }
  if (f.syscall === 'ioctl(TUNSETIFF)' && e === 'EINVAL') {
    return err('ETAP_BAD_NAME', 'bad-request', `cannot use "${ctx.name ?? ''}" as a TAP name: it is invalid or taken by an interface that is not a TAP; choose another name.`, f);
  }
  if ((f.syscall === 'ioctl(TUNSETOFFLOAD)' || f.syscall === 'ioctl(TUNSETVNETHDRSZ)') && e === 'EINVAL') {
    return err('ETAP_NO_OFFLOAD', 'unavailable', `the kernel's TUN driver refused the TSO/checksum offloads for ${dev(ctx)}; open it without offload.`, f);
  }
  if (e === 'EMFILE' || e === 'ENFILE') {
    return err('ETAP_NO_FDS', 'unavailable', 'tsnet ran out of file descriptors; raise the open files limit (ulimit -n).', f);
  }
  if (e === 'ENOMEM' || e === 'ENOBUFS') {
    return err('ETAP_NO_MEMORY', 'unavailable', `the kernel is out of memory for ${dev(ctx)}; free memory and retry.`, f);
  }
  if (ctx.op === 'read' && (e === 'EBADFD' || e === 'EBADF' || e === 'EIO' || e === 'ENXIO' || e === 'ENODEV')) {
    return err('ETAP_GONE', 'unavailable', `${dev(ctx)} has gone away (its network namespace was deleted or the interface removed); recreate the port.`, f);
  }
  return err('ETAP_SYSCALL', 'internal', `${f.syscall} on ${dev(ctx)} failed with ${e}; this is unexpected, please report it.`, f);
}

/** A TsnetError for a name the kernel would reject, or null if the name is valid. '' is valid and
 *  lets the kernel choose; a name may contain one '%d' for the kernel to number. */
export function checkTapName(name: string): TsnetError | null {
  const bytes = Buffer.byteLength(name);
  const why =
    bytes >= IFNAMSIZ ? `it is ${bytes} bytes long and the limit is ${IFNAMSIZ - 1}`
    : name === '.' || name === '..' ? 'it is "." or ".."'
    : /[/:\s]/.test(name) ? "it contains '/', ':' or whitespace"
    : /\0/.test(name) ? 'it contains a NUL byte'
    : null;
  if (!why) return null;
  return new TsnetError('ETAP_BAD_NAME', 'bad-request', `"${name}" is not a valid interface name (${why}); use 1-15 characters without '/', ':' or spaces.`);
}
