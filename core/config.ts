// Configuration: read once from the environment into a frozen, typed object.
// No other module reads process.env; everything takes a Config.
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Proxies (exact IPs or CIDRs) whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  readonly maxPublicBodyBytes: number;
  readonly maxSecretBodyBytes: number;
  /** GCRA: events per minute for a secret key. */
  readonly secretKeyEventsPerMinute: number;
  /** GCRA: events per minute for a site's public key (all its visitors together). */
  readonly publicKeyEventsPerMinute: number;
  readonly poolThreads: number;
  /** How long a pool task waits for more requests when the pool is free and few wait (0: never). */
  readonly poolCoalesceMs: number;
  /** Requests waiting at the edge for a pool slot before 503. */
  readonly edgeQueueLimit: number;
  /** Pool tasks in flight before the edge stops dispatching. */
  readonly poolQueueLimit: number;
  /** Log bytes written but not yet applied to the store before 503. */
  readonly logQueueLimitBytes: number;
  readonly logSegmentBytes: number;
  /** Free disk under the data dir below which ingest answers 503. */
  readonly diskFreeMinBytes: number;
  /** How long the store waits to gather a large append. */
  readonly storeFlushMs: number;
  /** DuckDB's threads (0: decided from ingest's pressure, see ThreadGovernor). */
  readonly duckdbThreads: number;
  readonly metricsToken: string | undefined;
  readonly trackerPath: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Allow opening the dashboard setup link and cookies over plain http (local use, tests). */
  readonly insecureCookies: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Setting<T> {
  env: string;
  def: T;
  parse: (raw: string) => T;
  doc: string;
}

