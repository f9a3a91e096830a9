// What the `beaconry` command can do besides start: the same functions serve the CLI (directly on the
// store when no server runs) and the running server's admin socket (when one does), so there is one
// implementation of each command, whichever process holds the DuckDB files.
import { isValidTimeZone } from '../ingest/pipeline/local-time.js';
import { eraseSite } from '../aggregator/erasure/erase-site.js';
import type { Rollups } from '../aggregator/rollups/rollups.js';
import type { Store } from '../aggregator/store/store.js';

export interface AdminContext {
  store: Store;
  /** Tells the running edge and pool that sites or keys changed (no-op without a server). */
  changed: () => Promise<void>;
  /** Pauses/resumes applying the log to DuckDB (only with a running server). */
  applier?: { pause(): void; resume(): void; flush(): Promise<void>; checkpoint(): Promise<void>; readonly isPaused: boolean };
  /** The running server's log (erasure rotates it and releases the site's segments). */
  log?: { rotate(): Promise<void>; stats(): { segments: number } };
  /** The running server's rollups. */
  rollups?: Rollups;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `--umami-id <uuid>` (the website id in existing Umami snippets), or `--umami-id none` to clear it. */
async function umamiId(ctx: AdminContext, siteId: string, flags: Flags): Promise<string | null | undefined> {
  const raw = flags['umami-id'];
  if (raw === undefined) return undefined;
  if (raw === 'none' || raw === '') return null;
  if (typeof raw !== 'string' || !UUID.test(raw)) throw new UsageError('--umami-id must be the Umami website id (a UUID), or "none" to clear it');
  const id = raw.toLowerCase();
  // The id picks the site for /api/send: two sites with one id would make that a coin toss.
  const taken = (await ctx.store.sites.list()).find((s) => s.id !== siteId && (s.umamiId?.toLowerCase() === id || s.id === id));
  if (taken) throw new UsageError(`site ${taken.domain} already uses ${id}`);
  return id;
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
    const umami = await umamiId(ctx, site.id, flags);
    if (umami !== undefined) patch.umamiId = umami;
    await ctx.store.sites.update(site.id, patch);
    await ctx.changed();
    return ctx.store.sites.get(site.id);
  },
  async 'site delete'(ctx, [name]) {
    const site = await siteOf(ctx, name);
    // Events, rollups, keys, salts and the log segments holding them, at once (aggregator/erasure).
    const report = await eraseSite(ctx, site.id);
    return { deleted: site.id, domain: site.domain, logSegments: report.logSegments, logReleased: report.logReleased };
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
  // ---- dashboard accounts (dashboard/server/user-add.ts) ----
  async 'user add'(ctx, [email], flags) {
    if (!email) throw new UsageError('usage: beaconry user add <email> [--password-stdin]   (without a password: prints a one-time setup link)');
    const { addUser, readPasswordFromStdin } = await import('../dashboard/server/user-add.js');
    const given = flags['password-stdin'];
    let password: string | undefined;
    if (typeof given === 'string') {
      password = given; // the CLI read stdin before handing the command to the running server
    } else if (given === true) {
      // Only the CLI's own process has the user's stdin; a server (it has an applier) cannot read it.
      if (ctx.applier) throw new UsageError('--password-stdin: this beaconry CLI cannot pass stdin to a running server; stop it or use the setup link');
      password = await readPasswordFromStdin();
    }
    try {
      return await addUser(ctx.store, email, password);
    } catch (err) {
      if (err instanceof Error && (err.name === 'BeaconryError' || /already exists/.test(err.message))) throw new UsageError(err.message);
      throw err;
    }
  },
  // ---- end dashboard accounts ----
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
