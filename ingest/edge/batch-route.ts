// POST /api/v1/batch and the Plausible/Umami drop-ins: the hot path. Refusals that need no body come
// first, synchronously: key → size cap → DNT/GPC → rate limit → queues. Then the body is read, handed
// to the dispatcher, and answered once the pool and the log are done.
import { isIP } from 'node:net';
import { BeaconryError, errorResponse, type ErrorCode, type ErrorDialect } from '../../core/errors.js';
import { metrics } from '../../core/metrics.js';
import type { Config } from '../../core/config.js';
import type { KeyRegistry } from '../registry/key-registry.js';
import type { RequestInput, RequestOutcome, WireFormat } from '../pipeline/process-request.js';
import { normalizeIp, type ClientIpResolver } from './client-ip.js';
import type { Dispatcher, Settled } from './dispatcher.js';
import { Gcra, rateLimitHeaders, type RateDecision } from './rate-limit.js';
import { readBody } from './read-body.js';
import { CORS_HEADERS, send, sendError, type ResponseState } from './respond.js';
import type { HttpRequest, HttpResponse } from './uws.js';

const ACCEPTED_TYPES = /^(|text\/plain|application\/x-www-form-urlencoded|application\/json|application\/msgpack|application\/x-msgpack|application\/vnd\.msgpack)$/;
const JSON_HEADERS = { 'content-type': 'application/json', ...CORS_HEADERS };

export interface BatchRouteDeps {
  config: Config;
  keys: KeyRegistry;
  ips: ClientIpResolver;
  dispatcher: Dispatcher;
  /** False while the log replays, or after a log failure / low disk. */
  ready: () => boolean;
  durableProblem: () => ErrorCode | undefined;
  /** Shared by every ingest route, so a key or a site has one budget whichever format it uses. */
  rates?: IngestRates;
}

export interface IngestRates {
  readonly secret: Gcra;
  readonly public: Gcra;
  /**
   * Keyless drop-in requests name their site in the body, so the edge cannot check the site's public
   * limiter before the pool has parsed it. Instead each outcome charges the sites it wrote to, a site
   * that ran out is listed here until it has room again, and the pool refuses that site's events
   * (429). Overshoot is bounded by the requests already in flight. Keys: registered site ids only.
   */
  readonly throttledUntil: Map<string, number>;
}

export function ingestRates(config: Config): IngestRates {
  return { secret: new Gcra(config.secretKeyEventsPerMinute), public: new Gcra(config.publicKeyEventsPerMinute), throttledUntil: new Map() };
}

/** Whose error shape each format answers in, and its label in `beaconry_http_requests_total`. */
const DIALECT: Record<WireFormat, ErrorDialect> = { native: 'beaconry', plausible: 'plausible', umami: 'umami', 'umami-batch': 'umami' };
const ROUTE_LABEL: Record<WireFormat, string> = { native: 'batch', plausible: 'plausible_event', umami: 'umami_send', 'umami-batch': 'umami_batch' };

