// Daily salts for visitor ids: one random 32-byte salt per site and site-local day. Only today's and
// yesterday's are kept; older ones are removed from memory and from disk (the file is replaced whole,
// so the old salt's bytes are not left in it). Without the salt, a past day's visitor ids can never
// be recomputed or linked to another day's.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { localDayHour } from '../pipeline/local-time.js';

type SaltMap = Record<string, Record<number, Uint8Array>>;

export class SaltKeeper {
  private salts: SaltMap = {};
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'salts.json');
    try {
      const raw = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, Record<string, string>>;
      for (const [site, days] of Object.entries(raw)) {
        this.salts[site] = {};
        for (const [day, b64] of Object.entries(days)) this.salts[site][Number(day)] = Buffer.from(b64, 'base64');
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /**
   * Makes sure every site has salts for its local today and yesterday, and destroys older ones.
   * Returns true when anything changed (the caller republishes to the workers).
   */
  rotate(sites: readonly { id: string; timezone: string }[], now = Date.now()): boolean {
    let changed = false;
    const next: SaltMap = {};
    for (const site of sites) {
      const today = localDayHour(now, site.timezone).day;
      const have = this.salts[site.id] ?? {};
      const keep: Record<number, Uint8Array> = {};
      for (const day of [today - 1, today]) {
        const salt = have[day];
        if (salt) keep[day] = salt;
        else {
          keep[day] = randomBytes(32);
          changed = true;
        }
      }
      if (Object.keys(have).some((d) => !(Number(d) in keep))) changed = true;
      next[site.id] = keep;
    }
    if (Object.keys(this.salts).some((id) => !(id in next))) changed = true;
    if (changed) {
      // Overwrite the destroyed salts in memory before letting go of them.
      for (const [id, days] of Object.entries(this.salts)) {
        for (const [day, salt] of Object.entries(days)) if (next[id]?.[Number(day)] !== salt) salt.fill(0);
      }
      this.salts = next;
      this.persist();
    }
    return changed;
  }

  snapshot(): SaltMap {
    return this.salts;
  }

  private persist(): void {
    const out: Record<string, Record<string, string>> = {};
    for (const [site, days] of Object.entries(this.salts)) {
      out[site] = {};
      for (const [day, salt] of Object.entries(days)) out[site][day] = Buffer.from(salt).toString('base64');
    }
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(out));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
