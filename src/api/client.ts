// Typed client of the daemon API over its unix socket. The CLI, the Docker plugin and the tests all
// configure tsnet through it. Errors sent by the daemon are rebuilt as TsnetErrors; an absent daemon
// becomes one sentence telling the user how to start it.
import { request } from 'node:http';
import { errorFromWire, forbidden, unavailable, TsnetError } from '../errors.js';

export const DEFAULT_SOCKET = '/run/tsnet/tsnet.sock';

export class ApiClient {
  constructor(readonly socketPath: string = DEFAULT_SOCKET) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              reject(unavailable('EBAD_RESPONSE', `the tsnet daemon at ${this.socketPath} sent a response that is not JSON.`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) reject(errorFromWire(parsed));
            else resolve(parsed as T);
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.connectError(err)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private connectError(err: NodeJS.ErrnoException): TsnetError {
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return forbidden('EAPI_PERMISSION', `permission denied on ${this.socketPath}; run tsnet as root.`);
    }
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return unavailable('EDAEMON_DOWN', `cannot reach the tsnet daemon at ${this.socketPath}; start it with \`tsnet daemon\`.`);
    }
    return unavailable('EAPI_IO', `lost the connection to the tsnet daemon at ${this.socketPath}: ${err.message}.`);
  }
}
