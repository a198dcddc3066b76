/**
 * The API itself: GET /health (public, mounted before authentication) and GET /v1/currencies (any valid key, no
 * scope: what the network registry pays in).
 */
import { Router } from 'express';
import type { NetworkRegistry } from '../../domain/networks';

export function healthRoutes(): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return router;
}

export function metaRoutes(deps: { registry: NetworkRegistry }): Router {
  const router = Router();
  router.get('/v1/currencies', (_req, res) => {
    res.json({ object: 'list', data: deps.registry.currencies() });
  });
  return router;
}
