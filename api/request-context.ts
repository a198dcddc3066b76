/**
 * Request id on every response, and who is calling. Until API keys land (issue "API
 * surface"), the account and the acting person come from headers with dev defaults.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.header('X-Request-Id');
  res.setHeader('X-Request-Id', incoming && ID_PATTERN.test(incoming) ? incoming : `req_${randomUUID()}`);
  next();
};

export interface Caller {
  accountId: string;
  actor: string;
}

export function caller(req: Request): Caller {
  const accountId = req.header('X-Account-Id') ?? 'acct_demo';
  const actor = req.header('X-Actor-Id') ?? 'api';
  const fields = [];
  if (!ID_PATTERN.test(accountId)) fields.push({ field: 'X-Account-Id', message: 'must be 1-64 letters, digits or _.:@-' });
  if (!ID_PATTERN.test(actor)) fields.push({ field: 'X-Actor-Id', message: 'must be 1-64 letters, digits or _.:@-' });
  if (fields.length) throw new ApiError(400, 'validation', 'invalid_header', 'invalid caller headers', fields);
  return { accountId, actor };
}
