// Goals of a site: an event name (custom events, CTA clicks, outbound links …) or a page path, with *
// as a wildcard, whose completions the dashboard counts as conversions.
import { randomUUID } from 'node:crypto';
import { BeaconryError } from '../../core/errors.js';
import { NAME_MAX_BYTES, URL_MAX_BYTES } from '../../core/event-contract.js';
import type { Store } from '../../aggregator/store/store.js';
import { exec } from '../../aggregator/store/values.js';

export type GoalKind = 'event' | 'page';

export interface Goal {
  id: string;
  siteId: string;
  kind: GoalKind;
  /** The event name, or the page path pattern. */
  value: string;
  createdAt: number;
}

const bad = (message: string, field: string): BeaconryError => new BeaconryError('BEACONRY_ERR_BAD_REQUEST', message, {}, { field });

export function checkGoal(kind: unknown, value: unknown): { kind: GoalKind; value: string } {
  if (kind !== 'event' && kind !== 'page') throw bad('the goal kind is "event" or "page"', 'kind');
  const v = typeof value === 'string' ? value.trim() : '';
  if (kind === 'event') {
    if (v.length === 0 || Buffer.byteLength(v) > NAME_MAX_BYTES) throw bad(`the event name must be 1 to ${NAME_MAX_BYTES} bytes`, 'value');
  } else if (!v.startsWith('/') || Buffer.byteLength(v) > URL_MAX_BYTES || /\s/.test(v)) {
    throw bad('the page path must start with / and contain no spaces (use * as a wildcard)', 'value');
  }
  return { kind, value: v };
}

function rowToGoal(r: Record<string, unknown>): Goal {
  return { id: String(r.id), siteId: String(r.site_id), kind: String(r.kind) as GoalKind, value: String(r.value), createdAt: Number(r.created_at) };
}

const SELECT = 'SELECT id, site_id, kind, value, created_at FROM meta.main.goals';

export class Goals {
  constructor(private readonly store: Store) {}

  async create(siteId: string, kind: GoalKind, value: string, now = Date.now()): Promise<Goal> {
    const goal: Goal = { id: randomUUID(), siteId, kind, value, createdAt: now };
    await this.store.withWriter(async (conn) => {
      const dup = await exec(conn, 'SELECT 1 FROM meta.main.goals WHERE site_id = $1 AND kind = $2 AND value = $3', [siteId, kind, value]);
      if (dup.length > 0) throw new BeaconryError('BEACONRY_ERR_CONFLICT', 'this goal already exists');
      await exec(conn, 'INSERT INTO meta.main.goals VALUES ($1, $2, $3, $4, $5)', [goal.id, siteId, kind, value, now]);
    });
    return goal;
  }

  async list(siteId: string): Promise<Goal[]> {
    return (await this.store.query(`${SELECT} WHERE site_id = $1 ORDER BY created_at, id`, [siteId])).map(rowToGoal);
  }

  async get(id: string): Promise<Goal | undefined> {
    const rows = await this.store.query(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] ? rowToGoal(rows[0]) : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.store.withWriter((conn) => exec(conn, 'DELETE FROM meta.main.goals WHERE id = $1', [id]));
  }
}
