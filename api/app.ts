/** The HTTP API: a thin layer that validates, starts or signals workflows, and reads the read model. */
import type { Client } from '@temporalio/client';
import express, { Router } from 'express';
import type { RateProvider } from '../domain/rates';
import type { EngineConfig } from '../lib/config';
import type { Db } from '../lib/db';
import { errorHandler, notFound } from './errors';
import { requestId } from './request-context';
import { approvalPolicyRoutes } from './routes/approval-policies';
import { payoutRoutes } from './routes/payouts';

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Pick<
    EngineConfig,
    'registry' | 'taskQueue' | 'approvalTimeoutMs' | 'fundingTimeoutMs' | 'fundingRetryMs' | 'idempotencyKeyTtlMs' | 'conversion'
  >;
  rates: RateProvider;
  log?: (message: string, error?: unknown) => void;
}

export function createApp(deps: AppDeps): express.Express {
  const routeDeps = { ...deps.config, db: deps.db, temporal: deps.temporal, rates: deps.rates };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(express.json({ limit: '1mb', strict: false }));

  const meta = Router();
  meta.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  meta.get('/v1/currencies', (_req, res) => {
    res.json({ object: 'list', data: deps.config.registry.currencies() });
  });
  app.use(meta);
  app.use(payoutRoutes(routeDeps));
  app.use(approvalPolicyRoutes(routeDeps));
  app.use(notFound);
  app.use(errorHandler(deps.log ?? ((message, error) => console.error(message, error))));
  return app;
}
