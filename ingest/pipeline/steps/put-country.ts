// Country from the IP through an offline database: @ip-location-db/geo-whois-asn-country-mmdb (CC0),
// read with maxmind (MIT). Loaded once per worker; looked up once per request.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'maxmind';
import { memo, type Step } from '../context.js';

// The database's records are {country_code} objects, not MaxMind's own shape.
interface CountryRecord { country_code?: string }
let reader: Reader<Response> | undefined;

function db(): Reader<Response> {
  if (!reader) {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json'));
    reader = new Reader<Response>(fs.readFileSync(path.join(dir, 'geo-whois-asn-country.mmdb')));
  }
  return reader;
}

export function countryOf(ip: string): string | undefined {
  try {
    const code = (db().get(ip) as CountryRecord | null)?.country_code;
    return code && code.length === 2 ? code : undefined;
  } catch {
    return undefined; // not an IP the database knows how to read
  }
}

export const putCountry: Step = (ev, ctx) => {
  const cc = memo(ctx, 'country', () => countryOf(ctx.ip));
  if (cc) ev.rec.country = cc;
  return undefined;
};
