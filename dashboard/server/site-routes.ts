// Managing sites from the dashboard: list, add, change, delete (the full erasure). Every id in a path
// goes through Tenancy, so another account's site is the same 404 as one that never existed.
import type { Config } from '../../core/config.js';
import { json, type ApiRequest, type Route } from '../../core/http.js';
import type { Site, Store } from '../../aggregator/store/store.js';
import type { Accounts } from './accounts.js';
import { badRequest, userRoute, type RouteKit } from './api-route.js';
import { OPT_OUT_SNIPPET, publicOrigin, trackerSnippet } from './snippets.js';
import type { Tenancy } from './tenancy.js';
import { exec } from '../../aggregator/store/values.js';

export interface SiteRouteDeps {
  config: Config;
  store: Store;
  accounts: Accounts;
  tenancy: Tenancy;
  /** Tells the running edge that sites or keys changed (reloads the key registry). */
  changed: () => Promise<void>;
  /** Erases a site: its events, rollups, keys and meta row. */
  eraseSite: (siteId: string) => Promise<void>;
}

export function siteView(site: Site, req: ApiRequest, config: Config): Record<string, unknown> {
  return {
    id: site.id,
    domain: site.domain,
    timezone: site.timezone,
    retentionDays: site.retentionDays,
    publicKey: site.publicKey,
    createdAt: site.createdAt,
    snippet: trackerSnippet(publicOrigin(req, config), config.trackerPath, site.publicKey),
    optOut: OPT_OUT_SNIPPET,
  };
}

function siteFields(body: Record<string, unknown>): { domain?: string; timezone?: string; retentionDays?: number } {
  const out: { domain?: string; timezone?: string; retentionDays?: number } = {};
  if (body.domain !== undefined) {
    if (typeof body.domain !== 'string') throw badRequest('domain must be a string', 'domain');
    out.domain = body.domain;
  }
  if (body.timezone !== undefined) {
    if (typeof body.timezone !== 'string') throw badRequest('timezone must be an IANA name such as Europe/Berlin', 'timezone');
    out.timezone = body.timezone;
  }
  if (body.retentionDays !== undefined) {
    const n = Number(body.retentionDays);
    if (!Number.isInteger(n)) throw badRequest('retention must be a whole number of days from 15 to 365', 'retentionDays');
    out.retentionDays = n;
  }
  return out;
}

export function siteRoutes(kit: RouteKit, d: SiteRouteDeps): Route[] {
  return [
    userRoute(kit, 'GET', '/api/dashboard/sites', async ({ req, auth }) => {
      await d.accounts.adoptOrphansIfFirst(auth.accountId);
      const ids = await d.accounts.siteIds(auth.accountId);
      const sites = (await d.store.sites.list()).filter((s) => ids.has(s.id));
      return json(200, { sites: sites.map((s) => siteView(s, req, d.config)) });
    }),

    userRoute(kit, 'POST', '/api/dashboard/sites', async ({ req, body, auth }) => {
      const f = siteFields(body);
      if (f.domain === undefined) throw badRequest('domain is required', 'domain');
      const site = await d.store.sites.create(f.domain, { timezone: f.timezone ?? 'UTC', retentionDays: f.retentionDays ?? 30 });
      await d.accounts.claim(site.id, auth.accountId);
      await d.changed();
      return json(201, siteView(site, req, d.config));
    }),

    userRoute(kit, 'GET', '/api/dashboard/sites/:site', async ({ req, auth }) => {
      return json(200, siteView(await d.tenancy.site(auth, req.params.site ?? ''), req, d.config));
    }),

    userRoute(kit, 'PATCH', '/api/dashboard/sites/:site', async ({ req, body, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      const updated = await d.store.sites.update(site.id, siteFields(body));
      await d.changed();
      return json(200, siteView(updated, req, d.config));
    }),

    // Deleting erases every event of the site; the body must repeat the domain, as the form asks.
    userRoute(kit, 'DELETE', '/api/dashboard/sites/:site', async ({ req, body, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      if (body.confirm !== site.domain) throw badRequest(`type the domain (${site.domain}) to confirm`, 'confirm');
      // Our rows go first so the erasure's rewrite of meta.duckdb leaves none of their bytes behind.
      await d.store.withWriter(async (conn) => {
        await exec(conn, 'DELETE FROM meta.main.ctas WHERE site_id = $1', [site.id]);
        await exec(conn, 'DELETE FROM meta.main.goals WHERE site_id = $1', [site.id]);
        await exec(conn, 'DELETE FROM meta.main.site_owners WHERE site_id = $1', [site.id]);
      });
      try {
        await d.eraseSite(site.id);
      } catch (err) {
        await d.accounts.claim(site.id, auth.accountId); // still there: keep it visible to retry
        throw err;
      }
      await d.changed();
      return json(200, { deleted: site.id, domain: site.domain });
    }),
  ];
}
