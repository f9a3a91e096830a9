// The edge's in-memory view of who may write: site public keys and secret keys (by SHA-256 of the
// key, as they are stored). Looked up synchronously on the hot path; rebuilt from the store whenever
// a site or key changes, and published to the pool's workers with the salts.
import { createHash } from 'node:crypto';
import type { SiteView } from '../pipeline/context.js';
import type { RegistryWriter } from '../pool/shared-registry.js';
import type { SaltKeeper } from './salt-keeper.js';

export interface RegisteredSite extends SiteView {
  readonly publicKey: string;
  readonly retentionDays: number;
}

export interface RegisteredKey {
  readonly id: string;
  readonly siteId: string;
  readonly scopes: readonly string[];
}

export interface KeySource {
  sites(): Promise<RegisteredSite[]>;
  /** Active (not revoked) secret keys with their stored SHA-256 hex hash. */
  secretKeys(): Promise<(RegisteredKey & { hash: string })[]>;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class KeyRegistry {
  private byPublic = new Map<string, RegisteredSite>();
  private byId = new Map<string, RegisteredSite>();
  private byName = new Map<string, RegisteredSite>();
  private bySecretHash = new Map<string, RegisteredKey>();

  constructor(
    private readonly source: KeySource,
    private readonly salts: SaltKeeper,
    private readonly writer: RegistryWriter,
  ) {}

  async reload(): Promise<void> {
    const [sites, keys] = await Promise.all([this.source.sites(), this.source.secretKeys()]);
    this.byPublic = new Map(sites.map((s) => [s.publicKey, s]));
    this.byId = new Map(sites.map((s) => [s.id, s]));
    this.byName = new Map(sites.flatMap((s) => [[s.domain, s], ...(s.umamiId ? [[s.umamiId, s] as const] : [])]));
    this.bySecretHash = new Map(keys.map((k) => [k.hash, { id: k.id, siteId: k.siteId, scopes: k.scopes }]));
    this.salts.rotate(sites);
    this.publish();
  }

  /** Called on a timer: new local days get salts, old salts are destroyed. */
  rotateSalts(now = Date.now()): void {
    if (this.salts.rotate([...this.byId.values()], now)) this.publish();
  }

  private publish(): void {
    const sites: SiteView[] = [...this.byId.values()].map((s) => ({
      id: s.id, domain: s.domain, timezone: s.timezone, umamiId: s.umamiId ?? null,
    }));
    this.writer.publish({ sites, salts: this.salts.snapshot() });
  }

  sitePublic(key: string): RegisteredSite | undefined {
    return this.byPublic.get(key);
  }
  secret(token: string): RegisteredKey | undefined {
    return this.bySecretHash.get(hashSecret(token));
  }
  site(id: string): RegisteredSite | undefined {
    return this.byId.get(id);
  }
  siteByName(name: string): RegisteredSite | undefined {
    return this.byName.get(name.toLowerCase()) ?? this.byName.get(name);
  }
  allSites(): RegisteredSite[] {
    return [...this.byId.values()];
  }
}
