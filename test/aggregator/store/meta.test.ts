// Sites and secret keys in meta.duckdb: validation, CRUD, persistence, and keys hashed at rest.
import { describe, expect, it } from 'vitest';
import { BeaconryError } from '../../../core/errors.js';
import { hashSecret } from '../../../aggregator/store/keys.js';
import { Store } from '../../../aggregator/store/store.js';
import { filesContaining, storeOpener, tempDir } from './helpers.js';

const open = storeOpener();

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof BeaconryError) return err.code;
    throw err;
  }
  throw new Error('expected a BeaconryError');
};

describe('sites', () => {
  it('creates, lists, gets, updates and keeps sites across a restart', async () => {
    const { store, dir } = await open();
    const site = await store.sites.create('https://Example.COM/', { timezone: 'Europe/Berlin', retentionDays: 90 });
    expect(site).toMatchObject({ domain: 'example.com', timezone: 'Europe/Berlin', retentionDays: 90, umamiId: null });
    expect(site.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(site.publicKey).toMatch(/^pk_[A-Za-z0-9_-]{22}$/);
    expect(Number.isNaN(Date.parse(site.createdAt))).toBe(false);
    const other = await store.sites.create('blog.example.org');
    expect(other).toMatchObject({ timezone: 'UTC', retentionDays: 30 });

    expect(await store.sites.get(site.id)).toEqual(site);
    expect(await store.sites.get('EXAMPLE.com')).toEqual(site);
    expect(await store.sites.get('missing.example')).toBeUndefined();
    expect((await store.sites.list()).map((s) => s.domain)).toEqual(['blog.example.org', 'example.com']);

    const updated = await store.sites.update(site.id, { retentionDays: 15, timezone: 'Asia/Kolkata', umamiId: 'c3f1a0e2-0000-4000-8000-000000000000' });
    expect(updated).toEqual({ ...site, retentionDays: 15, timezone: 'Asia/Kolkata', umamiId: 'c3f1a0e2-0000-4000-8000-000000000000' });
    await store.close();

    const { store: again } = await open(dir);
    expect(await again.sites.get(site.id)).toEqual(updated);
    expect((await again.sites.list()).length).toBe(2);
  });

  it('refuses bad input with the right error codes', async () => {
    const { store } = await open();
    const site = await store.sites.create('example.com');
    expect(await code(store.sites.create('example.com'))).toBe('BEACONRY_ERR_CONFLICT');
    expect(await code(store.sites.create('example.com/path'))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.sites.create('user:pw@example.com'))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.sites.create('a.example', { timezone: 'Mars/Olympus' }))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.sites.create('a.example', { retentionDays: 14 }))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.sites.create('a.example', { retentionDays: 366 }))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.sites.create('a.example', { retentionDays: 20.5 }))).toBe('BEACONRY_ERR_BAD_REQUEST');
    const b = await store.sites.create('b.example');
    expect(await code(store.sites.update(b.id, { domain: 'example.com' }))).toBe('BEACONRY_ERR_CONFLICT');
    expect(await code(store.sites.update('00000000-0000-4000-8000-000000000000', { retentionDays: 20 }))).toBe('BEACONRY_ERR_NOT_FOUND');
    expect(await code(store.sites.delete('00000000-0000-4000-8000-000000000000'))).toBe('BEACONRY_ERR_NOT_FOUND');
    expect((await store.sites.list()).map((s) => s.id).sort()).toEqual([site.id, b.id].sort());
  });

  it('deletes a site with its keys', async () => {
    const { store } = await open();
    const a = await store.sites.create('a.example');
    const b = await store.sites.create('b.example');
    await store.keys.create(a.id);
    const kb = await store.keys.create(b.id);
    await store.sites.delete(a.id);
    expect(await store.sites.get(a.id)).toBeUndefined();
    expect((await store.keys.all()).map((k) => k.id)).toEqual([kb.record.id]);
  });
});

describe('secret keys', () => {
  it('creates, lists, revokes, and hands the edge every key by hash', async () => {
    const { store } = await open();
    const site = await store.sites.create('example.com');
    const { secretKey, record } = await store.keys.create(site.id, { name: 'backend', scopes: ['ingest'] });
    expect(secretKey).toMatch(/^bk_live_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ siteId: site.id, name: 'backend', scopes: ['ingest'], revokedAt: null });
    expect(record.hash).toBe(hashSecret(secretKey));
    expect(record.prefix).toBe(secretKey.slice('bk_live_'.length, 'bk_live_'.length + 8));
    const second = await store.keys.create(site.id);
    expect(second.record.scopes).toEqual(['ingest', 'stats']);
    expect(second.secretKey).not.toBe(secretKey);

    expect((await store.keys.list(site.id)).map((k) => k.id).sort()).toEqual([record.id, second.record.id].sort());
    const revoked = await store.keys.revoke(record.id);
    expect(revoked.revokedAt).not.toBeNull();
    const byHash = new Map((await store.keys.all()).map((k) => [k.hash, k]));
    expect(byHash.get(hashSecret(secretKey))?.revokedAt).toBe(revoked.revokedAt);
    expect(byHash.get(hashSecret(second.secretKey))?.revokedAt).toBeNull();
    expect(byHash.get(hashSecret(`${secretKey}x`))).toBeUndefined();

    expect(await code(store.keys.create('00000000-0000-4000-8000-000000000000'))).toBe('BEACONRY_ERR_NOT_FOUND');
    expect(await code(store.keys.create(site.id, { scopes: ['Bad Scope'] }))).toBe('BEACONRY_ERR_BAD_REQUEST');
    expect(await code(store.keys.revoke('nope'))).toBe('BEACONRY_ERR_NOT_FOUND');
  });

  it('never writes a secret key to disk, only its hash', async () => {
    const { store, dir } = await open();
    const site = await store.sites.create('example.com');
    const keys = [await store.keys.create(site.id), await store.keys.create(site.id, { name: 'second' })];
    // Before and after a checkpoint, and after close (which checkpoints everything).
    for (const k of keys) expect(filesContaining(dir, k.secretKey.slice('bk_live_'.length))).toEqual([]);
    await store.checkpoint();
    await store.close();
    for (const k of keys) {
      expect(filesContaining(dir, k.secretKey.slice('bk_live_'.length))).toEqual([]);
      // The same search does find what is stored: the hash.
      expect(filesContaining(dir, k.record.hash).length).toBeGreaterThan(0);
    }
    const { store: again } = await open(dir);
    expect((await again.keys.all()).map((k) => k.hash).sort()).toEqual(keys.map((k) => k.record.hash).sort());
  });
});
