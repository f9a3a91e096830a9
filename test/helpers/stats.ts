// Asks the real stats API (Plausible v1 shapes) with a secret key, waiting until the answer satisfies
// the expectation: rollups follow appends within seconds, so a fresh event may need a moment.
import type { TestServer } from './server.js';

export async function statsUntil<T>(
  server: TestServer,
  secretKey: string,
  path: string,
  params: Record<string, string>,
  ok: (body: T) => boolean,
): Promise<T> {
  const url = `${server.url}${path}?${new URLSearchParams(params).toString()}`;
  let body: T | undefined;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${secretKey}` } });
    body = (await res.json()) as T;
    if (res.status === 200 && ok(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  return body as T;
}

export interface BreakdownRow { [property: string]: string | number }

/** `{results: [...]}` of a breakdown as a map from the property's value to the row. */
export function byValue(body: { results?: BreakdownRow[] }, property: string): Record<string, BreakdownRow> {
  return Object.fromEntries((body.results ?? []).map((r) => [String(r[property]), r]));
}
