// The stats API's session auth: a dashboard access token (Authorization: Bearer <JWT>) may read the
// sites of its own account. Answers undefined for requests that carry no JWT, so the stats API can
// try its other schemes (secret keys) next.
import type { ApiRequest } from '../../core/http.js';
import type { AccessTokens } from './access-tokens.js';
import type { Accounts } from './accounts.js';

export class SessionStatsAuth {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly accounts: Accounts,
    private readonly ready: Promise<void>,
  ) {}

  /** Site ids the caller may read; undefined if the request has no JWT; a 401 error if it has a bad one. */
  async siteIdsFor(req: Pick<ApiRequest, 'headers'>): Promise<ReadonlySet<string> | undefined> {
    const claims = await this.tokens.fromHeader(req.headers.authorization);
    if (!claims) return undefined;
    await this.ready;
    return this.accounts.siteIds(claims.accountId);
  }
}
