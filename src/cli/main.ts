#!/usr/bin/env -S node --no-memory-reducer
// tsnet's command line: `tsnet [--host SOCKET] COMMAND ...`. Each command turns argv into one call
// of the daemon API and prints a Docker-shaped table or JSON; `tsnet daemon` runs the daemon and
// `tsnet switch` runs one network's switch in the foreground. Errors print one sentence and exit
// with the code of their category (src/errors.ts).
// The shebang turns V8's memory reducer off for the data-plane processes this starts (tsnet daemon,
// tsnet switch): its mark-compacts when allocation slows down stalled forwarding for 5-44 ms (lab A/B
// in bench/README.md, "p99.9"); the heap then keeps its high-water mark (tens of MB).
import { ApiClient, DEFAULT_SOCKET } from '../api/client.js';
import { asTsnetError, badRequest, CATEGORY_EXIT_CODE } from '../errors.js';
import { execCommand, inspectCommand, psCommand, rmCommand, runCommand } from './container-commands.js';
import { networkCommand } from './network-commands.js';
import { eventsCommand } from './events-command.js';
import { logsCommand, restartCommand, startCommand, stopCommand } from './lifecycle-commands.js';
import { infoCommand, statsCommand } from './info-commands.js';
import { commandUsage, USAGE } from './usage.js';
import { HelpRequested } from './args.js';
import { captureCommand, fdbCommand, peersCommand, traceCommand } from './observe-commands.js';
import { VERSION } from './version.js';

const out = (line: string) => process.stdout.write(line + '\n');

export async function main(argv: string[]): Promise<number> {
  let socket = process.env.TSNET_SOCKET || DEFAULT_SOCKET;
  let args = argv;
  while (args[0] === '-H' || args[0] === '--host' || args[0]?.startsWith('--host=')) {
    if (args[0].startsWith('--host=')) {
      socket = args[0].slice('--host='.length);
      args = args.slice(1);
    } else {
      if (!args[1]) throw badRequest('EBAD_FLAG', '--host needs the path of the daemon socket.');
      socket = args[1];
      args = args.slice(2);
    }
  }
  socket = socket.replace(/^unix:\/\//, '');
  const [cmd, ...rest] = args;
  const api = new ApiClient(socket);
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    case 'version':
    case '--version':
    case '-v':
      out(`tsnet ${VERSION}`);
      return 0;
    case 'daemon': {
      const { daemonCommand } = await import('../daemon/daemon-command.js');
      return daemonCommand(rest, socket);
    }
    case 'switch': {
      const { runSwitchCommand } = await import('./switch-command.js');
      return runSwitchCommand(rest);
    }
    case 'network':
      return networkCommand(api, rest, out);
    case 'run':
      return runCommand(api, rest, out);
    case 'exec':
      return execCommand(api, rest);
    case 'ps':
      return psCommand(api, rest, out);
    case 'rm':
      return rmCommand(api, rest, out);
    case 'inspect':
      return inspectCommand(api, rest, out);
    case 'stop':
      return stopCommand(api, rest, out);
    case 'start':
      return startCommand(api, rest, out);
    case 'restart':
      return restartCommand(api, rest, out);
    case 'logs':
      return logsCommand(api, rest);
    case 'events':
      return eventsCommand(api, rest, out);
    case 'info':
      return infoCommand(api, rest, out);
    case 'stats':
      return statsCommand(api, rest, out);
    case 'fdb':
      return fdbCommand(api, rest, out);
    case 'peers':
      return peersCommand(api, rest, out);
    case 'trace':
      return traceCommand(api, rest, out);
    case 'capture':
      return captureCommand(api, rest);
    default:
      throw badRequest('EBAD_COMMAND', `unknown command "${cmd}"; run \`tsnet help\` for the list.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HelpRequested) {
      out(commandUsage(err.command, err.specs));
      return;
    }
    const e = asTsnetError(err);
    process.stderr.write(`tsnet: ${e.message}\n`);
    if (process.env.TSNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = CATEGORY_EXIT_CODE[e.category];
  },
);
