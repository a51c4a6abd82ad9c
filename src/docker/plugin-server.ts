// The Docker plugin's HTTP server on a unix socket (default /run/docker/plugins/tsnet.sock: dockerd
// finds it there and calls the driver "tsnet"). Speaks Docker's legacy plugin protocol: POST with a
// JSON body (Docker sends an Accept header and no Content-Type), a JSON answer. A failed verb answers
// HTTP 200 with {"Err": "..."} for the network driver or {"Error": "..."} for IPAM, as Docker's
// remote drivers read them; a body that is not JSON or an unknown verb answers 400/404 with the same
// field, so Docker shows the sentence. No request ever takes the server down. Built by
// startPluginServer (plugin-main.ts, or the daemon with --docker-plugin).
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ApiClient } from '../api/client.js';
import { discardBody, readJsonBody, sendJson } from '../api/http-json.js';
import { socketIsLive } from '../api/server.js';
import { asTsnetError, unavailable } from '../errors.js';
import { pluginVerbs, type PluginOptions } from './plugin-handlers.js';
import { createEndpointNamer } from './endpoint-names.js';
import { createHostsFileKeeper } from './hosts-file.js';
import { startNetworkMirror } from './network-mirror.js';
import { DEFAULT_DOCKER_SOCKET } from './dockerd-api.js';
import { DOCKER_API } from '../control/docker-protocol.js';

interface DockerSummary {
  Endpoints?: Array<{ EndpointID: string; SandboxKey: string }>;
}

// --- from the spec (Docker plugin discovery: docs/extend/plugin_api.md) ---
export const DEFAULT_PLUGIN_SOCKET = '/run/docker/plugins/tsnet.sock';

export interface PluginServerOptions extends PluginOptions {
  /** where dockerd looks for the plugin; the file name (minus .sock) is the driver name */
  socketPath?: string;
  /** the tsnet daemon's API socket */
  apiSocket: string;
  /** dockerd's API socket, asked for container names (default: found from the SandboxKey, see dockerd-api.ts) */
  dockerSocket?: string;
  log?: (msg: string) => void;
}

export interface PluginServer {
  readonly socketPath: string;
  stop(): Promise<void>;
}

export async function startPluginServer(opts: PluginServerOptions): Promise<PluginServer> {
  const socketPath = opts.socketPath ?? DEFAULT_PLUGIN_SOCKET;
  const log = opts.log ?? (() => undefined);
  const api = new ApiClient(opts.apiSocket);
  const hosts = createHostsFileKeeper({ api, log });
  const namer = createEndpointNamer({ api, dockerSocket: opts.dockerSocket, hosts, log });
  const verbs = pluginVerbs(api, { ...opts, onJoined: (id, key) => namer.joined(id, key), onLeft: (id) => hosts.forget(id) });
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  if (await socketIsLive(socketPath)) {
    throw unavailable('EPLUGIN_SOCKET_IN_USE', `another plugin already listens on ${socketPath}; stop it or pass another --plugin-socket.`);
  }
  await unlink(socketPath).catch(() => undefined);

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://plugin').pathname;
      const verb = verbs.get(path);
      const field = verb?.errorField ?? (path.startsWith('/IpamDriver.') ? 'Error' : 'Err');
      const reply = async (status: number, body: unknown) => {
        if (res.headersSent) return void res.destroy();
        await discardBody(req).catch(() => undefined); // an answer before the body: see http-json.ts
        if (!res.headersSent) sendJson(res, status, body);
      };
      try {
        if (req.method !== 'POST') return reply(405, { [field]: `the tsnet plugin answers POST only, not ${req.method}.` });
        if (!verb) return reply(404, { [field]: `the tsnet plugin has no verb ${path}.` });
        let body: unknown;
        try {
          body = await readJsonBody(req);
        } catch (err) {
          return reply(400, { [field]: asTsnetError(err).message });
        }
        const answer = await verb.handle(body);
        await reply(200, answer ?? {});
      } catch (err) {
        const e = asTsnetError(err);
        log(`${path}: ${e.code}: ${e.message}`);
        await reply(200, { [field]: e.message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // dockerd runs as root; nobody else needs to talk to the plugin
  await chmod(socketPath, 0o600);
  log(`tsnet Docker plugin listening on ${socketPath} (daemon API ${opts.apiSocket})`);
  const mirror = startNetworkMirror({ api, dockerSocket: opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET, driver: basename(socketPath, '.sock'), log });
  // containers Docker joined before this plugin started (a restarted `tsnet daemon --docker-plugin`):
  // Docker does not join them again, so their hosts files are picked up from the daemon's records
  api.get(DOCKER_API.summary).then(
    (summary) => {
      for (const e of (summary as DockerSummary).Endpoints ?? []) if (e.SandboxKey) namer.joined(e.EndpointID, e.SandboxKey);
    },
    (err: unknown) => log(`joined containers not picked up again: ${asTsnetError(err).message}`),
  );
  return {
    socketPath,
    stop: () =>
      new Promise<void>((resolve) => {
        namer.stop();
        hosts.stop();
        mirror.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => unlink(socketPath).catch(() => undefined)),
  };
}
