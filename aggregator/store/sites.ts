// Sites in meta.duckdb: create, list, look up, change and delete. A site is a domain with a time zone
// (which decides its day partitions), a retention window and a public key for browser beacons.
import { randomBytes, randomUUID } from 'node:crypto';
import { BeaconryError } from '../../core/errors.js';
import type { StoreContext } from './context.js';
import { exec } from './values.js';

export interface Site {
  id: string;
  domain: string;
  /** IANA zone; a site's days (and so its partitions and daily visitor ids) follow it. */
  timezone: string;
  /** 15..365 days. */
  retentionDays: number;
  publicKey: string;
  umamiId: string | null;
  createdAt: string;
}

export interface SiteInput {
  timezone?: string;
  retentionDays?: number;
  umamiId?: string | null;
}

export type SitePatch = Partial<Pick<Site, 'domain' | 'timezone' | 'retentionDays' | 'umamiId'>>;

export const RETENTION_MIN_DAYS = 15;
export const RETENTION_MAX_DAYS = 365;
export const RETENTION_DEFAULT_DAYS = 30;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const bad = (message: string): BeaconryError => new BeaconryError('BEACONRY_ERR_BAD_REQUEST', message);

/** 'Example.COM', 'https://example.com/' → 'example.com'; refuses anything with a path or credentials. */
export function normalizeDomain(input: string): string {
  const raw = input.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/$/, '');
  let host: string;
  try {
    host = new URL(`http://${raw}`).host;
  } catch {
    throw bad(`not a domain: ${JSON.stringify(input)}`);
  }
  if (host !== raw || raw.length === 0 || raw.length > 253) throw bad(`not a domain: ${JSON.stringify(input)}`);
  return host;
}

const ZONES = new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));

/**
 * A zone Intl knows, with its case fixed, or a 400. Aliases are kept as given rather than resolved:
 * Node 20's ICU resolves 'Asia/Kolkata' to the legacy 'Asia/Calcutta', which is not what people typed.
 */
export function normalizeTimezone(tz: string): string {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw bad(`unknown time zone: ${JSON.stringify(tz)}`);
  }
  const lower = tz.toLowerCase();
  return ZONES.get(lower) ?? (resolved.toLowerCase() === lower ? resolved : tz);
}

export function checkRetention(days: number): number {
  if (!Number.isInteger(days) || days < RETENTION_MIN_DAYS || days > RETENTION_MAX_DAYS) {
    throw bad(`retention must be a whole number of days from ${RETENTION_MIN_DAYS} to ${RETENTION_MAX_DAYS}, got ${days}`);
  }
  return days;
}

function rowToSite(r: Record<string, unknown>): Site {
  return {
    id: String(r.id),
    domain: String(r.domain),
    timezone: String(r.timezone),
    retentionDays: Number(r.retention_days),
    publicKey: String(r.public_key),
    umamiId: r.umami_id === null || r.umami_id === undefined ? null : String(r.umami_id),
    createdAt: (r.created_at as Date).toISOString(),
  };
}

const SELECT = 'SELECT id, domain, timezone, retention_days, public_key, umami_id, created_at FROM meta.main.sites';

export class Sites {
  constructor(
    private readonly ctx: StoreContext,
    /** Erases the site everywhere (events, keys, meta row); runs inside the write queue. */
    private readonly erase: (siteId: string) => Promise<void>,
  ) {}

  async create(domain: string, input: SiteInput = {}): Promise<Site> {
    const d = normalizeDomain(domain);
    const tz = normalizeTimezone(input.timezone ?? 'UTC');
    const retention = checkRetention(input.retentionDays ?? RETENTION_DEFAULT_DAYS);
    const site: Site = {
      id: randomUUID(),
      domain: d,
      timezone: tz,
      retentionDays: retention,
      publicKey: `pk_${randomBytes(16).toString('base64url')}`,
      umamiId: input.umamiId ?? null,
      createdAt: new Date().toISOString(),
    };
    return this.ctx.write(async (conn) => {
      const dup = await exec(conn, 'SELECT 1 FROM meta.main.sites WHERE domain = $1', [d]);
      if (dup.length > 0) throw new BeaconryError('BEACONRY_ERR_CONFLICT', `a site for ${d} already exists`);
      await exec(
        conn,
        `INSERT INTO meta.main.sites VALUES ($1, $2, $3, $4, $5, $6, epoch_ms($7::BIGINT))`,
        [site.id, site.domain, site.timezone, site.retentionDays, site.publicKey, site.umamiId, Date.parse(site.createdAt)],
      );
      return site;
    });
  }

  async list(): Promise<Site[]> {
    return (await this.ctx.read(`${SELECT} ORDER BY domain`)).map(rowToSite);
  }

  /** By id (UUID) or by domain. */
  async get(idOrDomain: string): Promise<Site | undefined> {
    const byId = UUID_RE.test(idOrDomain);
    let key = idOrDomain;
    if (!byId) {
      try {
        key = normalizeDomain(idOrDomain);
      } catch {
        return undefined;
      }
    }
    const rows = await this.ctx.read(`${SELECT} WHERE ${byId ? 'id' : 'domain'} = $1`, [key]);
    return rows[0] ? rowToSite(rows[0]) : undefined;
  }

  async update(id: string, patch: SitePatch): Promise<Site> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const add = (col: string, v: unknown): void => {
      values.push(v);
      sets.push(`${col} = $${values.length}`);
    };
    if (patch.domain !== undefined) add('domain', normalizeDomain(patch.domain));
    if (patch.timezone !== undefined) add('timezone', normalizeTimezone(patch.timezone));
    if (patch.retentionDays !== undefined) add('retention_days', checkRetention(patch.retentionDays));
    if (patch.umamiId !== undefined) add('umami_id', patch.umamiId);
    return this.ctx.write(async (conn) => {
      const found = await exec(conn, `${SELECT} WHERE id = $1`, [id]);
      if (!found[0]) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'no such site');
      if (patch.domain !== undefined) {
        const dup = await exec(conn, 'SELECT 1 FROM meta.main.sites WHERE domain = $1 AND id <> $2', [values[0], id]);
        if (dup.length > 0) throw new BeaconryError('BEACONRY_ERR_CONFLICT', `a site for ${String(values[0])} already exists`);
      }
      if (sets.length === 0) return rowToSite(found[0]);
      values.push(id);
      await exec(conn, `UPDATE meta.main.sites SET ${sets.join(', ')} WHERE id = $${values.length}`, values);
      return rowToSite((await exec(conn, `${SELECT} WHERE id = $1`, [id]))[0]!);
    });
  }

  /**
   * Deletes the site and everything of it the store holds: its events (partitions rewritten without
   * it), its keys, its row; then meta.duckdb is rewritten so no freed page still holds it.
   */
  async delete(id: string): Promise<void> {
    const site = await this.get(id);
    if (!site) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'no such site');
    await this.ctx.write(() => this.erase(site.id));
  }
}
