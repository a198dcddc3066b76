/**
 * Every error code an operation can answer, by status: what every /v1 route answers (authentication, scope,
 * validation, rate limit, a bug, an outage), what every write answers (the Idempotency-Key contract and the body
 * parser), and the route's own codes from its declaration. The document lists them per operation
 * (`x-error-codes` and its description), and the integration tests fail on any code answered that is not listed
 * (test/support/documented-errors.ts).
 */
import { API_KEY_REFUSALS } from '../http/auth';
import { needsIdempotencyKey, type Operation } from './operation';

export type ErrorCodes = Partial<Record<number, readonly string[]>>;

const AUTHENTICATION = ['api_key_missing', ...Object.values(API_KEY_REFUSALS).map((refusal) => refusal.code)];

/** What every operation under /v1 may answer. */
const EVERY_V1_ROUTE: ErrorCodes = {
  // invalid_request: a bad query, path parameter or body field, or a NUL anywhere in the request.
  400: ['invalid_request'],
  401: AUTHENTICATION,
  429: ['rate_limited'],
  500: ['internal_error'],
  503: ['service_unavailable'],
};

/** What every write under /v1 may answer besides. */
const EVERY_WRITE: ErrorCodes = {
  400: ['malformed_json', 'idempotency_key_missing', 'idempotency_key_invalid'],
  409: ['idempotency_request_in_progress'],
  413: ['body_too_large'],
  415: ['unsupported_encoding'],
  422: ['idempotency_key_reused'],
};

/** Answered to a path or method no operation has (a /v1 path is authenticated before it is routed). */
export const NO_SUCH_ROUTE: ErrorCodes = { 401: AUTHENTICATION, 404: ['route_not_found'], 405: ['method_not_allowed'] };

export function errorCodesOf(operation: Operation): ErrorCodes {
  if (operation.scope === 'public') return {};
  const parts: ErrorCodes[] = [EVERY_V1_ROUTE];
  if (operation.scope !== 'any_key') parts.push({ 403: ['missing_scope'] });
  if (needsIdempotencyKey(operation)) parts.push(EVERY_WRITE);
  parts.push(operation.codes ?? {});
  return mergeCodes(...parts);
}

export function mergeCodes(...parts: ErrorCodes[]): ErrorCodes {
  const merged = new Map<number, Set<string>>();
  for (const part of parts) {
    for (const [status, codes] of Object.entries(part)) {
      const set = merged.get(Number(status)) ?? new Set<string>();
      for (const code of codes ?? []) set.add(code);
      merged.set(Number(status), set);
    }
  }
  return Object.fromEntries([...merged].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]));
}

/** One line for people: `404` payout_not_found; `409` payout_terminal, cancel_refused; … */
export function describeErrorCodes(codes: ErrorCodes): string {
  return Object.entries(codes)
    .map(([status, list]) => `\`${status}\` ${(list ?? []).map((code) => `\`${code}\``).join(', ')}`)
    .join('; ');
}
