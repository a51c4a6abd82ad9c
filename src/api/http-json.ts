// Small HTTP+JSON helpers shared by the daemon API server and the Docker plugin server: read a
// request body with a size limit and parse it as JSON whatever the Content-Type (Docker sends none),
// and write a JSON response. Bad JSON becomes a bad-request TsnetError, never an exception that
// escapes a handler. A body that is refused or not needed is read and thrown away before the answer
// (nginx's lingering close): the server closes a connection after answering, and a client still
// sending into it then fails with EPIPE instead of reading the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../errors.js';

/** Largest request body accepted (our choice: API and plugin bodies are a few KB). */
export const MAX_BODY_BYTES = 1 << 20;
/** Largest body read only to be thrown away (our choice): past it the connection is cut, and such a
 *  client gets no answer. */
export const MAX_DISCARDED_BYTES = 64 << 20;

/** Reads and throws away what is left of a request body (up to MAX_DISCARDED_BYTES), so that an answer
 *  that does not need it reaches the client. */
export async function discardBody(req: IncomingMessage): Promise<void> {
  if (req.complete) return;
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DISCARDED_BYTES) break; // ends the iteration, which destroys the request
  }
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
    else if (size > MAX_DISCARDED_BYTES) break;
  }
  if (size > MAX_BODY_BYTES) throw badRequest('EBODY_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes.`);
  if (size === 0) return {};
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('EBAD_JSON', 'request body is not valid JSON.');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
