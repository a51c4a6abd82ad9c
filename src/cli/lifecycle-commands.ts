// `tsnet stop|start|restart|logs`: a container's process over its life, as Docker's verbs of the
// same names (the namespace and its endpoints stay; `rm` removes them). argv -> API calls.
import type { ApiClient } from '../api/client.js';
import { streamGet } from '../api/stream-client.js';
import { badRequest } from '../errors.js';
import { bool, needPositionals, parseArgs, str } from './args.js';
import { interruptSignal } from './observe-commands.js';

type Out = (line: string) => void;
const enc = encodeURIComponent;

function timeoutArg(a: ReturnType<typeof parseArgs>): number | undefined {
  const t = str(a, 'time');
  if (t === undefined) return undefined;
  if (!/^\d+$/.test(t)) throw badRequest('EBAD_ARGS', `-t takes whole seconds to wait before killing, not "${t}".`);
  return Number(t);
}

/** Parses `[-t SECONDS] CONTAINER...` (or just the containers), runs `act` for each, printing its name. */
async function eachContainer(argv: string[], command: string, withTimeout: boolean, out: Out, act: (path: string, body: object) => Promise<void>): Promise<number> {
  const a = parseArgs(argv, withTimeout ? { time: { short: 't', type: 'string' } } : {}, `tsnet ${command}`);
  needPositionals(a, 1, Infinity, `tsnet ${command}${withTimeout ? ' [-t SECONDS]' : ''} CONTAINER...`);
  const timeout = withTimeout ? timeoutArg(a) : undefined;
  for (const name of a.positionals) {
    await act(`/v1/containers/${enc(name)}`, timeout === undefined ? {} : { timeout });
    out(name);
  }
  return 0;
}

/** stop [-t SECONDS] CONTAINER...: SIGTERM, then SIGKILL after the grace time (10 s by default). */
export const stopCommand = (api: ApiClient, argv: string[], out: Out) =>
  eachContainer(argv, 'stop', true, out, async (path, body) => void (await api.post(`${path}/stop`, body)));

/** start CONTAINER...: the command again, detached, in the same namespace with the same endpoints. */
export const startCommand = (api: ApiClient, argv: string[], out: Out) =>
  eachContainer(argv, 'start', false, out, async (path) => void (await api.post(`${path}/start`, {})));

export const restartCommand = (api: ApiClient, argv: string[], out: Out) =>
  eachContainer(argv, 'restart', true, out, async (path, body) => {
    await api.post(`${path}/stop`, body);
    await api.post(`${path}/start`, {});
  });

/** logs [-f] [--tail N] CONTAINER: the detached command's output; -f follows it until it stops or Ctrl-C. */
export async function logsCommand(api: ApiClient, argv: string[]): Promise<number> {
  const a = parseArgs(argv, { follow: { short: 'f', type: 'boolean' }, tail: { short: 'n', type: 'string' } }, 'tsnet logs');
  needPositionals(a, 1, 1, 'tsnet logs [-f] [--tail N] CONTAINER');
  const q = new URLSearchParams();
  if (bool(a, 'follow')) q.set('follow', '1');
  const tail = str(a, 'tail');
  if (tail !== undefined) q.set('tail', tail);
  const intr = interruptSignal();
  try {
    await streamGet({ socketPath: api.socketPath, path: `/v1/containers/${enc(a.positionals[0]!)}/logs${q.size ? `?${q}` : ''}`, signal: intr.signal }, (chunk) => {
      process.stdout.write(chunk);
    });
  } finally {
    intr.dispose();
  }
  await new Promise<void>((resolve) => (process.stdout.writableLength === 0 ? resolve() : process.stdout.once('drain', () => resolve())));
  return 0;
}
