// Erasure by rewriting whole files. A DELETE in DuckDB only marks rows: their bytes stay in the file's
// blocks (and in the WAL) until overwritten, and the file does not shrink. So a day file that holds
// a site being erased (or expired) is copied without it into a new file, which then replaces the old
// one by rename; meta.duckdb is copied the same way after a site's rows are deleted from it.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { COLUMNS, eventsTableDDL } from '../../core/event-contract.js';
import { dimsDDL, eventRowsDDL, isCoded } from './day-layout.js';
import { META } from './meta-schema.js';
import { REWRITE_SUFFIX, sqlString, syncDir, type Exclusive, type Partitions } from './partitions.js';

const inList = (ids: readonly string[]): string => ids.map(sqlString).join(', ');

/** Days whose partition holds at least one row of any of `siteIds`. */
export async function daysHolding(conn: DuckDBConnection, parts: Partitions, siteIds: readonly string[], days = parts.days()): Promise<string[]> {
  const out: string[] = [];
  for (const day of days) {
    const alias = parts.aliasOf(day);
    if (!alias) continue;
    const r = await conn.runAndReadAll(`SELECT 1 FROM ${alias}.main.events WHERE site_id IN (${inList(siteIds)}) LIMIT 1`);
    if (r.currentRowCount > 0) out.push(day);
  }
  return out;
}

/**
 * Replaces one day file by a copy without the rows of `siteIds`. The applied LSN travels with it.
 * Crash-safe: until the rename the old file is intact and the half-written copy is a `.rewrite`
 * leftover that the next open deletes; after it, the new file is complete (DETACH checkpointed it).
 */
export async function rewriteDay(conn: DuckDBConnection, parts: Partitions, day: string, siteIds: readonly string[]): Promise<void> {
  const alias = parts.aliasOf(day);
  if (!alias) return;
  const file = parts.fileOf(day);
  const tmp = `${file}${REWRITE_SUFFIX}`;
  const tmpAlias = `${alias}_rewrite`;
  fs.rmSync(tmp, { force: true });
  fs.rmSync(`${tmp}.wal`, { force: true });
  await conn.run(`ATTACH ${sqlString(tmp)} AS ${tmpAlias}`);
  try {
    await conn.run('BEGIN');
    await conn.run(`CREATE TABLE ${tmpAlias}.main.applied (lsn UBIGINT NOT NULL)`);
    if (parts.layoutOf(day) === 'coded') await copyCoded(conn, alias, tmpAlias, siteIds);
    else {
      await conn.run(eventsTableDDL(`${tmpAlias}.main.events`));
      await conn.run(`INSERT INTO ${tmpAlias}.main.events BY NAME SELECT * FROM ${alias}.main.events WHERE site_id NOT IN (${inList(siteIds)})`);
    }
    await conn.run(`INSERT INTO ${tmpAlias}.main.applied SELECT lsn FROM ${alias}.main.applied`);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    await conn.run(`DETACH ${tmpAlias}`).catch(() => undefined);
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.wal`, { force: true });
    throw err;
  }
  // DETACH checkpoints: the copy is whole in its file and its WAL is gone.
  await conn.run(`DETACH ${tmpAlias}`);
  await parts.exclusive(async () => {
    await parts.detach(day);
    // The old WAL (none after DETACH's checkpoint, but never let one be replayed onto the new file).
    fs.rmSync(`${file}.wal`, { force: true });
    fs.rmSync(`${tmp}.wal`, { force: true });
    fs.renameSync(tmp, file);
    syncDir(parts.dir);
    await parts.attach(day);
    await parts.refreshView();
  });
}

/**
 * A coded file's rows without `siteIds`, codes unchanged, into `to` (the view is made on attach). The
 * dictionary keeps every code, so codes stay dense, but a string no remaining row uses is blanked:
 * the erased sites' hostnames, campaigns and the like leave the file with their rows.
 */
async function copyCoded(conn: DuckDBConnection, from: string, to: string, siteIds: readonly string[]): Promise<void> {
  await conn.run(eventRowsDDL(`${to}.main.event_rows`));
  await conn.run(dimsDDL(`${to}.main.dims`));
  // site_id is never coded (isCoded), so the same filter as a plain file's.
  await conn.run(`INSERT INTO ${to}.main.event_rows BY NAME SELECT * FROM ${from}.main.event_rows WHERE site_id NOT IN (${inList(siteIds)})`);
  const used = COLUMNS.filter(isCoded).map((c) => `SELECT "${c.name}" AS code FROM ${to}.main.event_rows`).join(' UNION ');
  await conn.run(`INSERT INTO ${to}.main.dims SELECT code, CASE WHEN code IN (${used}) THEN value END FROM ${from}.main.dims`);
}

/**
 * Replaces meta.duckdb by a fresh copy of its live rows (COPY FROM DATABASE keeps tables, constraints
 * and data), so a deleted site's row, keys and domain leave no bytes behind in freed blocks or the WAL.
 */
export async function rewriteMeta(conn: DuckDBConnection, storeDir: string, exclusive: Exclusive): Promise<void> {
  const file = path.join(storeDir, 'meta.duckdb');
  const tmp = `${file}${REWRITE_SUFFIX}`;
  const tmpAlias = `${META}_rewrite`;
  fs.rmSync(tmp, { force: true });
  fs.rmSync(`${tmp}.wal`, { force: true });
  await conn.run(`ATTACH ${sqlString(tmp)} AS ${tmpAlias}`);
  try {
    await conn.run(`COPY FROM DATABASE ${META} TO ${tmpAlias}`);
  } catch (err) {
    await conn.run(`DETACH ${tmpAlias}`).catch(() => undefined);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  await conn.run(`DETACH ${tmpAlias}`);
  await exclusive(async () => {
    await conn.run(`DETACH ${META}`);
    try {
      fs.rmSync(`${file}.wal`, { force: true });
      fs.rmSync(`${tmp}.wal`, { force: true });
      fs.renameSync(tmp, file);
      syncDir(storeDir);
    } finally {
      // Whatever happened, the store needs its meta back (the old one if the rename did not happen).
      await conn.run(`ATTACH ${sqlString(file)} AS ${META}`);
    }
  });
}
