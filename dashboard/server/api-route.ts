// How every dashboard API route is built: security headers and no-store on every answer (errors
// too, which is why errors are turned into responses here rather than by the edge), the CSRF checks
// on every state-changing method, the access token when the route needs a user, and JSON bodies.
import { BeaconryError, errorResponse } from '../../core/errors.js';
import type { ApiRequest, ApiResponse, Route } from '../../core/http.js';
import type { AccessClaims, AccessTokens } from './access-tokens.js';
import { unauthorized } from './access-tokens.js';
import { checkCsrf } from './csrf.js';

export interface RouteContext {
  req: ApiRequest;
  /** The parsed JSON body ({} for bodiless methods). */
  body: Record<string, unknown>;
}

export interface AuthedContext extends RouteContext {
  auth: AccessClaims;
}

export interface RouteKit {
  readonly headers: Readonly<Record<string, string>>;
  readonly tokens: AccessTokens;
}

type Method = Route['method'];

const JSON_TYPE = /^application\/json\s*(;|$)/i;

function parseBody(req: ApiRequest): Record<string, unknown> {
  if (req.method === 'GET' || req.body.length === 0) return {};
  // Requiring application/json also means no HTML form can reach these routes.
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) throw new BeaconryError('BEACONRY_ERR_UNSUPPORTED_MEDIA', 'Send the body as application/json.');
  let value: unknown;
  try {
    value = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'The body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'The body must be a JSON object.');
  return value as Record<string, unknown>;
}

export function withHeaders(kit: Pick<RouteKit, 'headers'>, r: ApiResponse): ApiResponse {
  return { ...r, headers: { ...kit.headers, 'cache-control': 'no-store', ...r.headers } };
}

export function errorWithHeaders(kit: Pick<RouteKit, 'headers'>, err: unknown): ApiResponse {
  if (!(err instanceof BeaconryError)) {
    console.error(JSON.stringify({ level: 'error', msg: 'dashboard route failed', err: String((err as Error)?.stack ?? err) }));
  }
  const e = errorResponse(err);
  return withHeaders(kit, { status: e.status, headers: e.headers, body: e.body });
}

/** A route open to anyone (login, refresh, setup): still CSRF-checked when it changes state. */
export function publicRoute(kit: RouteKit, method: Method, pattern: string, handler: (ctx: RouteContext) => Promise<ApiResponse>): Route {
  return {
    method,
    pattern,
    name: `dashboard ${method} ${pattern}`,
    async handler(req) {
      try {
        if (method !== 'GET') checkCsrf(req);
        return withHeaders(kit, await handler({ req, body: parseBody(req) }));
      } catch (err) {
        return errorWithHeaders(kit, err);
      }
    },
  };
}

/** A route for a signed-in user: `Authorization: Bearer <access token>`. */
export function userRoute(kit: RouteKit, method: Method, pattern: string, handler: (ctx: AuthedContext) => Promise<ApiResponse>): Route {
  return publicRoute(kit, method, pattern, async (ctx) => {
    const auth = await kit.tokens.fromHeader(ctx.req.headers.authorization);
    if (!auth) throw unauthorized();
    return handler({ ...ctx, auth });
  });
}

export function notFound(what = 'Not found.'): BeaconryError {
  return new BeaconryError('BEACONRY_ERR_NOT_FOUND', what);
}

export function badRequest(message: string, field?: string): BeaconryError {
  return new BeaconryError('BEACONRY_ERR_BAD_REQUEST', message, {}, field ? { field } : undefined);
}
