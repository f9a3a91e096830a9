// Every refusal Beaconry gives at an I/O edge: one code, one HTTP status, one JSON body shape.
// Routes throw or return a BeaconryError; the edge turns it into a response here and nowhere else.

export const ERRORS = {
  BEACONRY_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than allowed for this key.' },
  BEACONRY_ERR_UNAUTHORIZED: { status: 401, message: 'Unknown or revoked key.' },
  BEACONRY_ERR_FORBIDDEN_SITE: { status: 403, message: 'This key cannot write to the site named in the batch.' },
  BEACONRY_ERR_RATE_LIMITED: { status: 429, message: 'Rate limit exceeded for this key; retry after the time in Retry-After.' },
  BEACONRY_ERR_OVERLOADED: { status: 503, message: 'The ingest queues are full; retry after the time in Retry-After.' },
  BEACONRY_ERR_NOT_DURABLE: { status: 503, message: 'Events cannot be persisted right now (log write failed or disk nearly full).' },
  BEACONRY_ERR_NOT_READY: { status: 503, message: 'The server is starting or replaying its log.' },
  BEACONRY_ERR_MALFORMED: { status: 400, message: 'The body is not a valid batch.' },
  BEACONRY_ERR_BAD_REQUEST: { status: 400, message: 'The request is invalid.' },
  BEACONRY_ERR_UNKNOWN_SITE: { status: 400, message: 'Website not found.' },
  BEACONRY_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'Send JSON or msgpack (application/json, application/msgpack, text/plain or no content type).' },
  BEACONRY_ERR_NOT_FOUND: { status: 404, message: 'Not found.' },
  BEACONRY_ERR_METHOD: { status: 405, message: 'Method not allowed.' },
  BEACONRY_ERR_CONFLICT: { status: 409, message: 'Conflicts with an existing resource.' },
  BEACONRY_ERR_CSRF: { status: 403, message: 'Cross-site request refused.' },
  BEACONRY_ERR_INTERNAL: { status: 500, message: 'Internal error.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class BeaconryError extends Error {
  override name = 'BeaconryError';
  constructor(
    readonly code: ErrorCode,
    message?: string,
    /** Extra response headers (Retry-After, RateLimit-*). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extra JSON fields for the body (details of a validation failure). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message ?? ERRORS[code].message);
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Whose error body to answer with. The Plausible and Umami drop-in endpoints answer in their
 * clients' shapes (`{"errors":{field:[…]}}`, `{"error":{message,code,status}}`), with our code in
 * the `x-beaconry-error` header; everything else in ours.
 */
export type ErrorDialect = 'beaconry' | 'plausible' | 'umami';

/** Umami's `code` slugs (src/lib/response.ts), by status. */
const UMAMI_CODES: Record<number, string> = {
  400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict',
  413: 'payload-too-large', 415: 'bad-request', 429: 'too-many-requests', 500: 'server-error', 503: 'service-unavailable',
};

/** The JSON body of an error in a dialect (Umami's batch answer nests these per item). */
export function errorBody(e: BeaconryError, dialect: ErrorDialect = 'beaconry'): unknown {
  if (dialect === 'beaconry') return { error: { code: e.code, message: e.message, ...e.details } };
  // Field errors (`details.errors`) as Plausible's changeset traversal gives them; anything else under "request".
  if (dialect === 'plausible') return { errors: e.details?.errors ?? { request: [e.message] } };
  return { error: { message: e.message, code: UMAMI_CODES[e.status] ?? 'bad-request', status: e.status } };
}

/** The one place an error becomes an HTTP answer: `{"error":{"code","message",...details}}`, or a drop-in client's shape. */
export function errorResponse(err: unknown, dialect: ErrorDialect = 'beaconry'): ErrorResponse {
  const e = err instanceof BeaconryError ? err : new BeaconryError('BEACONRY_ERR_INTERNAL');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...e.headers };
  if (dialect !== 'beaconry') headers['x-beaconry-error'] = e.code;
  return { status: e.status, headers, body: JSON.stringify(errorBody(e, dialect)) };
}
