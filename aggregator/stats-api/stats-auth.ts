// Who may read which site's stats. Pluggable: the secret-key check below serves scripts
// (`Authorization: Bearer <secret key>` with the `stats` scope, for that key's site only); the
// dashboard adds its session check and combines both with anyStatsAuth, so every endpoint serves both.
import type { ApiRequest } from '../../core/http.js';

export interface StatsAuth {
  /**
   * The ids of the sites this request may read, or undefined when it carries no credentials this
   * auth recognises (the API then answers 401). An empty set is "authenticated, no sites".
   */
  siteIdsFor(req: ApiRequest): Promise<ReadonlySet<string> | undefined>;
}

/** What the secret-key auth needs from the key registry (KeyRegistry.secret fits). */
export interface SecretKeyLookup {
  secret(token: string): { readonly siteId: string; readonly scopes: readonly string[] } | undefined;
}

export const STATS_SCOPE = 'stats';

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(req: ApiRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export class SecretKeyStatsAuth implements StatsAuth {
  constructor(private readonly keys: SecretKeyLookup) {}

  async siteIdsFor(req: ApiRequest): Promise<ReadonlySet<string> | undefined> {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    const key = this.keys.secret(token);
    // A key without the stats scope is as good as no key here: the same 401, nothing learned.
    if (!key || !key.scopes.includes(STATS_SCOPE)) return undefined;
    return new Set([key.siteId]);
  }
}

/** The first auth that recognises the request decides (e.g. session cookie, then secret key). */
export function anyStatsAuth(...auths: readonly StatsAuth[]): StatsAuth {
  return {
    async siteIdsFor(req) {
      for (const a of auths) {
        const ids = await a.siteIdsFor(req);
        if (ids !== undefined) return ids;
      }
      return undefined;
    },
  };
}
