// Typed errors for every layer. Each error has a stable `code` and a `category` that fixes the
// HTTP status on the API and the exit code of the CLI (convention 8: undici lib/core/errors.js,
// libnetwork types/types.go). The API sends {code, message}; the client rebuilds the error with
// `errorFromWire`. Messages are one sentence a user can act on.

export type ErrorCategory =
  | 'bad-request' // invalid input from the user (400, exit 2)
  | 'not-found' // unknown network, container, endpoint (404, exit 3)
  | 'conflict' // duplicate name, address in use, still in use (409, exit 4)
  | 'forbidden' // missing privilege (403, exit 5)
  | 'unavailable' // daemon or peer not reachable (503, exit 6)
  | 'internal'; // a bug or an unexpected system failure (500, exit 1)

export const CATEGORY_HTTP_STATUS: Record<ErrorCategory, number> = {
  'bad-request': 400,
  'not-found': 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  internal: 500,
};

export const CATEGORY_EXIT_CODE: Record<ErrorCategory, number> = {
  'bad-request': 2,
  'not-found': 3,
  conflict: 4,
  forbidden: 5,
  unavailable: 6,
  internal: 1,
};

export class TsnetError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  constructor(code: string, category: ErrorCategory, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TsnetError';
    this.code = code;
    this.category = category;
  }
  toWire(): { code: string; category: ErrorCategory; message: string } {
    return { code: this.code, category: this.category, message: this.message };
  }
}

export const badRequest = (code: string, message: string) => new TsnetError(code, 'bad-request', message);
export const notFound = (code: string, message: string) => new TsnetError(code, 'not-found', message);
export const conflict = (code: string, message: string) => new TsnetError(code, 'conflict', message);
export const forbidden = (code: string, message: string) => new TsnetError(code, 'forbidden', message);
export const unavailable = (code: string, message: string) => new TsnetError(code, 'unavailable', message);
export const internal = (code: string, message: string, cause?: unknown) =>
  new TsnetError(code, 'internal', message, { cause });

const CATEGORIES = new Set<string>(Object.keys(CATEGORY_HTTP_STATUS));

/** Rebuilds an error sent by the API as {code, category, message}. */
export function errorFromWire(body: unknown): TsnetError {
  const b = (body ?? {}) as { code?: unknown; category?: unknown; message?: unknown };
  const category = typeof b.category === 'string' && CATEGORIES.has(b.category) ? (b.category as ErrorCategory) : 'internal';
  const code = typeof b.code === 'string' ? b.code : 'EUNKNOWN';
  const message = typeof b.message === 'string' ? b.message : 'the daemon returned an error without a message.';
  return new TsnetError(code, category, message);
}

/** Any thrown value as a TsnetError (unknown errors become 'internal'). */
export function asTsnetError(err: unknown): TsnetError {
  if (err instanceof TsnetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return internal('EINTERNAL', message, err);
}
