// Writing answers with uWS: always inside one cork, never after the client went away, and errors
// through the one mapping in core/errors.ts (counted by status and code).
import { BeaconryError, errorResponse, type ErrorCode } from '../../core/errors.js';
import { metrics } from '../../core/metrics.js';
import type { HttpResponse } from './uws.js';

export interface ResponseState {
  aborted: boolean;
  done: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Status'}`;
}

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
};

export function send(
  res: HttpResponse,
  state: ResponseState,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
  closeConnection = false,
): void {
  if (state.aborted || state.done) return;
  state.done = true;
  res.cork(() => {
    res.writeStatus(statusLine(status));
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(body, closeConnection);
  });
}

export function sendError(
  res: HttpResponse,
  state: ResponseState,
  err: BeaconryError | ErrorCode,
  extraHeaders: Record<string, string> = {},
  closeConnection = false,
): void {
  const e = typeof err === 'string' ? new BeaconryError(err) : err;
  const r = errorResponse(e);
  metrics.requestsRejected.inc({ status: String(r.status), code: e.code });
  send(res, state, r.status, { ...r.headers, ...extraHeaders }, r.body, closeConnection);
}
