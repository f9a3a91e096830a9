// Sites and daily salts, shared by the main thread with every worker through one SharedArrayBuffer:
// the main thread publishes a msgpack snapshot under a seqlock, a worker re-reads it only when the
// version moved. No message round trip per task, no stale site after an update is published.
import { pack, unpack } from 'msgpackr';
import type { SaltSource, SiteView } from '../pipeline/context.js';
import type { SiteLookup } from '../pipeline/process-request.js';

export interface RegistrySnapshot {
  sites: SiteView[];
  /** siteId → site-local day number → 32-byte salt. */
  salts: Record<string, Record<number, Uint8Array>>;
}

const HEADER = 8; // [version: i32][length: i32]
export const REGISTRY_BYTES = 16 * 1024 * 1024; // virtual; untouched pages cost no memory

export class RegistryWriter {
  readonly sab = new SharedArrayBuffer(REGISTRY_BYTES);
  private readonly meta = new Int32Array(this.sab, 0, 2);
  private readonly bytes = new Uint8Array(this.sab, HEADER);

  publish(snapshot: RegistrySnapshot): void {
    const data = pack(snapshot);
    if (data.length > this.bytes.length) throw new Error(`registry of ${data.length} bytes exceeds ${this.bytes.length}`);
    Atomics.add(this.meta, 0, 1); // odd: write in progress
    this.bytes.set(data);
    Atomics.store(this.meta, 1, data.length);
    Atomics.add(this.meta, 0, 1); // even: consistent
  }
}

export class RegistryReader implements SiteLookup, SaltSource {
  private readonly meta: Int32Array;
  private readonly bytes: Uint8Array;
  private version = -1;
  private byIdMap = new Map<string, SiteView>();
  private byNameMap = new Map<string, SiteView>();
  private saltMap = new Map<string, Buffer>();

  constructor(sab: SharedArrayBuffer) {
    this.meta = new Int32Array(sab, 0, 2);
    this.bytes = new Uint8Array(sab, HEADER);
  }

  /** Call at the start of each task: cheap when nothing changed. */
  refresh(): void {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const v = Atomics.load(this.meta, 0);
      if (v === this.version) return;
      if (v % 2 === 1) continue; // writer busy; it finishes in microseconds
      const len = Atomics.load(this.meta, 1);
      const copy = this.bytes.slice(0, len);
      if (Atomics.load(this.meta, 0) !== v) continue;
      this.load(len === 0 ? { sites: [], salts: {} } : (unpack(copy) as RegistrySnapshot));
      this.version = v;
      return;
    }
    throw new Error('registry kept changing while being read');
  }

  private load(s: RegistrySnapshot): void {
    this.byIdMap = new Map();
    this.byNameMap = new Map();
    for (const site of s.sites) {
      this.byIdMap.set(site.id, site);
      this.byNameMap.set(site.domain, site);
      this.byNameMap.set(site.id, site);
      if (site.umamiId) this.byNameMap.set(site.umamiId, site);
    }
    this.saltMap = new Map();
    for (const [siteId, days] of Object.entries(s.salts)) {
      for (const [day, salt] of Object.entries(days)) this.saltMap.set(`${siteId}|${day}`, Buffer.from(salt));
    }
  }

  byId(id: string): SiteView | undefined {
    return this.byIdMap.get(id);
  }
  byDomainOrId(name: string): SiteView | undefined {
    return this.byNameMap.get(name.toLowerCase()) ?? this.byNameMap.get(name);
  }
  saltFor(siteId: string, day: number): Buffer | undefined {
    return this.saltMap.get(`${siteId}|${day}`);
  }
}
