// Retention as whole-file operations: a day file whose every site is past its retention window is
// deleted; one that still holds a site within its window is rewritten without the expired sites
// (erase.ts). No row-by-row DELETE ever touches a partition, so the disk space comes back.
import type { DuckDBConnection } from '@duckdb/node-api';
import { dayNumber, localDay } from './days.js';
import { rewriteDay } from './erase.js';
import type { Partitions } from './partitions.js';
import { RETENTION_MAX_DAYS, type Site } from './sites.js';

/** Deletes every day file strictly before `day`; returns the days dropped. */
export async function dropBefore(parts: Partitions, day: string): Promise<string[]> {
  const cut = dayNumber(day);
  const dropped: string[] = [];
  for (const d of parts.days()) {
    if (dayNumber(d) >= cut) break;
    await parts.drop(d);
    dropped.push(d);
  }
  return dropped;
}

/**
 * The first day a site still keeps at `now`: its local today minus retentionDays - 1, so that exactly
 * `retentionDays` local days (today included) are kept.
 */
export function firstKeptDay(site: Pick<Site, 'timezone' | 'retentionDays'>, now: number): number {
  return dayNumber(localDay(now, site.timezone)) - site.retentionDays + 1;
}

export interface PurgeResult {
  dropped: string[];
  rewritten: string[];
}

/**
 * Applies every site's retention at `now`. Rows of site ids that are not (or no longer) in `sites`
 * have no owner and expire at once. Empty files older than the longest possible window go too.
 */
export async function purgeExpired(conn: DuckDBConnection, parts: Partitions, sites: readonly Site[], now: number): Promise<PurgeResult> {
  const keepFrom = new Map(sites.map((s) => [s.id, firstKeptDay(s, now)]));
  const oldestPossible = dayNumber(localDay(now, 'UTC')) - RETENTION_MAX_DAYS - 1;
  const result: PurgeResult = { dropped: [], rewritten: [] };
  for (const day of parts.days()) {
    const n = dayNumber(day);
    const alias = parts.aliasOf(day)!;
    const present = (await conn.runAndReadAll(`SELECT DISTINCT site_id FROM ${alias}.main.events`)).getRowsJS().map((r) => String(r[0]));
    const expired = present.filter((id) => {
      const from = keepFrom.get(id);
      return from === undefined || n < from;
    });
    if (present.length === 0 ? n < oldestPossible : expired.length === present.length) {
      await parts.drop(day);
      result.dropped.push(day);
    } else if (expired.length > 0) {
      await rewriteDay(conn, parts, day, expired);
      result.rewritten.push(day);
    }
  }
  return result;
}
