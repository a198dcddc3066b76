/**
 * One error shape for every response that is not a success:
 * { error: { type, code, message, fields: [{ field, message }], request_id, trace_id? } }.
 * No stack trace, SQL or key material ever reaches a client.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { activeTraceId } from '../../lib/telemetry/trace-context';

export type ErrorType = 'validation' | 'auth' | 'not_found' | 'conflict' | 'rate_limited' | 'retryable' | 'terminal' | 'action_required';

export interface FieldError {
  field: string;
  message: string;
  /** Set for the rows of a mass payout (items or CSV file): the reason's code, and where in the file. */
  code?: string;
  line?: number | null;
  column?: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** With tracing on, `trace_id` names the request's trace: support goes from a customer's error to it. */
  body(requestId: string, traceId: string | undefined = activeTraceId()) {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        fields: this.fields,
        request_id: requestId,
        ...(traceId ? { trace_id: traceId } : {}),
      },
    };
  }
}

export const validationError = (fields: FieldError[]) =>
  new ApiError(
    400,
    'validation',
    'invalid_request',
    `${fields.length} field(s) are invalid: ${fields.map((f) => f.field).join(', ')}`,
    fields,
  );

export const internalError = new ApiError(
  500,
  'terminal',
  'internal_error',
  'something went wrong on our side; the request id lets support find it',
);

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  '57P01',
  '57P03',
  '53300',
]);

/**
 * A dependency outage (PostgreSQL or Temporal unreachable, pool exhausted), as opposed to a bug:
 * the same request will succeed later, so it is answered 503 "retry" and never stored.
 */
export function isTransient(error: unknown): boolean {
  for (
    let current = error as { code?: unknown; cause?: unknown; name?: string; message?: string } | undefined, depth = 0;
    current && depth < 5;
    depth++
  ) {
    if (typeof current.code === 'string' && TRANSIENT_CODES.has(current.code)) return true;
    if (current.name === 'PrismaClientInitializationError') return true;
    // @temporalio/client ServiceError over gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4).
    if (
      current.name === 'ServiceError' &&
      /\b(14|4) (UNAVAILABLE|DEADLINE_EXCEEDED)\b|UNAVAILABLE|DEADLINE_EXCEEDED/.test(current.message ?? '')
    )
      return true;
    if (/Connection terminated|connect ECONNREFUSED|Can't reach database server/.test(current.message ?? '')) return true;
    current = current.cause as typeof current;
  }
  return false;
}

export const notFound: RequestHandler = (req) => {
  throw new ApiError(404, 'not_found', 'route_not_found', `no route ${req.method} ${req.path}; see the README for the API`);
};

export function errorHandler(log: (message: string, error: unknown, fields?: Record<string, unknown>) => void): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if (error?.type === 'entity.parse.failed') {
      apiError = new ApiError(400, 'validation', 'malformed_json', 'request body is not valid JSON');
    } else if (error?.type === 'entity.too.large') {
      apiError = new ApiError(413, 'validation', 'body_too_large', 'request body is too large');
    } else if (error?.type === 'charset.unsupported' || error?.type === 'encoding.unsupported') {
      apiError = new ApiError(415, 'validation', 'unsupported_encoding', 'send the body as UTF-8 JSON');
    } else if (isTransient(error)) {
      log(`dependency unavailable on ${req.method} ${req.path} (request ${requestId})`, error, { request_id: requestId });
      res.setHeader('Retry-After', '5');
      apiError = new ApiError(
        503,
        'retryable',
        'service_unavailable',
        'a dependency is briefly unavailable; retry in a few seconds with the same Idempotency-Key',
      );
    } else {
      log(`unhandled error on ${req.method} ${req.path} (request ${requestId})`, error, { request_id: requestId });
      apiError = internalError;
    }
    res.status(apiError.status).json(apiError.body(requestId));
  };
}
