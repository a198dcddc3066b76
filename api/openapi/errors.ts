/**
 * The documented error responses. Their examples are built by the same ApiError code the routes
 * throw, so the document shows exactly what a client receives.
 */
import { API_KEY_REFUSALS } from '../http/auth';
import { ApiError, internalError, validationError } from '../http/errors';

const REQUEST_ID = 'req_5b0e4a52-0f7c-4d7e-a6a1-8c3c7e0b9f21';

export interface ErrorResponseSpec {
  name: string;
  description: string;
  examples: Record<string, ApiError>;
  /** Response headers beyond X-Request-Id (names of components.headers). */
  headers?: string[];
}

export const ERROR_RESPONSES: Record<number, ErrorResponseSpec> = {
  400: {
    name: 'BadRequest',
    description:
      'Validation failed (every bad field is listed), malformed JSON, or a missing/invalid Idempotency-Key. Nothing was executed.',
    examples: {
      invalid_request: validationError([
        { field: 'amount', message: 'amount must be a string of decimal digits such as "12.50", not a JSON number' },
        { field: 'destination', message: 'destination must be a 0x-prefixed EVM address of 40 hex digits' },
      ]),
      idempotency_key_missing: new ApiError(
        400,
        'validation',
        'idempotency_key_missing',
        'the Idempotency-Key header is required on every POST (a unique value per intended action, e.g. a UUID)',
        [{ field: 'Idempotency-Key', message: 'required' }],
      ),
      malformed_json: new ApiError(400, 'validation', 'malformed_json', 'request body is not valid JSON'),
    },
  },
  401: {
    name: 'Unauthorized',
    description: 'No API key, or one that is malformed, unknown or revoked.',
    headers: ['WWW-Authenticate'],
    examples: {
      api_key_missing: new ApiError(401, 'auth', 'api_key_missing', 'send an API key: Authorization: Bearer pek_…', [
        { field: 'Authorization', message: 'required' },
      ]),
      ...Object.fromEntries(
        Object.values(API_KEY_REFUSALS).map(({ code, message }) => [
          code,
          new ApiError(401, 'auth', code, message, [{ field: 'Authorization', message }]),
        ]),
      ),
    },
  },
  403: {
    name: 'Forbidden',
    description: 'The API key lacks the scope this operation needs (or, for an approval, the approver created the payout).',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
    examples: {
      missing_scope: new ApiError(403, 'auth', 'missing_scope', 'this API key lacks the payouts:create scope needed for POST /v1/payouts', [
        { field: 'Authorization', message: 'needs scope payouts:create' },
      ]),
      own_payout: new ApiError(403, 'conflict', 'own_payout', 'you created this payout; another person must approve it'),
    },
  },
  404: {
    name: 'NotFound',
    description: 'No such resource in the API key’s account (another account’s resources do not exist for you).',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
    examples: {
      payout_not_found: new ApiError(404, 'not_found', 'payout_not_found', 'no payout po_01jd5x3k7q8w2m4n6p9r0s1t2v in account acct_demo'),
    },
  },
  409: {
    name: 'Conflict',
    description:
      'The request conflicts with the current state (e.g. the payout is already finished), or another request with the same ' +
      'Idempotency-Key is still running: retry it with the same key.',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
    examples: {
      payout_terminal: new ApiError(409, 'conflict', 'payout_terminal', 'payout is already completed; a finished payout never changes'),
      idempotency_request_in_progress: new ApiError(
        409,
        'conflict',
        'idempotency_request_in_progress',
        'a request with this Idempotency-Key is still being processed; retry in a few seconds with the same key',
      ),
    },
  },
  413: {
    name: 'PayloadTooLarge',
    description:
      'The body is larger than 1 MB (a mass payout: larger than `MASS_PAYOUT_MAX_BODY_BYTES`, default 64 MB, or more items ' +
      'than `MASS_PAYOUT_MAX_ITEMS`, default 100,000).',
    examples: {
      body_too_large: new ApiError(413, 'validation', 'body_too_large', 'request body is too large'),
      too_many_items: new ApiError(
        413,
        'validation',
        'too_many_items',
        'a mass payout holds at most 100,000 items and this file has more; split it into several mass payouts (line 100,002 is row 100,001) (the limit is MASS_PAYOUT_MAX_ITEMS=100000)',
        [{ field: 'file', line: 100_002, column: null, code: 'too_many_items', message: 'at most 100,000 items (MASS_PAYOUT_MAX_ITEMS)' }],
      ),
    },
  },
  415: {
    name: 'UnsupportedMediaType',
    description: 'The body is not UTF-8, or (mass payouts) not JSON, multipart/form-data or text/csv.',
    examples: { unsupported_encoding: new ApiError(415, 'validation', 'unsupported_encoding', 'send the body as UTF-8 JSON') },
  },
  422: {
    name: 'IdempotencyKeyReused',
    description: 'The Idempotency-Key was already used with a different request. Nothing was executed; use a new key for a new request.',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
    examples: {
      idempotency_key_reused: new ApiError(
        422,
        'conflict',
        'idempotency_key_reused',
        'Idempotency-Key "3f1c2a9e" was already used with a different request (POST /v1/payouts); use a new key for a new request',
        [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
      ),
    },
  },
  429: {
    name: 'TooManyRequests',
    description: 'The API key used up its requests for this minute. Retry after `Retry-After` seconds.',
    headers: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
    examples: {
      rate_limited: new ApiError(
        429,
        'rate_limited',
        'rate_limited',
        'this API key made more than 600 requests this minute; retry after 12 s',
      ),
    },
  },
  500: {
    name: 'InternalError',
    description:
      'A bug on our side. Under an Idempotency-Key it is stored and replayed like any answer; the request id lets support find it.',
    examples: { internal_error: internalError },
  },
  503: {
    name: 'ServiceUnavailable',
    description: 'A dependency (database, Temporal) is briefly unavailable. Nothing is stored: retry with the same Idempotency-Key.',
    headers: ['Retry-After'],
    examples: {
      service_unavailable: new ApiError(
        503,
        'retryable',
        'service_unavailable',
        'a dependency is briefly unavailable; retry in a few seconds with the same Idempotency-Key',
      ),
    },
  },
};

export const exampleBody = (error: ApiError) => error.body(REQUEST_ID);
