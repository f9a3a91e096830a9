// Routes beyond ingest that the server mounts: the tracker script, and (as they land) the stats API
// and the dashboard. Each comes from its own folder as framework-free Routes.
import type { Config } from '../core/config.js';
import type { Route } from '../core/http.js';
import type { Store } from '../aggregator/store/store.js';
import type { Rollups } from '../aggregator/rollups/rollups.js';
import { SiteExport } from '../aggregator/export/site-export.js';
import { exportRoutes } from '../aggregator/export/export-route.js';
import { SecretKeyStatsAuth, anyStatsAuth, type StatsAuth } from '../aggregator/stats-api/stats-auth.js';
import { statsRoutes, type StatsRouteDeps } from '../aggregator/stats-api/stats-routes.js';
import { StatsService } from '../aggregator/stats-api/stats-service.js';
import type { KeyRegistry } from '../ingest/registry/key-registry.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDashboard } from '../dashboard/server/dashboard.js';
import { eraseSite, type EraseContext } from '../aggregator/erasure/erase-site.js';
import { trackerRoute } from '../tracker/serve.js';

/** dist/, whether this code runs from dist/cli or from a dist/chunks bundle chunk. */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RouteDeps {
  config: Config;
  store: Store;
  keys: KeyRegistry;
  /** Attached rollups; without them the stats API answers from the raw partitions. */
  rollups?: Rollups;
  /** The applier and the log, so that erasure from the dashboard also releases the log segments. */
  applier?: EraseContext['applier'];
  log?: EraseContext['log'];
}

/**
 * Who may read stats: secret keys with the `stats` scope. The dashboard's session auth joins here
 * with anyStatsAuth(sessionAuth, secretKeys) so its pages use the very same endpoints.
 */
export function statsAuth(deps: RouteDeps): StatsAuth {
  return new SecretKeyStatsAuth(deps.keys);
}

/** `site_id` → site, from the key registry's in-memory view (by domain, or by id). */
function siteLookup(keys: KeyRegistry): StatsRouteDeps['site'] {
  return async (name) => {
    const s = keys.siteByName(name) ?? keys.site(name);
    return s ? { id: s.id, domain: s.domain, timezone: s.timezone } : undefined;
  };
}

export function extraRoutes(deps: RouteDeps): Route[] {
  // ---- dashboard (dashboard/server): accounts, management API, the SPA, and the session auth that
  // lets a signed-in user read the stats of their own account's sites.
  const dashboard = createDashboard({
    config: deps.config,
    store: deps.store,
    changed: () => deps.keys.reload(),
    // The same erasure as `beaconry site delete`: events, rollups, keys, salts and log segments.
    eraseSite: async (siteId) => {
      await eraseSite({ store: deps.store, changed: () => deps.keys.reload(), rollups: deps.rollups, applier: deps.applier, log: deps.log }, siteId);
    },
    staticDir: path.join(DIST, 'dashboard'),
  });
  // ---- end dashboard ----
  const statsDeps: StatsRouteDeps = { auth: anyStatsAuth(dashboard.statsAuth, statsAuth(deps)), site: siteLookup(deps.keys) };
  const service = new StatsService(deps.store, { rollups: deps.rollups !== undefined });
  return [
    // The tracker script, built by scripts/build.mjs into dist/tracker.
    trackerRoute(deps.config.trackerPath, path.join(DIST, 'tracker')),
    ...statsRoutes(service, statsDeps),
    ...exportRoutes(new SiteExport(deps.store), statsDeps),
    ...dashboard.routes,
  ];
}
