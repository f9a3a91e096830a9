// What the store's helper modules (sites, keys) get from the Store: the single writer and a reader.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Params } from './values.js';

export interface StoreContext {
  /** Runs `fn` on the writer connection, in turn with every other write. Never call from inside `fn`. */
  write<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Runs a read on the reader connection. */
  read(sql: string, params?: Params): Promise<Record<string, unknown>[]>;
}

