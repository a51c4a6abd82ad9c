// Small HTTP+JSON helpers shared by the daemon API server and the Docker plugin server: read a
// request body with a size limit and parse it as JSON whatever the Content-Type (Docker sends none),
// and write a JSON response. Bad JSON becomes a bad-request TsnetError, never an exception that
// escapes a handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../errors.js';

/** Largest request body accepted (our choice: API and plugin bodies are a few KB). */
export const MAX_BODY_BYTES = 1 << 20;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest('EBODY_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
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
