// The dashboard's server side in one factory: accounts and sessions, management routes, the SPA's
// files, and the session auth the stats API uses. cli/routes.ts mounts what this returns.
import type { Config } from '../../core/config.js';
import type { Route } from '../../core/http.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { Store } from '../../aggregator/store/store.js';
import { AccessTokens } from './access-tokens.js';
import { Accounts } from './accounts.js';
import type { RouteKit } from './api-route.js';
import { authRoutes } from './auth-routes.js';
import { Ctas } from './ctas.js';
import { Goals } from './goals.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './passwords.js';
import { ensureDashboardSchema } from './schema.js';
import { securityHeaders } from './security-headers.js';
import { SessionStatsAuth } from './session-stats-auth.js';
import { Sessions } from './sessions.js';
import { SetupTokens, setupPath } from './setup-tokens.js';
import { loadOrCreateSigningKey } from './signing-key.js';
import { siteResourceRoutes } from './site-resource-routes.js';
import { siteRoutes } from './site-routes.js';
import { staticRoutes } from './static-files.js';
import { Tenancy } from './tenancy.js';

export interface DashboardDeps {
  config: Config;
  store: Store;
  /** Reloads the running edge's key registry after sites or keys change. */
  changed: () => Promise<void>;
  /** The site erasure (events, rollups, keys, meta row); defaults to the store's. */
  eraseSite?: (siteId: string) => Promise<void>;
  /** Where the built SPA is (dist/dashboard). */
  staticDir: string;
  log?: Logger;
}

export interface Dashboard {
  routes: Route[];
  statsAuth: SessionStatsAuth;
  /** Resolves once the tables exist and the first-run link (if any) is printed. */
  ready: Promise<void>;
  close(): void;
}

const PRUNE_EVERY_MS = 3600 * 1000;

export function createDashboard(deps: DashboardDeps): Dashboard {
  const { config, store } = deps;
  const log = deps.log ?? createLogger(config.logLevel);
  const tokens = new AccessTokens(loadOrCreateSigningKey(config.dataDir, (m) => log.warn(m)));
  const accounts = new Accounts(store);
  const sessions = new Sessions(store);
  const setup = new SetupTokens(store);
  const ctas = new Ctas(store);
  const goals = new Goals(store);
  const tenancy = new Tenancy(store, accounts, ctas, goals);
  const headers = securityHeaders(config);
  const kit: RouteKit = { headers, tokens };

  const passwords = new PasswordHasher();
  const ready = (async () => {
    await ensureDashboardSchema(store);
    await passwords.prepare();
    await sessions.prune();
    if ((await accounts.userCount()) === 0) {
      const p = setupPath(setup.newOwnerToken());
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      const url = config.port !== 0 ? `${config.insecureCookies ? 'http' : 'https'}://${host}:${config.port}${p}` : undefined;
      // The one place a secret is printed on purpose: the operator needs this link, once.
      log.info('setup', { path: p, ...(url ? { url } : {}), hint: 'open this link to create the owner account (valid until one exists)' });
    }
  })();
  ready.catch((err: unknown) => log.error('dashboard failed to start', { err: String(err) }));
  const pruneTimer = setInterval(() => void sessions.prune().catch(() => undefined), PRUNE_EVERY_MS);
  pruneTimer.unref();

  const apiRoutes = [
    ...authRoutes(kit, { config, log, accounts, sessions, tokens, passwords, throttle: new LoginThrottle(), setup }),
    ...siteRoutes(kit, { config, store, accounts, tenancy, changed: deps.changed, eraseSite: deps.eraseSite ?? ((id) => store.sites.delete(id)) }),
    ...siteResourceRoutes(kit, { store, tenancy, ctas, goals, changed: deps.changed }),
  ].map((r): Route => ({
    ...r,
    handler: async (req) => {
      await ready; // the tables exist before any route reads them
      return r.handler(req);
    },
  }));

  return {
    routes: [...apiRoutes, ...staticRoutes(deps.staticDir, headers)],
    statsAuth: new SessionStatsAuth(tokens, accounts, ready),
    ready,
    close: () => clearInterval(pruneTimer),
  };
}
