/**
 * Authentication (Bearer API key), scopes, and per-key rate limiting.
 * Every /v1 route is behind `authenticate`; each route names the scope it needs.
 */
import type { RequestHandler } from 'express';
import type { Db } from '../../lib/db';
import { verifyApiKey, type Scope } from '../../lib/api-keys';
import { ApiError } from './errors';
import { caller, type Caller } from './request-context';

/** Why verifyApiKey refused a key: the error code and what to do about it (the OpenAPI document shows each). */
export const API_KEY_REFUSALS = {
  malformed: {
    code: 'api_key_malformed',
    message: 'the API key is not in the form pek_<id>_<secret>; copy it exactly as `npm run keys -- create` printed it',
  },
  unknown: { code: 'api_key_invalid', message: 'the API key is not valid; check it, or create one with `npm run keys -- create`' },
  revoked: { code: 'api_key_revoked', message: 'the API key was revoked; create a new one with `npm run keys -- create`' },
} as const;

export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.header('Authorization');
    const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="payouts"');
      throw new ApiError(401, 'auth', 'api_key_missing', 'send an API key: Authorization: Bearer pek_…', [
        { field: 'Authorization', message: 'required' },
      ]);
    }
    const verified = await verifyApiKey(db, token);
    if (!verified.ok) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="payouts", error="invalid_token"');
      const { code, message } = API_KEY_REFUSALS[verified.reason];
      throw new ApiError(401, 'auth', code, message, [{ field: 'Authorization', message }]);
    }
    const { principal } = verified;
    const who: Caller = {
      accountId: principal.accountId,
      actor: principal.actor,
      keyId: principal.keyId,
      scopes: principal.scopes,
      requestId: String(res.getHeader('X-Request-Id') ?? ''),
    };
    res.locals.caller = who;
    res.locals.rateLimitPerMinute = principal.rateLimitPerMinute;
    next();
  };
}

/** The route's required scope; 403 naming it when the key lacks it. */
export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    const who = caller(req);
    if (!who.scopes.includes(scope)) {
      throw new ApiError(
        403,
        'auth',
        'missing_scope',
        `this API key lacks the ${scope} scope needed for ${req.method} ${req.route?.path ?? req.path}`,
        [{ field: 'Authorization', message: `needs scope ${scope}` }],
      );
    }
    next();
  };
}

/**
 * Fixed one-minute windows per key, counted in PostgreSQL so every API process shares them.
 * Headers follow the IETF RateLimit fields draft; a refused request gets 429 and Retry-After.
 */
export function rateLimit(db: Db, defaultPerMinute: number): RequestHandler {
  let requestsSincePurge = 0;
  return async (req, res, next) => {
    const who = caller(req);
    const limit = (res.locals.rateLimitPerMinute as number | null) ?? defaultPerMinute;
    const now = Date.now();
    const windowStart = new Date(now - (now % 60_000));
    const rows = await db.$queryRaw<{ count: number }[]>`
      INSERT INTO rate_limit_windows (key_id, window_start, count) VALUES (${who.keyId}, ${windowStart}, 1)
      ON CONFLICT (key_id, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
      RETURNING count`;
    const count = Number(rows[0]!.count);
    const resetSeconds = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now) / 1000));
    res.setHeader('RateLimit-Policy', `${limit};w=60`);
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - count)));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (++requestsSincePurge >= 1000) {
      requestsSincePurge = 0;
      void db.rateLimitWindow.deleteMany({ where: { windowStart: { lt: new Date(now - 3_600_000) } } }).catch(() => undefined);
    }
    if (count > limit) {
      res.setHeader('Retry-After', String(resetSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        'rate_limited',
        `this API key made more than ${limit} requests this minute; retry after ${resetSeconds} s`,
      );
    }
    // At most one write per key per minute for "last used".
    if (count === 1) void db.apiKey.updateMany({ where: { id: who.keyId }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
    next();
  };
}
