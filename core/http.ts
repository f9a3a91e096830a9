// The narrow HTTP contract every non-hot-path route is written against, so that only ingest/edge
// imports uWebSockets.js. The edge reads the request synchronously into an ApiRequest, calls the
// handler, and writes the ApiResponse inside one cork.

export interface ApiRequest {
  readonly method: string; // upper case
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Client address after trusted-proxy resolution. Memory only: never log, store or label it. */
  readonly ip: string;
  /** Route parameters from `:name` segments of the pattern. */
  readonly params: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Streamed body (exports): written chunk by chunk with backpressure. */
  stream?: AsyncIterable<Uint8Array>;
}

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse> | ApiResponse;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** `/api/v1/sites/:id` style. */
  readonly pattern: string;
  readonly handler: ApiHandler;
  /** Body cap for this route (default 64 KiB). */
  readonly maxBody?: number;
  /** Label for metrics (bounded). Defaults to the pattern. */
  readonly name?: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}
