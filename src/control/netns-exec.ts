// Runs `ip` (iproute2) as a child process inside a chosen network namespace, never through a shell and
// never switching namespaces on the event-loop thread (convention 7). A namespace is named by an
// `NsRef`: null for the daemon's own namespace, a bare name for /var/run/netns/NAME (`ip -n NAME`), or a
// path such as /proc/PID/ns/net (`nsenter --net=PATH ip ...`). Failures become TsnetErrors whose message
// folds the command's stderr into one sentence. Used by netns.ts and host-routes.ts.
import { execFile } from 'node:child_process';
import { type ErrorCategory, TsnetError } from '../errors.js';

// --- our choice ---
/** An `ip` command that has not finished after this long is killed (it only talks netlink). */
const IP_TIMEOUT_MS = 15_000;
const MAX_OUTPUT_BYTES = 32 << 20;

/** null: the daemon's namespace; "name": /var/run/netns/name; "/path": a namespace file. */
export type NsRef = string | null;

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** Runs a program; rejects with the raw failure (exit code + stderr) for the caller to fold. */
export function execProgram(file: string, args: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The argv that runs `ip args...` in `ns`. */
export function ipArgv(ns: NsRef, args: readonly string[]): [string, string[]] {
  if (ns === null) return ['ip', [...args]];
  if (ns.includes('/')) return ['nsenter', [`--net=${ns}`, 'ip', ...args]];
  return ['ip', ['-n', ns, ...args]];
}

/** Describes a namespace for messages: "namespace foo", "namespace /proc/12/ns/net" or "the host namespace". */
export function describeNs(ns: NsRef): string {
  return ns === null ? "the daemon's namespace" : `namespace ${ns}`;
}

/** One line from stderr: the trailing newline gone, lines joined with "; ". */
export function foldStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.join('; ').replace(/\.$/, '') || 'no error output';
}

/** A category from well-known kernel/iproute2 messages; the caller's default otherwise. */
function categoryOf(stderr: string, fallback: ErrorCategory): ErrorCategory {
  if (/Operation not permitted|Permission denied/i.test(stderr)) return 'forbidden';
  if (/File exists/i.test(stderr)) return 'conflict';
  if (/Cannot find device|does not exist|No such file or directory|Cannot open network namespace/i.test(stderr)) return 'not-found';
  if (/Invalid argument|Numerical result out of range|invalid/i.test(stderr)) return 'bad-request';
  return fallback;
}

/**
 * Runs `ip args` in `ns`; returns stdout. On failure throws TsnetError(code) with the message
 * "<what> failed in <ns>: <stderr>." (category from the stderr, `internal` if unknown).
 */
export async function runIp(ns: NsRef, args: readonly string[], what: string, code = 'ENETNS_COMMAND'): Promise<string> {
  const [file, argv] = ipArgv(ns, args);
  try {
    return (await execProgram(file, argv)).stdout;
  } catch (err) {
    throw foldError(err, `${what} failed in ${describeNs(ns)}`, code);
  }
}

/** Runs several `ip` commands in one process (`ip -batch -`): one fork instead of one per step,
 *  for the endpoint set-up on the connect path (bench/attach.ts). Stops at the first failing line. */
export async function runIpBatch(ns: NsRef, lines: readonly string[], what: string, code = 'ENETNS_COMMAND'): Promise<void> {
  const [file, argv] = ipArgv(ns, ['-batch', '-']);
  try {
    await execProgram(file, argv, lines.join('\n') + '\n');
  } catch (err) {
    throw foldError(err, `${what} failed in ${describeNs(ns)}`, code);
  }
}

/** Runs an `ip -j` command and parses its JSON output (empty output is an empty list). */
export async function runIpJson<T>(ns: NsRef, args: readonly string[], what: string, code = 'ENETNS_COMMAND'): Promise<T[]> {
  const out = await runIp(ns, ['-j', ...args], what, code);
  if (out.trim() === '') return [];
  try {
    return JSON.parse(out) as T[];
  } catch (err) {
    throw new TsnetError(code, 'internal', `${what} in ${describeNs(ns)} printed output that is not JSON: is iproute2 older than 4.13?`, { cause: err });
  }
}

/** Turns a child-process failure into a TsnetError with one sentence. */
export function foldError(err: unknown, prefix: string, code: string, fallback: ErrorCategory = 'internal'): TsnetError {
  const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; signal?: string };
  if (e.code === 'ENOENT' && typeof e.path === 'string') {
    return new TsnetError('ETOOL_MISSING', 'internal', `${prefix}: the program ${e.path} is not installed (install iproute2 and util-linux).`, { cause: err });
  }
  if (e.killed || e.signal) {
    return new TsnetError(code, 'unavailable', `${prefix}: the command did not finish in ${IP_TIMEOUT_MS / 1000} s.`, { cause: err });
  }
  const stderr = typeof e.stderr === 'string' ? e.stderr : e.message ?? String(err);
  return new TsnetError(code, categoryOf(stderr, fallback), `${prefix}: ${foldStderr(stderr)}.`, { cause: err });
}
