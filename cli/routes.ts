// Routes beyond ingest that the server mounts: the tracker script, and (as they land) the stats API
// and the dashboard. Each comes from its own folder as framework-free Routes.
import type { Config } from '../core/config.js';
import type { Route } from '../core/http.js';
import type { Store } from '../aggregator/store/store.js';
import type { KeyRegistry } from '../ingest/registry/key-registry.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackerRoute } from '../tracker/serve.js';

/** dist/, whether this code runs from dist/cli or from a dist/chunks bundle chunk. */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RouteDeps {
  config: Config;
  store: Store;
  keys: KeyRegistry;
}

export function extraRoutes(deps: RouteDeps): Route[] {
  return [
    // The tracker script, built by scripts/build.mjs into dist/tracker.
    trackerRoute(deps.config.trackerPath, path.join(DIST, 'tracker')),
  ];
}
