/**
 * 405 for a path the API serves with another method (RFC 9110: with an Allow header), before
 * authentication and the Idempotency-Key check, so `DELETE /v1/payouts/:id` says "not this
 * method" instead of asking for a key. Paths the API does not serve fall through to 404.
 */
import type { Express, RequestHandler } from 'express';
import { appRoutes } from '../openapi/express-routes';
import { ApiError } from './errors';

interface RoutePattern {
  method: string;
  pattern: RegExp;
}

/** Express paths match case-insensitively, with an optional trailing slash, `:name` being one segment. */
const toPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`, 'i');

export function methodNotAllowed(app: Express): RequestHandler {
  // Read lazily: routes are mounted after this middleware.
  let routes: RoutePattern[] | undefined;
  return (req, res, next) => {
    routes ??= appRoutes(app).map((route) => ({ method: route.method.toUpperCase(), pattern: toPattern(route.path) }));
    const matching = routes.filter((route) => route.pattern.test(req.path));
    if (matching.length === 0) return next();
    const allowed = new Set(matching.map((route) => route.method));
    if (allowed.has('GET')) allowed.add('HEAD');
    if (allowed.has(req.method) || allowed.has('ALL')) return next();
    const allow = [...allowed].sort().join(', ');
    res.setHeader('Allow', allow);
    throw new ApiError(405, 'validation', 'method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`);
  };
}
