// Mounts a framework-free Route (core/http.ts) on the uWS app: copies the request synchronously,
// reads the body under the route's cap, runs the handler, and writes its answer (or streams it
// with backpressure) inside cork. Errors become the one JSON error shape.
import { BeaconryError } from '../../core/errors.js';
import type { ApiRequest, ApiResponse, Route } from '../../core/http.js';
import { metrics } from '../../core/metrics.js';
import type { ClientIpResolver } from './client-ip.js';
import { readBody } from './read-body.js';
import { send, sendError, statusLine, type ResponseState } from './respond.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

const DEFAULT_MAX_BODY = 64 * 1024;

export function mountRoute(app: TemplatedApp, route: Route, ips: ClientIpResolver): void {
  const names = [...route.pattern.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'del' | 'options';
  const register = (method === ('delete' as string) ? app.del : app[method]).bind(app);
  const label = route.name ?? route.pattern;
  register(route.pattern, (res: HttpResponse, req: HttpRequest) => {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      params[n] = decodeURIComponent(req.getParameter(i) ?? '');
    });
    const base = {
      method: route.method,
      path: req.getUrl(),
      query: new URLSearchParams(req.getQuery() ?? ''),
      headers,
      params,
      ip: ips.resolve(Buffer.from(res.getRemoteAddressAsText()).toString(), { xff: headers['x-forwarded-for'] ?? '', realIp: headers['x-real-ip'] ?? '' }),
    };
    const maxBody = route.maxBody ?? DEFAULT_MAX_BODY;
    const run = (body: Uint8Array): void => {
      const apiReq: ApiRequest = { ...base, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
      Promise.resolve()
        .then(() => route.handler(apiReq))
        .then((r) => write(res, state, r, label))
        .catch((err: unknown) => {
          if (!(err instanceof BeaconryError)) console.error(JSON.stringify({ level: 'error', msg: 'route failed', route: label, err: String((err as Error)?.stack ?? err) }));
          metrics.requests.inc({ route: label, status: String(err instanceof BeaconryError ? err.status : 500) });
          sendError(res, state, err instanceof BeaconryError ? err : new BeaconryError('BEACONRY_ERR_INTERNAL'));
        });
    };
    if (route.method === 'GET' || route.method === 'OPTIONS' || route.method === 'DELETE') {
      // uWS still needs the request drained when a body arrives anyway; GETs rarely have one.
      const len = Number(headers['content-length'] ?? '0');
      if (!len) return run(new Uint8Array(0));
    }
    const declared = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
    if (declared !== undefined && declared > maxBody) return sendError(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', {}, true);
    readBody(res, maxBody, declared, run, () => sendError(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', {}, true));
  });
}

function write(res: HttpResponse, state: ResponseState, r: ApiResponse, label: string): void {
  metrics.requests.inc({ route: label, status: String(r.status) });
  if (!r.stream) return send(res, state, r.status, r.headers ?? {}, r.body ?? '');
  void stream(res, state, r);
}

/** Streams an async iterable body, pausing on uWS backpressure until the socket drains. */
async function stream(res: HttpResponse, state: ResponseState, r: ApiResponse): Promise<void> {
  if (state.aborted || state.done) return;
  res.cork(() => {
    res.writeStatus(statusLine(r.status));
    for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
  });
  try {
    for await (const chunk of r.stream!) {
      if (state.aborted) return;
      let ok = false;
      res.cork(() => {
        ok = res.write(chunk);
      });
      if (!ok) {
        await new Promise<void>((resolve) => {
          res.onWritable(() => {
            resolve();
            return true;
          });
        });
      }
    }
    if (!state.aborted) {
      state.done = true;
      res.cork(() => res.end());
    }
  } catch {
    if (!state.aborted) {
      state.done = true;
      res.close();
    }
  }
}
