// Shared by the drop-in format tests: posting to the Plausible and Umami endpoints of the real server
// the way their clients do, and reading back the rows the store holds.
import type { TestServer } from '../../helpers/server.js';

export const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

export function marker(prefix = 'm'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A stored event by contract column, as `beaconry query` prints it. */
export type StoredRow = Record<string, unknown>;

/** Applies what the log holds, then reads `events` (the view over every day partition). */
export async function rows(server: TestServer, where: string, orderBy = 'ts, name'): Promise<StoredRow[]> {
  await server.cli(['store', 'flush']);
  return server.query(`SELECT * FROM events WHERE ${where} ORDER BY ${orderBy}`);
}

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
