/** Request id on every response, and who is calling (set by api/http/auth.ts from the API key). */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Scope } from '../../lib/api-keys';
import { activeTraceId } from '../../lib/telemetry/trace-context';

const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.header('X-Request-Id');
  res.setHeader('X-Request-Id', incoming && ID_PATTERN.test(incoming) ? incoming : `req_${randomUUID()}`);
  // With tracing on, the request's trace: what support looks up next to the request id.
  const traceId = activeTraceId();
  if (traceId) res.setHeader('X-Trace-Id', traceId);
  next();
};

export interface Caller {
  accountId: string;
  /** The key's actor: approvals and cancellations are recorded under it, never a value from the body. */
  actor: string;
  keyId: string;
  scopes: Scope[];
  /** This request's X-Request-Id: the audit log names the request behind each change. */
  requestId?: string;
}

export function caller(req: Request): Caller {
  const who = req.res?.locals.caller as Caller | undefined;
  if (!who) throw new Error(`route ${req.method} ${req.path} reads the caller but is not behind authenticate()`);
  return who;
}
