#!/usr/bin/env node
// `node dist/src/docker/plugin-main.js [--api SOCKET] [--plugin-socket PATH] [--scope local|global]`:
// runs the tsnet Docker network + IPAM plugin as its own process, translating Docker's plugin calls
// into tsnet daemon API calls, until SIGINT/SIGTERM. It outlives daemon restarts (calls made while the
// daemon is down fail with one sentence, Docker shows it). The daemon can also run the same server
// itself (`tsnet daemon --docker-plugin`). Needs root only to write under /run/docker/plugins.
import { parseArgs, str, needPositionals } from '../cli/args.js';
import { DEFAULT_SOCKET } from '../api/client.js';
import { asTsnetError, badRequest, CATEGORY_EXIT_CODE } from '../errors.js';
import { DEFAULT_PLUGIN_SOCKET, startPluginServer } from './plugin-server.js';

const USAGE = `Usage: plugin-main [--api SOCKET] [--plugin-socket PATH] [--scope local|global] [--docker-socket PATH]

  --api SOCKET          the tsnet daemon's API socket (default ${DEFAULT_SOCKET}, or $TSNET_SOCKET)
  --plugin-socket PATH  where dockerd finds the plugin (default ${DEFAULT_PLUGIN_SOCKET}: driver "tsnet")
  --scope SCOPE         the scope reported to Docker: local (default) or global
  --docker-socket PATH  dockerd's API: container names, and the Docker networks made for global tsnet
                        networks (default: beside dockerd's exec root for names, else /var/run/docker.sock)`;

export async function pluginMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { api: { type: 'string' }, 'plugin-socket': { type: 'string' }, scope: { type: 'string' }, 'docker-socket': { type: 'string' }, help: { type: 'boolean' } }, 'plugin-main');
  if (a.flags.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  needPositionals(a, 0, 0, 'plugin-main [OPTIONS]');
  const scope = str(a, 'scope') ?? 'local';
  if (scope !== 'local' && scope !== 'global') throw badRequest('EBAD_FLAG', `--scope must be local or global, not "${scope}".`);
  const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  const server = await startPluginServer({
    apiSocket: str(a, 'api') ?? process.env.TSNET_SOCKET ?? DEFAULT_SOCKET,
    socketPath: str(a, 'plugin-socket') ?? DEFAULT_PLUGIN_SOCKET,
    scope,
    dockerSocket: str(a, 'docker-socket'),
    log,
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.stop();
  return 0;
}

pluginMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = asTsnetError(err);
    process.stderr.write(`tsnet docker plugin: ${e.message}\n`);
    process.exit(CATEGORY_EXIT_CODE[e.category]);
  },
);
