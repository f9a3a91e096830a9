// Secret keys in meta.duckdb. The key is shown once at creation; at rest there is only its SHA-256
// (what the edge looks a Bearer token up by) and an 8-character prefix for telling keys apart.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BeaconryError } from '../../core/errors.js';
import type { StoreContext } from './context.js';
import { exec } from './values.js';

export interface SecretKey {
  id: string;
  siteId: string;
  name: string | null;
  /** The first 8 characters after `bk_live_`. */
  prefix: string;
  /** SHA-256 hex of the whole secret. */
  hash: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

export const SECRET_KEY_PREFIX = 'bk_live_';
export const DEFAULT_SCOPES: readonly string[] = ['ingest', 'stats'];
const SCOPE_RE = /^[a-z][a-z_:]{0,31}$/;

/**
 * The at-rest form of a secret key. A plain SHA-256 is enough: the secret is 256 random bits, so
 * there is nothing to brute-force that a slow hash would protect.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function rowToKey(r: Record<string, unknown>): SecretKey {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    name: r.name === null || r.name === undefined ? null : String(r.name),
    prefix: String(r.prefix),
    hash: String(r.hash),
    scopes: (r.scopes as unknown[]).map(String),
    createdAt: (r.created_at as Date).toISOString(),
    revokedAt: r.revoked_at instanceof Date ? r.revoked_at.toISOString() : null,
  };
}

const SELECT = 'SELECT id, site_id, name, prefix, hash, scopes, created_at, revoked_at FROM meta.main.secret_keys';

export class Keys {
  constructor(private readonly ctx: StoreContext) {}

  /** Creates a key; `secretKey` is returned this once and never stored. */
  async create(siteId: string, opts: { name?: string; scopes?: readonly string[] } = {}): Promise<{ secretKey: string; record: SecretKey }> {
    const scopes = [...new Set(opts.scopes ?? DEFAULT_SCOPES)];
    if (scopes.length === 0 || !scopes.every((s) => SCOPE_RE.test(s))) {
      throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'scopes must be short lowercase words such as ingest or stats');
    }
    const trimmed = opts.name?.trim() ?? '';
    const name = trimmed.length > 0 ? trimmed : null;
    if (name !== null && name.length > 100) throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'key name is longer than 100 characters');
    const random = randomBytes(32).toString('base64url');
    const secretKey = `${SECRET_KEY_PREFIX}${random}`;
    const record: SecretKey = {
      id: randomUUID(),
      siteId,
      name,
      prefix: random.slice(0, 8),
      hash: hashSecret(secretKey),
      scopes,
      createdAt: new Date().toISOString(),
      revokedAt: null,
    };
    await this.ctx.write(async (conn) => {
      const site = await exec(conn, 'SELECT 1 FROM meta.main.sites WHERE id = $1', [siteId]);
      if (site.length === 0) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'no such site');
      await exec(conn, `INSERT INTO meta.main.secret_keys VALUES ($1, $2, $3, $4, $5, $6::VARCHAR[], epoch_ms($7::BIGINT), NULL)`, [
        record.id, record.siteId, record.name, record.prefix, record.hash, record.scopes, Date.parse(record.createdAt),
      ]);
    });
    return { secretKey, record };
  }

  async list(siteId: string): Promise<SecretKey[]> {
    return (await this.ctx.read(`${SELECT} WHERE site_id = $1 ORDER BY created_at, id`, [siteId])).map(rowToKey);
  }

  /** Marks a key revoked (kept for the audit trail until its site is deleted). */
  async revoke(id: string): Promise<SecretKey> {
    return this.ctx.write(async (conn) => {
      const rows = await exec(conn, `${SELECT} WHERE id = $1`, [id]);
      if (!rows[0]) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'no such key');
      if (rows[0].revoked_at === null) {
        await exec(conn, 'UPDATE meta.main.secret_keys SET revoked_at = epoch_ms($1::BIGINT) WHERE id = $2', [Date.now(), id]);
      }
      return rowToKey((await exec(conn, `${SELECT} WHERE id = $1`, [id]))[0]!);
    });
  }

  /** Every key, revoked ones included (check revokedAt): the edge builds its hash → key map from this. */
  async all(): Promise<SecretKey[]> {
    return (await this.ctx.read(`${SELECT} ORDER BY created_at, id`)).map(rowToKey);
  }
}