/** What a request that Do Not Track / GPC dropped whole is answered with, in each client's terms. */
const DNT_REPLY: Record<WireFormat, { status: number; headers: Record<string, string>; body: string }> = {
  native: { status: 202, headers: JSON_HEADERS, body: '{"ok":true,"accepted":0,"dropped":{"dnt":"all"}}' },
  plausible: { status: 202, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-plausible-dropped': '1', ...CORS_HEADERS }, body: 'ok' },
  umami: { status: 200, headers: { ...JSON_HEADERS, 'x-beaconry-dropped': 'dnt=all' }, body: '{}' },
  // The body is not read, so its size is unknown: nothing was processed.
  'umami-batch': { status: 200, headers: { ...JSON_HEADERS, 'x-beaconry-dropped': 'dnt=all' }, body: '{"size":0,"processed":0,"errors":0,"details":[]}' },
};

/** A server-side sender's visitor address: the first valid one in X-Forwarded-For (Plausible's Events API rule). */
function forwardedFor(xff: string): string | undefined {
  for (const part of xff.split(',')) {
    const ip = normalizeIp(part.trim().replace(/^\[|\]$/g, ''));
    if (isIP(ip) !== 0) return ip;
  }
  return undefined;
}

export function makeBatchHandler(deps: BatchRouteDeps, format: WireFormat = 'native') {
  const { config, keys, ips, dispatcher } = deps;
  const { secret: secretLimiter, public: publicLimiter, throttledUntil } = deps.rates ?? ingestRates(config);
  const dialect = DIALECT[format];
  const route = ROUTE_LABEL[format];

  const refuse = (res: HttpResponse, state: ResponseState, err: BeaconryError | ErrorCode, headers: Record<string, string> = {}, close = false): void => {
    if (dialect === 'beaconry') return sendError(res, state, err, headers, close);
    const e = typeof err === 'string' ? new BeaconryError(err) : err;
    const r = errorResponse(e, dialect);
    metrics.requestsRejected.inc({ status: String(r.status), code: e.code });
    send(res, state, r.status, { ...r.headers, ...headers }, r.body, close);
  };

  const throttledNow = (now: number): string[] | undefined => {
    if (throttledUntil.size === 0) return undefined;
    let list: string[] | undefined;
    for (const [id, until] of throttledUntil) {
      if (until <= now) throttledUntil.delete(id);
      else (list ??= []).push(id);
    }
    return list;
  };

  /** Charges each site a keyless request wrote to; returns the decision for a single-site request. */
  const chargeSites = (outcome: RequestOutcome, now: number): RateDecision | undefined => {
    let last: RateDecision | undefined;
    for (const [siteId, events] of outcome.charges ?? []) {
      last = publicLimiter.charge(siteId, Math.max(1, events), now);
      const room = publicLimiter.peek(siteId, now);
      if (!room.ok) throttledUntil.set(siteId, now + room.retryAfterSeconds * 1000);
    }
    return outcome.charges?.length === 1 ? last : undefined;
  };

  const retryAfter = (throttled: readonly string[] | undefined, now: number): string => {
    let until = now + 1000;
    for (const id of throttled ?? []) until = Math.max(until, throttledUntil.get(id) ?? 0);
    return String(Math.ceil((until - now) / 1000));
  };

  return (res: HttpResponse, req: HttpRequest): void => {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const receivedAt = Date.now();
    const started = process.hrtime.bigint();
    // Copy all we need from req now: it is invalid after this function returns.
    const auth = req.getHeader('authorization');
    const publicKey = new URLSearchParams(req.getQuery() ?? '').get('k') ?? '';
    const contentType = req.getHeader('content-type').split(';')[0]!.trim().toLowerCase();
    const lengthHeader = req.getHeader('content-length');
    const dnt = req.getHeader('dnt') === '1' || req.getHeader('sec-gpc') === '1';
    const ua = req.getHeader('user-agent');
    const xff = req.getHeader('x-forwarded-for');
    const realIp = req.getHeader('x-real-ip');
    const socketIp = Buffer.from(res.getRemoteAddressAsText()).toString();

    let siteId: string | undefined;
    let keyKind: 'public' | 'secret';
    let rateKey: string | undefined;
    if (auth.startsWith('Bearer ') || auth.startsWith('bearer ')) {
      const key = keys.secret(auth.slice(7).trim());
      if (!key || !key.scopes.includes('ingest')) return refuse(res, state, 'BEACONRY_ERR_UNAUTHORIZED', CORS_HEADERS);
      siteId = key.siteId;
      keyKind = 'secret';
      rateKey = key.id;
    } else if (format === 'native') {
      const site = publicKey ? keys.sitePublic(publicKey) : undefined;
      if (!site) return refuse(res, state, 'BEACONRY_ERR_UNAUTHORIZED', CORS_HEADERS);
      siteId = site.id;
      keyKind = 'public';
      rateKey = site.id;
    } else {
      // Plausible and Umami snippets carry no key: the body names the site, the pool resolves it.
      keyKind = 'public';
    }
    const maxBytes = keyKind === 'secret' ? config.maxSecretBodyBytes : config.maxPublicBodyBytes;
    const declared = lengthHeader === '' ? undefined : Number(lengthHeader);
    if (declared !== undefined && (!Number.isFinite(declared) || declared > maxBytes)) {
      return refuse(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', CORS_HEADERS, true);
    }
    if (!ACCEPTED_TYPES.test(contentType)) return refuse(res, state, 'BEACONRY_ERR_UNSUPPORTED_MEDIA', CORS_HEADERS);
    if (dnt) {
      // The visitor asked not to be tracked: say yes, keep nothing, count the request.
      metrics.requestsDropped.inc({ reason: 'dnt' });
      metrics.requests.inc({ route, status: String(DNT_REPLY[format].status) });
      const r = DNT_REPLY[format];
      return send(res, state, r.status, r.headers, r.body);
    }
    const limiter = keyKind === 'secret' ? secretLimiter : publicLimiter;
    if (rateKey !== undefined) {
      const room = limiter.peek(rateKey, receivedAt);
      if (!room.ok) {
        metrics.rateLimited.inc({ key_kind: keyKind });
        return refuse(res, state, 'BEACONRY_ERR_RATE_LIMITED', { ...CORS_HEADERS, ...rateLimitHeaders(room) });
      }
    }
    if (!deps.ready()) {
      const code = deps.durableProblem() ?? 'BEACONRY_ERR_NOT_READY';
      return refuse(res, state, new BeaconryError(code, undefined, { 'Retry-After': '5' }), CORS_HEADERS);
    }
    const admit = dispatcher.admits();
    if (admit !== 'ok') {
      const code = admit === 'overloaded' ? 'BEACONRY_ERR_OVERLOADED' : 'BEACONRY_ERR_NOT_DURABLE';
      return refuse(res, state, new BeaconryError(code, undefined, { 'Retry-After': admit === 'overloaded' ? '1' : '5' }), CORS_HEADERS);
    }
    // A drop-in sender holding a secret key is the site's own server relaying a visitor, as
    // Plausible's Events API expects (it may set `ip` in a native batch for the same reason).
    const relayed = keyKind === 'secret' && format !== 'native' ? forwardedFor(xff) : undefined;
    const ip = relayed ?? ips.resolve(socketIp, { xff, realIp });
    const throttled = rateKey === undefined ? throttledNow(receivedAt) : undefined;

    readBody(
      res,
      maxBytes,
      declared,
      (body) => {
        if (state.aborted) return;
        const input: RequestInput = {
          body, ip, ua, keyKind, format, receivedAt, maxBytes,
          ...(siteId !== undefined ? { siteId } : {}),
          ...(throttled !== undefined ? { throttled } : {}),
        };
        dispatcher.submit(input, (s: Settled) => {
          const { outcome } = s;
          const now = Date.now();
          // Cost = events in the batch (at least 1, so malformed floods are limited too).
          const charged = rateKey !== undefined ? limiter.charge(rateKey, Math.max(1, outcome.received), now) : chargeSites(outcome, now);
          if (!outcome.ok) {
            const headers: Record<string, string> = {};
            if (outcome.code === 'BEACONRY_ERR_RATE_LIMITED') {
              metrics.rateLimited.inc({ key_kind: keyKind });
              headers['Retry-After'] = retryAfter(throttled, now);
            }
            return refuse(res, state, new BeaconryError(outcome.code, outcome.message, headers, outcome.details), CORS_HEADERS);
          }
          if (!s.durable) {
            return refuse(res, state, new BeaconryError('BEACONRY_ERR_NOT_DURABLE', undefined, { 'Retry-After': '5' }), CORS_HEADERS);
          }
          // A Plausible event for a domain that is no site here: answered 202 like Plausible, and counted.
          if (outcome.unknownSites) metrics.requestsDropped.inc({ reason: 'unknown_site' }, outcome.unknownSites);
          metrics.batchEvents.observe(outcome.received);
          metrics.ackLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
          const rate = charged ? rateLimitHeaders(charged) : {};
          if (outcome.reply) {
            metrics.requests.inc({ route, status: String(outcome.reply.status) });
            return send(res, state, outcome.reply.status, { ...outcome.reply.headers, ...CORS_HEADERS, ...rate }, outcome.reply.body);
          }
          metrics.requests.inc({ route, status: '202' });
          send(res, state, 202, { ...JSON_HEADERS, ...rate }, JSON.stringify({ ok: true, accepted: outcome.accepted, dropped: outcome.dropped }));
        });
      },
      () => refuse(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', CORS_HEADERS, true),
    );
  };
}
