// Routes beyond ingest that the server mounts: the tracker script, and (as they land) the stats API
// and the dashboard. Each comes from its own folder as framework-free Routes.
import type { Config } from '../core/config.js';
import type { Route } from '../core/http.js';
import type { Store } from '../aggregator/store/store.js';
import type { KeyRegistry } from '../ingest/registry/key-registry.js';

export interface RouteDeps {
  config: Config;
  store: Store;
  keys: KeyRegistry;
}

export function extraRoutes(_deps: RouteDeps): Route[] {
  return [];
}
