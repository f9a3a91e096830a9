// The uWebSockets.js app: the ingest hot path, CORS preflights, health, metrics, and every other
// route mounted through the framework-free adapter. The only module tree that imports uWS.
import type { Config } from '../../core/config.js';
import { errorResponse, BeaconryError } from '../../core/errors.js';
import type { Route } from '../../core/http.js';
import { metrics, registry } from '../../core/metrics.js';
import type { KeyRegistry } from '../registry/key-registry.js';
import type { ErrorCode } from '../../core/errors.js';
import { ingestRates, makeBatchHandler } from './batch-route.js';
import { ClientIpResolver } from './client-ip.js';
import type { Dispatcher } from './dispatcher.js';
import type { WireFormat } from '../pipeline/process-request.js';
import { send, sendError } from './respond.js';
import { mountRoute } from './route-adapter.js';
import { uws, type us_listen_socket } from './uws.js';

export interface EdgeDeps {
  config: Config;
  keys: KeyRegistry;
  dispatcher: Dispatcher;
  /** Readiness: undefined when ready, else the reason. */
  notReady: () => { code: ErrorCode; reason: string } | undefined;
  routes: readonly Route[];
}

export interface Edge {
  port: number;
  close(): void;
}

const PREFLIGHT = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  // Umami's tracker sends x-umami-cache, and newer ones x-umami-website-id and x-umami-hostname too.
  'Access-Control-Allow-Headers': 'content-type, authorization, x-umami-cache, x-umami-website-id, x-umami-hostname',
  'Access-Control-Max-Age': '86400',
};

/** The native batch, and the Plausible and Umami event APIs as drop-ins (ingest/pipeline/formats/). */
export const INGEST_ROUTES = {
  '/api/v1/batch': 'native',
  '/api/event': 'plausible',
  '/api/send': 'umami',
  '/api/batch': 'umami-batch',
} as const satisfies Record<string, WireFormat>;

export const INGEST_PATHS = Object.keys(INGEST_ROUTES) as (keyof typeof INGEST_ROUTES)[];

export function startEdge(deps: EdgeDeps): Promise<Edge> {
  const { config } = deps;
  const app = uws.App();
  const ips = new ClientIpResolver(config.trustedProxies);
  const batchDeps = {
    config,
    keys: deps.keys,
    ips,
    dispatcher: deps.dispatcher,
    ready: () => deps.notReady() === undefined,
    durableProblem: () => deps.notReady()?.code,
    rates: ingestRates(config),
  };

  for (const p of INGEST_PATHS) app.post(p, makeBatchHandler(batchDeps, INGEST_ROUTES[p]));
  for (const p of INGEST_PATHS) {
    app.options(p, (res) => {
      res.cork(() => {
        res.writeStatus('204 No Content');
        for (const [k, v] of Object.entries(PREFLIGHT)) res.writeHeader(k, v);
        res.end();
      });
    });
  }

  app.get('/healthz', (res) => {
    send(res, { aborted: false, done: false }, 200, { 'content-type': 'application/json' }, '{"ok":true}');
  });
  app.get('/readyz', (res) => {
    const problem = deps.notReady();
    const body = problem ? JSON.stringify({ ready: false, reason: problem.reason, code: problem.code }) : '{"ready":true}';
    send(res, { aborted: false, done: false }, problem ? 503 : 200, { 'content-type': 'application/json' }, body);
  });
  app.get('/metrics', (res, req) => {
    const state = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    if (config.metricsToken !== undefined && req.getHeader('authorization') !== `Bearer ${config.metricsToken}`) {
      return sendError(res, state, 'BEACONRY_ERR_UNAUTHORIZED');
    }
    metrics.ready.set(deps.notReady() ? 0 : 1);
    void registry.metrics().then((text) => send(res, state, 200, { 'content-type': registry.contentType }, text));
  });

  for (const route of deps.routes) mountRoute(app, route, ips);

  app.any('/*', (res) => {
    const r = errorResponse(new BeaconryError('BEACONRY_ERR_NOT_FOUND'));
    send(res, { aborted: false, done: false }, r.status, r.headers, r.body);
  });

  return new Promise((resolve, reject) => {
    app.listen(config.host, config.port, (token: us_listen_socket | false) => {
      if (!token) return reject(new Error(`cannot listen on ${config.host}:${config.port} (in use or not permitted)`));
      resolve({
        port: uws.us_socket_local_port(token as never),
        close: () => uws.us_listen_socket_close(token),
      });
    });
  });
}
