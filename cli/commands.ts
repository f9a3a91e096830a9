// What the `beaconry` command can do besides start: the same functions serve the CLI (directly on the
// store when no server runs) and the running server's admin socket (when one does), so there is one
// implementation of each command, whichever process holds the DuckDB files.
import { isValidTimeZone } from '../ingest/pipeline/local-time.js';
import type { Store } from '../aggregator/store/store.js';

export interface AdminContext {
  store: Store;
  /** Tells the running edge and pool that sites or keys changed (no-op without a server). */
  changed: () => Promise<void>;
  /** Pauses/resumes applying the log to DuckDB (only with a running server). */
  applier?: { pause(): void; resume(): void; flush(): Promise<void>; readonly isPaused: boolean };
}

export type Flags = Record<string, string | boolean>;

export class UsageError extends Error {
  override name = 'UsageError';
}

async function siteOf(ctx: AdminContext, name: string | undefined) {
  if (!name) throw new UsageError('name the site by domain or id');
  const site = await ctx.store.sites.get(name);
  if (!site) throw new UsageError(`no site "${name}"`);
  return site;
}

function retention(flags: Flags): number | undefined {
  if (flags.retention === undefined) return undefined;
  const n = Number(flags.retention);
  if (!Number.isInteger(n) || n < 15 || n > 365) throw new UsageError('--retention must be a whole number of days from 15 to 365');
  return n;
}

function timezone(flags: Flags): string | undefined {
  if (flags.timezone === undefined) return undefined;
  const tz = String(flags.timezone);
  if (!isValidTimeZone(tz)) throw new UsageError(`unknown time zone "${tz}" (use an IANA name such as Europe/Berlin)`);
  return tz;
}

export const COMMANDS: Record<string, (ctx: AdminContext, args: string[], flags: Flags) => Promise<unknown>> = {
  async 'site add'(ctx, [domain], flags) {
    if (!domain || !/^[a-z0-9.-]+(:\d+)?$/i.test(domain)) throw new UsageError('usage: beaconry site add <domain> [--timezone Europe/Berlin] [--retention 30]');
    const site = await ctx.store.sites.create(domain.toLowerCase(), { timezone: timezone(flags) ?? 'UTC', retentionDays: retention(flags) ?? 30 });
    await ctx.changed();
    return site;
  },
  async 'site list'(ctx) {
    return ctx.store.sites.list();
  },
  async 'site update'(ctx, [name], flags) {
    const site = await siteOf(ctx, name);
    const patch: Record<string, unknown> = {};
    const tz = timezone(flags);
    const ret = retention(flags);
    if (tz !== undefined) patch.timezone = tz;
    if (ret !== undefined) patch.retentionDays = ret;
    if (flags['umami-id'] !== undefined) patch.umamiId = String(flags['umami-id']);
    await ctx.store.sites.update(site.id, patch);
    await ctx.changed();
    return ctx.store.sites.get(site.id);
  },
  async 'site delete'(ctx, [name]) {
    const site = await siteOf(ctx, name);
    await ctx.store.sites.delete(site.id);
    await ctx.changed();
    return { deleted: site.id, domain: site.domain };
  },
  async 'key create'(ctx, [name], flags) {
    const site = await siteOf(ctx, name);
    const scopes = flags.scopes !== undefined ? String(flags.scopes).split(',').map((s) => s.trim()).filter(Boolean) : ['ingest', 'stats'];
    for (const s of scopes) if (s !== 'ingest' && s !== 'stats') throw new UsageError(`unknown scope "${s}" (ingest, stats)`);
    const created = await ctx.store.keys.create(site.id, { name: flags.name !== undefined ? String(flags.name) : undefined, scopes });
    await ctx.changed();
    return { secretKey: created.secretKey, id: created.record.id, prefix: created.record.prefix, site: site.domain, scopes };
  },
  async 'key list'(ctx, [name]) {
    const site = await siteOf(ctx, name);
    return (await ctx.store.keys.list(site.id)).map(({ hash: _hash, ...k }) => k);
  },
  async 'key revoke'(ctx, [id]) {
    if (!id) throw new UsageError('usage: beaconry key revoke <key id>');
    await ctx.store.keys.revoke(id);
    await ctx.changed();
    return { revoked: id };
  },
  async 'store pause'(ctx) {
    if (!ctx.applier) throw new UsageError('no server is running');
    ctx.applier.pause();
    return { paused: true };
  },
  async 'store resume'(ctx) {
    if (!ctx.applier) throw new UsageError('no server is running');
    ctx.applier.resume();
    return { paused: false };
  },
  async 'store flush'(ctx) {
    await ctx.applier?.flush();
    return { flushed: true };
  },
  async query(ctx, [sql]) {
    if (!sql) throw new UsageError('usage: beaconry query "<read-only SQL>"');
    return ctx.store.query(sql);
  },
};
