/**
 * The Idempotency-Key contract for every create and state-changing call:
 * - same key, same request: the stored first response (status and body) is returned;
 * - same key, different request: 422, nothing executed;
 * - concurrent requests with one key: one executes, the others wait for its response
 *   (or get a 409 telling them to retry if it takes too long);
 * - a request that died mid-way (its lock expired) is finished by the next retry, with
 *   the resource id fixed when the key was first claimed, so it never creates a second resource.
 * Requests that fail authentication or validation are not stored (nothing was executed), as
 * Stripe does; everything a request answers once it executes is (see respondIdempotently).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../../lib/db';
import { ApiError, internalError, isTransient } from './errors';
import { caller } from './request-context';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotentRequest {
  accountId: string;
  key: string;
  method: string;
  path: string;
  body: unknown;
  ttlMs: number;
  newResourceId: () => string;
}

const LOCK_MS = 30_000;
const WAIT_FOR_OTHER_MS = 15_000;
const POLL_MS = 50;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(key: string | undefined): string {
  if (key === undefined) {
    throw new ApiError(
      400,
      'validation',
      'idempotency_key_missing',
      'the Idempotency-Key header is required on every POST (a unique value per intended action, e.g. a UUID)',
      [{ field: 'Idempotency-Key', message: 'required' }],
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError(400, 'validation', 'idempotency_key_invalid', 'Idempotency-Key must be 1-255 visible ASCII characters', [
      { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
    ]);
  }
  return key;
}

export const requireIdempotencyKeyOnWrites: RequestHandler = (req, _res, next) => {
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') checkIdempotencyKey(req.header('Idempotency-Key'));
  next();
};

/** Key order does not matter: {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runIdempotent(
  db: Db,
  request: IdempotentRequest,
  execute: (resourceId: string) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const { accountId, key } = request;
  const requestHash = requestFingerprint(request.method, request.path, request.body);
  const deadline = Date.now() + WAIT_FOR_OTHER_MS;

  const finishWith = async (resourceId: string) => {
    let response: StoredResponse;
    try {
      response = await execute(resourceId);
    } catch (error) {
      // Let an immediate retry take over (same resource id) instead of waiting out the lock.
      await db.idempotencyRecord
        .updateMany({ where: { accountId, key, state: 'in_progress' }, data: { lockedUntil: new Date() } })
        .catch(() => undefined);
      throw error;
    }
    await db.idempotencyRecord.update({
      where: { accountId_key: { accountId, key } },
      data: { state: 'completed', responseStatus: response.status, responseBody: JSON.stringify(response.body) },
    });
    return { ...response, replayed: false };
  };

  for (;;) {
    const now = new Date();
    const resourceId = request.newResourceId();
    const claimed = await db.$executeRaw`
      INSERT INTO idempotency_records (account_id, key, request_hash, method, path, state, resource_id, locked_until, expires_at)
      VALUES (${accountId}, ${key}, ${requestHash}, ${request.method}, ${request.path}, 'in_progress', ${resourceId},
              ${new Date(now.getTime() + LOCK_MS)}, ${new Date(now.getTime() + request.ttlMs)})
      ON CONFLICT (account_id, key) DO NOTHING`;
    if (claimed === 1) return finishWith(resourceId);

    const record = await db.idempotencyRecord.findUnique({ where: { accountId_key: { accountId, key } } });
    if (!record) continue; // expired and purged between our two statements
    if (record.expiresAt < now) {
      await db.idempotencyRecord.deleteMany({ where: { accountId, key, expiresAt: { lt: now } } });
      continue;
    }
    if (record.requestHash !== requestHash || record.method !== request.method || record.path !== request.path) {
      throw new ApiError(
        422,
        'conflict',
        'idempotency_key_reused',
        `Idempotency-Key "${key}" was already used with a different request (${record.method} ${record.path}); use a new key for a new request`,
        [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
      );
    }
    if (record.state === 'completed') {
      return { status: record.responseStatus!, body: JSON.parse(record.responseBody!), replayed: true };
    }
    if (record.lockedUntil < now) {
      // The first attempt died mid-way: take its lock over and finish the same resource.
      const { count } = await db.idempotencyRecord.updateMany({
        where: { accountId, key, state: 'in_progress', lockedUntil: { lt: now } },
        data: { lockedUntil: new Date(now.getTime() + LOCK_MS) },
      });
      if (count === 1) return finishWith(record.resourceId);
      continue;
    }
    if (Date.now() > deadline) {
      throw new ApiError(
        409,
        'conflict',
        'idempotency_request_in_progress',
        'a request with this Idempotency-Key is still being processed; retry in a few seconds with the same key',
      );
    }
    await sleep(POLL_MS);
  }
}

export interface IdempotentRouteOptions {
  db: Db;
  ttlMs: number;
  log: (message: string, error?: unknown) => void;
  /** Id of the resource a create call makes; fixed when the key is first claimed. */
  newResourceId?: () => string;
}

/**
 * Runs a state-changing route under the Idempotency-Key contract and sends the response.
 * What the route answers once it has started executing is stored and replayed, refusals (4xx)
 * and failures (5xx) included. Only a transient outage (database or Temporal unreachable)
 * is not stored: the client is told to retry with the same key, and the retry finishes the work.
 */
export async function respondIdempotently(
  req: Request,
  res: Response,
  options: IdempotentRouteOptions,
  execute: (resourceId: string) => Promise<StoredResponse>,
): Promise<void> {
  const who = caller(req);
  const key = checkIdempotencyKey(req.header('Idempotency-Key'));
  const requestId = String(res.getHeader('X-Request-Id'));
  const result = await runIdempotent(
    options.db,
    {
      accountId: who.accountId,
      key,
      method: req.method,
      path: req.path,
      body: req.body ?? {},
      ttlMs: options.ttlMs,
      newResourceId: options.newResourceId ?? (() => ''),
    },
    async (resourceId) => {
      try {
        return await execute(resourceId);
      } catch (error) {
        if (error instanceof ApiError && error.type !== 'retryable') return { status: error.status, body: error.body(requestId) };
        if (error instanceof ApiError || isTransient(error)) throw error;
        options.log(`stored a 500 for ${req.method} ${req.path} (Idempotency-Key ${key}, request ${requestId})`, error);
        return { status: 500, body: internalError.body(requestId) };
      }
    },
  );
  // A replay is the first response byte for byte, refusals included: its body names the request that executed
  // (as Stripe does), and this request's own id is in X-Request-Id.
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(result.status).json(result.body);
}
