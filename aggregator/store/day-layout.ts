// The tables inside one day file. Two layouts exist:
//
// - 'coded' (every file created now): the rows live in `event_rows`, where each low-cardinality text
//   column of the contract but the site id (kind 'dict': type, hostname, source, UTM, country, device,
//   browser, OS, ...) holds a UINTEGER code; `dims` maps each code to its string, one code space per file,
//   dense from 0; `events` is a view that gives the codes back as strings, so every reader sees the
//   contract's columns and types. DuckDB stores, compresses and checks a fixed-width column far more
//   cheaply than a string one: bench/micro/duckdb-append.bench.ts appends and commits 100k rows in
//   315 ms coded against 408 ms as strings (2.5 against 4.3 µs of CPU a row in a dev measurement),
//   and the apply of rows is what bounds sustained ingest here. The price: queries decode row by row
//   (raw-partition scans took 1.8–2.6× as long, see the README's Limitations). The rollups instead
//   group by the codes themselves and decode only the group keys (Partitions.codedEvents).
// - 'plain' (files written before coded columns existed): `events` is a table of strings. Such files
//   stay readable and appendable as they are.
import { COLUMNS, duckType, eventsTableDDL, type Column } from '../../core/event-contract.js';

export type DayLayout = 'coded' | 'plain';

/**
 * Whether a contract column is stored as a code in a coded file. Not the site id: nearly every query
 * and every erasure filters on it, and as a string that filter goes into DuckDB's scan.
 */
export const isCoded = (col: Column): boolean => col.kind === 'dict' && col.name !== 'site_id';

/** The names of the columns isCoded holds for. */
export const CODED_NAMES: ReadonlySet<string> = new Set(COLUMNS.filter(isCoded).map((c) => c.name));

/** The column's type in a file of the layout. */
export function storedType(col: Column, layout: DayLayout): string {
  return layout === 'coded' && isCoded(col) ? 'UINTEGER' : duckType(col.kind);
}

/** The table holding the rows themselves (what the appender writes and dedup scans). */
export const rowsTable = (layout: DayLayout): string => (layout === 'coded' ? 'event_rows' : 'events');

/** `CREATE TABLE` for a coded file's row table. */
export const eventRowsDDL = (table: string): string => eventsTableDDL(table, (col) => storedType(col, 'coded'));

/**
 * `dims`: code → string. A value is NULL only after an erasure blanked the strings no row uses any
 * more; the code stays, so the codes remain dense and `list(value ORDER BY code)[code + 1]` finds them.
 * No PRIMARY KEY: its index took another 256 KiB block in every file (small days doubled in size);
 * DimCodes hands the codes out and checks on load that they are 0..n-1.
 */
export const dimsDDL = (table: string): string => `CREATE TABLE IF NOT EXISTS ${table} (code UINTEGER NOT NULL, value VARCHAR)`;

/**
 * The `events` view of a coded file, over the row table's columns (`names`, in table order). Names are
 * unqualified: DuckDB binds a view inside the database that holds it, whatever alias it is attached as.
 */
export function eventsViewDDL(alias: string, names: readonly string[]): string {
  return `CREATE OR REPLACE VIEW ${alias}.main.events AS SELECT ${decodedColumns(names)} FROM ${decodedFrom('event_rows', 'dims')}`;
}

/**
 * The select list giving a coded row table's columns (`names`, in table order) back as the contract's:
 * over `decodedFrom(rows, dims)`, whose row alias is `r`.
 */
export function decodedColumns(names: readonly string[]): string {
  return names.map((n) => (CODED_NAMES.has(n) ? `d.v[r."${n}" + 1] AS "${n}"` : `r."${n}"`)).join(', ');
}

/** The FROM clause decodedColumns reads: the row table `rows` as `r`, beside its dictionary `dims` as a list. */
export const decodedFrom = (rows: string, dims: string): string => `${rows} r, (SELECT list(value ORDER BY code) AS v FROM ${dims}) d`;
