// A site's CTAs, goals and secret keys. Lists go through the site; single items through their own id,
// which Tenancy resolves to its site and checks against the caller's account.
import { json, type Route } from '../../core/http.js';
import type { Store } from '../../aggregator/store/store.js';
import { userRoute, type RouteKit } from './api-route.js';
import { checkCtaName, checkTargetUrl, type Cta, type CtaPatch, type Ctas } from './ctas.js';
import { checkGoal, type Goals } from './goals.js';
import { ctaSnippet } from './snippets.js';
import type { Tenancy } from './tenancy.js';
import { badRequest } from './api-route.js';

export interface ResourceRouteDeps {
  store: Store;
  tenancy: Tenancy;
  ctas: Ctas;
  goals: Goals;
  changed: () => Promise<void>;
}

const ctaView = (c: Cta): Record<string, unknown> => ({ ...c, snippet: ctaSnippet(c.id, c.name, c.targetUrl) });

const SCOPES = new Set(['ingest', 'stats']);
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY = { test: (s: string): boolean => DAY_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) };

export function siteResourceRoutes(kit: RouteKit, d: ResourceRouteDeps): Route[] {
  return [
    userRoute(kit, 'GET', '/api/dashboard/sites/:site/ctas', async ({ req, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      return json(200, { ctas: (await d.ctas.list(site.id)).map(ctaView) });
    }),
    userRoute(kit, 'POST', '/api/dashboard/sites/:site/ctas', async ({ req, body, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      const cta = await d.ctas.create(site.id, checkCtaName(body.name), checkTargetUrl(body.targetUrl));
      return json(201, ctaView(cta));
    }),
    userRoute(kit, 'PATCH', '/api/dashboard/ctas/:cta', async ({ req, body, auth }) => {
      const { cta } = await d.tenancy.cta(auth, req.params.cta ?? '');
      const patch: CtaPatch = {};
      if (body.name !== undefined) patch.name = checkCtaName(body.name);
      if (body.targetUrl !== undefined) patch.targetUrl = checkTargetUrl(body.targetUrl);
      if (body.archived !== undefined) {
        if (typeof body.archived !== 'boolean') throw badRequest('archived is true or false', 'archived');
        patch.archived = body.archived;
      }
      return json(200, ctaView(await d.ctas.update(cta.id, patch)));
    }),

    userRoute(kit, 'GET', '/api/dashboard/sites/:site/goals', async ({ req, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      return json(200, { goals: await d.goals.list(site.id) });
    }),
    userRoute(kit, 'POST', '/api/dashboard/sites/:site/goals', async ({ req, body, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      const g = checkGoal(body.kind, body.value);
      return json(201, await d.goals.create(site.id, g.kind, g.value));
    }),
    userRoute(kit, 'DELETE', '/api/dashboard/goals/:goal', async ({ req, auth }) => {
      const { goal } = await d.tenancy.goal(auth, req.params.goal ?? '');
      await d.goals.delete(goal.id);
      return json(200, { deleted: goal.id });
    }),

    // The custom-property keys a site's events carried in a range: what the properties tab offers.
    userRoute(kit, 'GET', '/api/dashboard/sites/:site/property-keys', async ({ req, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      const from = req.query.get('from') ?? '';
      const to = req.query.get('to') ?? '';
      if (!DAY.test(from) || !DAY.test(to) || from > to) throw badRequest('from and to are days (YYYY-MM-DD), from ≤ to');
      const rows = await d.store.query(
        `SELECT k AS key, count(*) AS n
         FROM (SELECT unnest(json_keys(props)) AS k FROM ${d.store.eventsFrom(from, to)} e WHERE e.site_id = $1 AND e.props IS NOT NULL)
         GROUP BY k ORDER BY n DESC, k LIMIT 100`,
        [site.id],
      );
      return json(200, { keys: rows.map((r) => String(r.key)) });
    }),

    userRoute(kit, 'GET', '/api/dashboard/sites/:site/keys', async ({ req, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      // Never the hash: a list shows the prefix a person recognises, nothing an attacker can use.
      const keys = (await d.store.keys.list(site.id)).map(({ hash: _hash, ...k }) => k);
      return json(200, { keys });
    }),
    userRoute(kit, 'POST', '/api/dashboard/sites/:site/keys', async ({ req, body, auth }) => {
      const site = await d.tenancy.site(auth, req.params.site ?? '');
      if (body.name !== undefined && typeof body.name !== 'string') throw badRequest('name must be a string', 'name');
      let scopes = ['ingest', 'stats'];
      if (body.scopes !== undefined) {
        if (!Array.isArray(body.scopes) || body.scopes.length === 0 || !body.scopes.every((s) => typeof s === 'string' && SCOPES.has(s))) {
          throw badRequest('scopes is a non-empty list of "ingest" and "stats"', 'scopes');
        }
        scopes = body.scopes as string[];
      }
      const { secretKey, record } = await d.store.keys.create(site.id, { name: body.name as string | undefined, scopes });
      await d.changed();
      const { hash: _hash, ...key } = record;
      // The only time the secret is ever shown.
      return json(201, { ...key, secretKey });
    }),
    userRoute(kit, 'DELETE', '/api/dashboard/keys/:key', async ({ req, auth }) => {
      const { key } = await d.tenancy.key(auth, req.params.key ?? '');
      const revoked = await d.store.keys.revoke(key.id);
      await d.changed();
      const { hash: _hash, ...rest } = revoked;
      return json(200, rest);
    }),
  ];
}