const int = (min: number, max: number) => (raw: string): number => {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`expected ${min}..${max}, got ${n}`);
  return n;
};
const bytes = (min: number) => (raw: string): number => {
  const m = /^(\d+)\s*(b|kib|mib|gib|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`expected a size like 64KiB or 1MiB, got "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kib: 1024, kb: 1000, mib: 1024 ** 2, mb: 1e6, gib: 1024 ** 3, gb: 1e9 };
  const n = Number(m[1]) * (mult[unit] ?? 1);
  if (n < min) throw new ConfigError(`expected at least ${min} bytes, got ${n}`);
  return n;
};
const str = (raw: string): string => raw;
const bool = (raw: string): boolean => {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(`expected true or false, got "${raw}"`);
};
const cidrList = (raw: string): string[] => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    const [addr, bits] = item.split('/');
    if (!addr || net.isIP(addr) === 0) throw new ConfigError(`"${item}" is not an IP address or CIDR`);
    if (bits !== undefined) {
      const max = net.isIPv4(addr) ? 32 : 128;
      if (!/^\d+$/.test(bits) || Number(bits) > max) throw new ConfigError(`"${item}" has a bad prefix length`);
    }
  }
  return items;
};

// One core is left to the main thread, which runs the edge, the log and the store's appends. A
// worker per core oversubscribed a 2-core machine: with 100k events/s offered for 20 s (paced
// open-loop, rollups on), two workers cost 21.0 µs of process CPU per stored row against 18.5 µs
// with one, and the pool alone 13.3 s of CPU against 10.9 s for the same 2M rows.
const defaultThreads = Math.max(1, os.availableParallelism() - 1);

export const SETTINGS = {
  port: { env: 'BEACONRY_PORT', def: 8080, parse: int(0, 65535), doc: 'TCP port of the HTTP server (0 = any free port).' },
  host: {
    env: 'BEACONRY_HOST', def: '0.0.0.0', doc: 'Address to bind.',
    parse: (raw: string) => { if (net.isIP(raw) === 0 && raw !== 'localhost') throw new ConfigError(`"${raw}" is not an IP address`); return raw; },
  },
  dataDir: { env: 'BEACONRY_DATA_DIR', def: './data', parse: str, doc: 'Where the log, the DuckDB files and the keys live.' },
  trustedProxies: { env: 'BEACONRY_TRUSTED_PROXIES', def: [] as string[], parse: cidrList, doc: 'Comma-separated IPs/CIDRs of proxies whose X-Forwarded-For is believed. Empty: the socket address is the client.' },
  maxPublicBodyBytes: { env: 'BEACONRY_MAX_PUBLIC_BODY', def: 64 * 1024, parse: bytes(1024), doc: 'Body cap for public-key (browser) batches.' },
  maxSecretBodyBytes: { env: 'BEACONRY_MAX_SECRET_BODY', def: 1024 * 1024, parse: bytes(1024), doc: 'Body cap for secret-key batches.' },
  secretKeyEventsPerMinute: { env: 'BEACONRY_SECRET_KEY_RATE', def: 240, parse: int(1, 1e9), doc: 'Events per minute per secret key (GCRA, burst = one minute).' },
  publicKeyEventsPerMinute: { env: 'BEACONRY_PUBLIC_KEY_RATE', def: 600_000, parse: int(1, 1e9), doc: 'Events per minute per site public key (all visitors together).' },
  poolThreads: { env: 'BEACONRY_POOL_THREADS', def: defaultThreads, parse: int(1, 256), doc: 'Worker threads that decode, validate, hash and enrich (default: available cores minus one for the main thread, at least 1).' },
  poolCoalesceMs: { env: 'BEACONRY_POOL_COALESCE_MS', def: 3, parse: int(0, 1000), doc: 'When the pool is free and fewer than 8 requests wait, wait up to this long for more before sending them as one task (0 = never).' },
  edgeQueueLimit: { env: 'BEACONRY_EDGE_QUEUE', def: 4096, parse: int(1, 1e7), doc: 'Requests waiting for the pool before the edge answers 503.' },
  poolQueueLimit: { env: 'BEACONRY_POOL_QUEUE', def: 0, parse: int(0, 1e6), doc: 'Pool tasks in flight (0 = one per thread).' },
  logQueueLimitBytes: { env: 'BEACONRY_LOG_QUEUE', def: 256 * 1024 * 1024, parse: bytes(1024), doc: 'Log bytes not yet applied to DuckDB before the edge answers 503.' },
  logSegmentBytes: { env: 'BEACONRY_LOG_SEGMENT', def: 64 * 1024 * 1024, parse: bytes(4096), doc: 'Size at which a log segment is closed. The next one is prepared zero-filled at this size (plus 4 MiB), so the log holds up to two such files beyond its records.' },
  diskFreeMinBytes: { env: 'BEACONRY_DISK_FREE_MIN', def: 512 * 1024 * 1024, parse: bytes(0), doc: 'Free space under the data dir below which ingest answers 503.' },
  storeFlushMs: { env: 'BEACONRY_STORE_FLUSH_MS', def: 2000, parse: int(1, 60_000), doc: 'The longest acknowledged events wait before they are applied to DuckDB; under load they are applied sooner, a DuckDB row group (~131k rows) at a time.' },
  duckdbThreads: { env: 'BEACONRY_DUCKDB_THREADS', def: 0, parse: int(0, 256), doc: "DuckDB's threads for appends, rollups and queries (0 = one while ingest is busy and the store keeps up, one per core otherwise)." },
  metricsToken: { env: 'BEACONRY_METRICS_TOKEN', def: undefined as string | undefined, parse: str, doc: 'If set, /metrics requires Authorization: Bearer <token>.' },
  trackerPath: {
    env: 'BEACONRY_TRACKER_PATH', def: '/b.js', doc: 'Path the tracker script is served at.',
    parse: (raw: string) => { if (!/^\/[A-Za-z0-9._\-/]{1,100}\.js$/.test(raw)) throw new ConfigError(`"${raw}" must be a path ending in .js`); return raw; },
  },
  logLevel: {
    env: 'BEACONRY_LOG_LEVEL', def: 'info' as Config['logLevel'], doc: 'debug, info, warn, error or silent.',
    parse: (raw: string) => { if (!['debug', 'info', 'warn', 'error', 'silent'].includes(raw)) throw new ConfigError(`unknown level "${raw}"`); return raw as Config['logLevel']; },
  },
  insecureCookies: { env: 'BEACONRY_INSECURE_COOKIES', def: false, parse: bool, doc: 'Drop the Secure flag from dashboard cookies (plain-http local use only).' },
} satisfies { [K in keyof Config]: Setting<Config[K]> };

/** Reads the environment once. Unknown BEACONRY_* variables and invalid values fail with a message naming them. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = new Set(Object.values(SETTINGS).map((s) => s.env));
  const unknown = Object.keys(env).filter((k) => k.startsWith('BEACONRY_') && !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS) as [keyof Config, Setting<unknown>][]) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') {
      out[name] = s.def;
      continue;
    }
    try {
      out[name] = s.parse(raw);
    } catch (err) {
      throw new ConfigError(`${s.env}: ${(err as Error).message}`);
    }
  }
  out.dataDir = path.resolve(out.dataDir as string);
  // One task per thread: requests that arrive while every worker is busy wait at the edge and then
  // travel together in the next task, which is what amortises the pool round trip and the fsync.
  if (out.poolQueueLimit === 0) out.poolQueueLimit = out.poolThreads as number;
  return Object.freeze(out) as unknown as Config;
}
