// Streaming GETs over the daemon's unix socket, for the live views: `tsnet trace` reads ndjson lines
// as the daemon writes them, `tsnet capture` copies pcap bytes to a file or stdout. An error status
// is turned back into the daemon's TsnetError (like ApiClient); an absent daemon is one sentence.
// The stream ends when the daemon ends it (count reached, network removed) or when `signal` aborts.
import { request, type IncomingMessage } from 'node:http';
import { errorFromWire, unavailable, forbidden, type TsnetError } from '../errors.js';

export interface StreamOptions {
  socketPath: string;
  path: string;
  signal?: AbortSignal;
}

function connectError(socketPath: string, err: NodeJS.ErrnoException): TsnetError {
  if (err.code === 'EACCES' || err.code === 'EPERM') return forbidden('EAPI_PERMISSION', `permission denied on ${socketPath}; run tsnet as root.`);
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return unavailable('EDAEMON_DOWN', `cannot reach the tsnet daemon at ${socketPath}; start it with \`tsnet daemon\`.`);
  }
  return unavailable('EAPI_IO', `lost the connection to the tsnet daemon at ${socketPath}: ${err.message}.`);
}

function readError(res: IncomingMessage): Promise<TsnetError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', () => resolve(unavailable('EAPI_IO', 'the tsnet daemon closed the connection while sending an error.')));
    res.on('end', () => {
      try {
        resolve(errorFromWire(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch {
        resolve(unavailable('EBAD_RESPONSE', `the tsnet daemon answered ${res.statusCode} without a readable error.`));
      }
    });
  });
}

/** Calls onChunk for every chunk of the response body; resolves when the stream ends (or is aborted). */
export function streamGet(o: StreamOptions, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return resolve();
    const req = request({ socketPath: o.socketPath, method: 'GET', path: o.path }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        void readError(res).then(reject);
        return;
      }
      res.on('data', (c: Buffer) => {
        try {
          onChunk(c);
        } catch (err) {
          req.destroy();
          reject(err);
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve()); // aborted by us or the daemon went away mid-stream
      res.on('close', () => resolve());
    });
    const onAbort = () => {
      req.destroy();
      resolve();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (o.signal?.aborted) resolve();
      else reject(connectError(o.socketPath, err));
    });
    req.end();
  });
}

/** Streams ndjson: onLine gets each parsed line; a line that is not JSON is skipped. */
export function streamNdjson<T>(o: StreamOptions, onLine: (v: T) => void): Promise<void> {
  let rest = '';
  return streamGet(o, (chunk) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      if (l.trim() === '') continue;
      let v: T;
      try {
        v = JSON.parse(l) as T;
      } catch {
        continue;
      }
      onLine(v);
    }
  });
}
