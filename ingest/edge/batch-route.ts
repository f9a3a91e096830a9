// POST /api/v1/batch: the hot path. Everything that can refuse a request without reading its body
// happens here, synchronously and in this order: key → size cap → DNT/GPC → rate limit → queues.
// Then the body is read, handed to the dispatcher, and answered once the pool and the log are done.
import { BeaconryError, type ErrorCode } from '../../core/errors.js';
import { metrics } from '../../core/metrics.js';
import type { Config } from '../../core/config.js';
import type { KeyRegistry } from '../registry/key-registry.js';
import type { RequestInput, WireFormat } from '../pipeline/process-request.js';
import type { ClientIpResolver } from './client-ip.js';
import type { Dispatcher, Settled } from './dispatcher.js';
import { Gcra, rateLimitHeaders } from './rate-limit.js';
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
}

export function makeBatchHandler(deps: BatchRouteDeps, format: WireFormat = 'native') {
  const { config, keys, ips, dispatcher } = deps;
  const secretLimiter = new Gcra(config.secretKeyEventsPerMinute);
  const publicLimiter = new Gcra(config.publicKeyEventsPerMinute);

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

    let siteId: string;
    let keyKind: 'public' | 'secret';
    let rateKey: string;
    if (auth.startsWith('Bearer ') || auth.startsWith('bearer ')) {
      const key = keys.secret(auth.slice(7).trim());
      if (!key || !key.scopes.includes('ingest')) return sendError(res, state, 'BEACONRY_ERR_UNAUTHORIZED', CORS_HEADERS);
      siteId = key.siteId;
      keyKind = 'secret';
      rateKey = key.id;
    } else {
      const site = publicKey ? keys.sitePublic(publicKey) : undefined;
      if (!site) return sendError(res, state, 'BEACONRY_ERR_UNAUTHORIZED', CORS_HEADERS);
      siteId = site.id;
      keyKind = 'public';
      rateKey = site.id;
    }
    const maxBytes = keyKind === 'secret' ? config.maxSecretBodyBytes : config.maxPublicBodyBytes;
    const declared = lengthHeader === '' ? undefined : Number(lengthHeader);
    if (declared !== undefined && (!Number.isFinite(declared) || declared > maxBytes)) {
      return sendError(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', CORS_HEADERS, true);
    }
    if (!ACCEPTED_TYPES.test(contentType)) return sendError(res, state, 'BEACONRY_ERR_UNSUPPORTED_MEDIA', CORS_HEADERS);
    if (dnt) {
      // The visitor asked not to be tracked: say yes, keep nothing, count the request.
      metrics.requestsDropped.inc({ reason: 'dnt' });
      metrics.requests.inc({ route: 'batch', status: '202' });
      return send(res, state, 202, JSON_HEADERS, '{"ok":true,"accepted":0,"dropped":{"dnt":"all"}}');
    }
    const limiter = keyKind === 'secret' ? secretLimiter : publicLimiter;
    const room = limiter.peek(rateKey, receivedAt);
    if (!room.ok) {
      metrics.rateLimited.inc({ key_kind: keyKind });
      return sendError(res, state, 'BEACONRY_ERR_RATE_LIMITED', { ...CORS_HEADERS, ...rateLimitHeaders(room) });
    }
    if (!deps.ready()) {
      const code = deps.durableProblem() ?? 'BEACONRY_ERR_NOT_READY';
      return sendError(res, state, new BeaconryError(code, undefined, { 'Retry-After': '5' }), CORS_HEADERS);
    }
    const admit = dispatcher.admits();
    if (admit !== 'ok') {
      const code = admit === 'overloaded' ? 'BEACONRY_ERR_OVERLOADED' : 'BEACONRY_ERR_NOT_DURABLE';
      return sendError(res, state, new BeaconryError(code, undefined, { 'Retry-After': admit === 'overloaded' ? '1' : '5' }), CORS_HEADERS);
    }
    const ip = ips.resolve(socketIp, { xff, realIp });

    readBody(
      res,
      maxBytes,
      declared,
      (body) => {
        if (state.aborted) return;
        const input: RequestInput = { body, ip, ua, keyKind, siteId, format, receivedAt, maxBytes };
        dispatcher.submit(input, (s: Settled) => {
          const { outcome } = s;
          // Cost = events in the batch (at least 1, so malformed floods are limited too).
          const charged = limiter.charge(rateKey, Math.max(1, outcome.received), Date.now());
          if (!outcome.ok) return sendError(res, state, new BeaconryError(outcome.code, outcome.message), CORS_HEADERS);
          if (!s.durable) {
            return sendError(res, state, new BeaconryError('BEACONRY_ERR_NOT_DURABLE', undefined, { 'Retry-After': '5' }), CORS_HEADERS);
          }
          metrics.batchEvents.observe(outcome.received);
          metrics.ackLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
          metrics.requests.inc({ route: 'batch', status: '202' });
          send(
            res,
            state,
            202,
            { ...JSON_HEADERS, ...rateLimitHeaders(charged) },
            JSON.stringify({ ok: true, accepted: outcome.accepted, dropped: outcome.dropped }),
          );
        });
      },
      () => sendError(res, state, 'BEACONRY_ERR_BODY_TOO_LARGE', CORS_HEADERS, true),
    );
  };
}
