/**
 * Refuses the NUL character (U+0000) anywhere in a request: PostgreSQL text cannot hold it, so a
 * NUL in a purpose, a reason, a cursor or a path id used to fail deep inside a query (a 500, and for
 * a reject/cancel reason a read-model write retried forever). One check here covers every route.
 */
import type { RequestHandler } from 'express';
import { validationError, type FieldError } from './errors';

const MESSAGE = 'must not contain the NUL character (U+0000)';

/** Every field of a parsed JSON body holding a NUL, in a key or a string; iterative, so any depth is safe. */
function nulFields(body: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[body, '']];
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) found.push(path || 'body');
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push([item, `${path}[${index}]`]));
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const child = path ? `${path}.${key}` : key;
        if (key.includes('\0')) found.push(child);
        else pending.push([item, child]);
      }
    }
  }
  return found;
}

export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  const fields: FieldError[] = [];
  // A path parameter is decoded later, by its route: %00 is the only way a NUL gets there (the HTTP parser refuses a raw one).
  if (req.originalUrl.split('?', 1)[0]!.includes('%00')) fields.push({ field: 'path', message: MESSAGE });
  for (const field of [...nulFields(req.query), ...nulFields(req.body)]) fields.push({ field, message: MESSAGE });
  if (fields.length) throw validationError(fields);
  next();
};
