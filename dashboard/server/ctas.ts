// CTAs of a site: a name, an optional target URL, and the UUID pages carry in data-cta="…" and events
// in cta_id. Archiving hides a CTA from the lists but keeps its history readable.
import { randomUUID } from 'node:crypto';
import { BeaconryError } from '../../core/errors.js';
import type { Store } from '../../aggregator/store/store.js';
import { exec } from '../../aggregator/store/values.js';

export interface Cta {
  id: string;
  siteId: string;
  name: string;
  targetUrl: string | null;
  createdAt: number;
  archivedAt: number | null;
}

export interface CtaPatch {
  name?: string;
  targetUrl?: string | null;
  archived?: boolean;
}

const bad = (message: string, field: string): BeaconryError => new BeaconryError('BEACONRY_ERR_BAD_REQUEST', message, {}, { field });

export function checkCtaName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (name.length === 0 || name.length > 100) throw bad('the CTA name must be 1 to 100 characters', 'name');
  return name;
}

export function checkTargetUrl(input: unknown): string | null {
  if (input === undefined || input === null || input === '') return null;
  if (typeof input !== 'string' || input.length > 2000) throw bad('the target URL must be an http(s) URL of at most 2000 characters', 'targetUrl');
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    throw bad('the target URL must be an http(s) URL', 'targetUrl');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('the target URL must be an http(s) URL', 'targetUrl');
  return u.href;
}

function rowToCta(r: Record<string, unknown>): Cta {
  return {
    id: String(r.id),
    siteId: String(r.site_id),
    name: String(r.name),
    targetUrl: r.target_url === null ? null : String(r.target_url),
    createdAt: Number(r.created_at),
    archivedAt: r.archived_at === null ? null : Number(r.archived_at),
  };
}

const SELECT = 'SELECT id, site_id, name, target_url, created_at, archived_at FROM meta.main.ctas';

export class Ctas {
  constructor(private readonly store: Store) {}

  async create(siteId: string, name: string, targetUrl: string | null, now = Date.now()): Promise<Cta> {
    const cta: Cta = { id: randomUUID(), siteId, name, targetUrl, createdAt: now, archivedAt: null };
    await this.store.withWriter((conn) =>
      exec(conn, 'INSERT INTO meta.main.ctas VALUES ($1, $2, $3, $4, $5, NULL)', [cta.id, siteId, name, targetUrl, now]),
    );
    return cta;
  }

  async list(siteId: string): Promise<Cta[]> {
    return (await this.store.query(`${SELECT} WHERE site_id = $1 ORDER BY archived_at NULLS FIRST, created_at, id`, [siteId])).map(rowToCta);
  }

  async get(id: string): Promise<Cta | undefined> {
    const rows = await this.store.query(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] ? rowToCta(rows[0]) : undefined;
  }

  async update(id: string, patch: CtaPatch, now = Date.now()): Promise<Cta> {
    return this.store.withWriter(async (conn) => {
      if (patch.name !== undefined) await exec(conn, 'UPDATE meta.main.ctas SET name = $1 WHERE id = $2', [patch.name, id]);
      if (patch.targetUrl !== undefined) await exec(conn, 'UPDATE meta.main.ctas SET target_url = $1 WHERE id = $2', [patch.targetUrl, id]);
      if (patch.archived === true) await exec(conn, 'UPDATE meta.main.ctas SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL', [now, id]);
      if (patch.archived === false) await exec(conn, 'UPDATE meta.main.ctas SET archived_at = NULL WHERE id = $1', [id]);
      return rowToCta((await exec(conn, `${SELECT} WHERE id = $1`, [id]))[0]!);
    });
  }
}
