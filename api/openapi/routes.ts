/** GET /openapi.json and GET /docs: public, outside /v1 (api/http/app.ts mounts them next to /health). */
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { version } from '../../package.json';
import { DOCS_ASSETS, docsPage } from './docs-page';
import { generateOpenApiDocument } from './generate';
import { OPERATIONS } from './operations';

const ASSET_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

export function openApiRoutes(): Router {
  // Generated once per app: the schemas do not change while the process runs.
  const document = JSON.stringify(generateOpenApiDocument(OPERATIONS, version));
  const page = docsPage('Payout engine API');
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  // Middleware, not routes: only the named files of the package are served, nothing else of node_modules.
  router.use('/docs/assets', (req, res, next) => {
    const file = DOCS_ASSETS.find((name) => req.path === `/${name}`);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.set('Cache-Control', 'public, max-age=86400').sendFile(join(ASSET_DIR, file), (error) => error && next(error));
  });
  return router;
}
