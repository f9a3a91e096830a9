// The tenant boundary: turns an id from a URL into a site, CTA, goal or key only if the caller's
// account owns it. Anything else (another account's, deleted, malformed) is the same 404, so ids
// reveal nothing about other accounts.
import type { Site, Store } from '../../aggregator/store/store.js';
import type { AccessClaims } from './access-tokens.js';
import type { Accounts } from './accounts.js';
import { notFound } from './api-route.js';
import type { Cta, Ctas } from './ctas.js';
import type { Goal, Goals } from './goals.js';

export interface KeyRow {
  id: string;
  siteId: string;
}

export class Tenancy {
  constructor(
    private readonly store: Store,
    private readonly accounts: Accounts,
    private readonly ctas: Ctas,
    private readonly goals: Goals,
  ) {}

  /** By id or domain. */
  async site(auth: AccessClaims, idOrDomain: string): Promise<Site> {
    const site = idOrDomain.length <= 253 ? await this.store.sites.get(idOrDomain) : undefined;
    if (!site || !(await this.accounts.owns(auth.accountId, site.id))) throw notFound();
    return site;
  }

  async cta(auth: AccessClaims, id: string): Promise<{ cta: Cta; site: Site }> {
    const cta = UUID.test(id) ? await this.ctas.get(id) : undefined;
    if (!cta) throw notFound();
    return { cta, site: await this.site(auth, cta.siteId) };
  }

  async goal(auth: AccessClaims, id: string): Promise<{ goal: Goal; site: Site }> {
    const goal = UUID.test(id) ? await this.goals.get(id) : undefined;
    if (!goal) throw notFound();
    return { goal, site: await this.site(auth, goal.siteId) };
  }

  async key(auth: AccessClaims, id: string): Promise<{ key: KeyRow; site: Site }> {
    const rows = UUID.test(id) ? await this.store.query('SELECT id, site_id FROM meta.main.secret_keys WHERE id = $1', [id]) : [];
    if (!rows[0]) throw notFound();
    const key = { id: String(rows[0].id), siteId: String(rows[0].site_id) };
    return { key, site: await this.site(auth, key.siteId) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
