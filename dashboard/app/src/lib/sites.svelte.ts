// The account's sites, loaded once after sign-in and kept current by the management pages, for the
// site list, the site switcher and the settings pages.
import { auth } from './auth.svelte.js';

export interface Site {
  id: string;
  domain: string;
  timezone: string;
  retentionDays: number;
  publicKey: string;
  createdAt: string;
  snippet: string;
  optOut: string;
}

export class Sites {
  list = $state<Site[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      this.list = (await auth.json<{ sites: Site[] }>('/api/dashboard/sites')).sites;
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  byDomain(domain: string): Site | undefined {
    return this.list.find((s) => s.domain === domain);
  }

  upsert(site: Site): void {
    const i = this.list.findIndex((s) => s.id === site.id);
    if (i >= 0) this.list[i] = site;
    else this.list = [...this.list, site].sort((a, b) => a.domain.localeCompare(b.domain));
  }

  remove(id: string): void {
    this.list = this.list.filter((s) => s.id !== id);
  }

  clear(): void {
    this.list = [];
    this.loaded = false;
  }
}

export const sites = new Sites();
