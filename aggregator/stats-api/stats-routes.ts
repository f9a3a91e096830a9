// The stats API's HTTP routes (framework-free, mounted by the edge): authenticate, resolve `site_id`
// (the domain) among the sites the caller may read — a missing site and someone else's site give the
// same 404 — answer, and record the latency per endpoint.
import { json, type ApiRequest, type ApiResponse, type Route } from '../../core/http.js';
import { metrics } from '../../core/metrics.js';
import type { StatsAuth } from './stats-auth.js';
import { StatsError } from './stats-error.js';
import type { StatsAnswer, StatsService, StatsSite } from './stats-service.js';

export interface StatsRouteDeps {
  auth: StatsAuth;
  /** The site a `site_id` names (its domain; ids are accepted too), if it exists. */
  site: (siteId: string) => Promise<StatsSite | undefined>;
}

export const UNAUTHORIZED_MESSAGE = 'Missing or invalid API key. Send Authorization: Bearer <secret key> for a key with the stats scope.';
export const NOT_FOUND_MESSAGE = 'Site not found, or not readable with these credentials.';

/** The error answer: Plausible's `{"error": "…"}` with our code in a header. */
export function statsErrorResponse(err: StatsError): ApiResponse {
  return json(err.status, { error: err.message }, { 'x-beaconry-error': err.code, 'cache-control': 'no-store' });
}

/** Authenticates the request and resolves its site: 401 without credentials, the same 404 for a missing or foreign site. */
export async function authorizedSite(deps: StatsRouteDeps, req: ApiRequest): Promise<StatsSite> {
  const allowed = await deps.auth.siteIdsFor(req);
  if (!allowed) throw new StatsError(UNAUTHORIZED_MESSAGE, 401);
  const name = req.query.get('site_id');
  if (name === null || name.trim() === '') throw new StatsError('The `site_id` parameter is required: the domain of the site.');
  const site = await deps.site(name.trim());
  if (!site || !allowed.has(site.id)) throw new StatsError(NOT_FOUND_MESSAGE, 404);
  return site;
}

/** Runs one endpoint: auth, site, answer or the error shape, latency by endpoint. */
export function statsHandler(
  endpoint: string,
  deps: StatsRouteDeps,
  answer: (site: StatsSite, req: ApiRequest) => Promise<StatsAnswer | ApiResponse>,
): (req: ApiRequest) => Promise<ApiResponse> {
  return async (req) => {
    const started = performance.now();
    try {
      const site = await authorizedSite(deps, req);
      const a = await answer(site, req);
      if ('status' in a) return a;
      return json(200, a.body, { 'x-beaconry-source': a.source, 'cache-control': 'no-store' });
    } catch (err) {
      if (err instanceof StatsError) return statsErrorResponse(err);
      throw err;
    } finally {
      metrics.statsLatency.observe({ endpoint }, (performance.now() - started) / 1000);
    }
  };
}

export function statsRoutes(service: StatsService, deps: StatsRouteDeps): Route[] {
  const route = (path: string, endpoint: string, fn: (site: StatsSite, req: ApiRequest) => Promise<StatsAnswer>): Route => ({
    method: 'GET',
    pattern: `/api/v1/stats/${path}`,
    name: `stats_${endpoint}`,
    handler: statsHandler(endpoint, deps, fn),
  });
  return [
    route('realtime/visitors', 'realtime_visitors', (site) => service.realtimeVisitors(site)),
    route('realtime/pages', 'realtime_pages', (site, req) => service.realtimePages(site, req.query)),
    route('aggregate', 'aggregate', (site, req) => service.aggregate(site, req.query)),
    route('timeseries', 'timeseries', (site, req) => service.timeseries(site, req.query)),
    route('breakdown', 'breakdown', (site, req) => service.breakdown(site, req.query)),
    route('ctas', 'ctas', (site, req) => service.ctas(site, req.query)),
    route('engagement', 'engagement', (site, req) => service.engagement(site, req.query)),
  ];
}
