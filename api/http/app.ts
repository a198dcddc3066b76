/** The HTTP API: a thin layer that validates, starts or signals workflows, and reads the read model. */
import type { Client } from '@temporalio/client';
import express from 'express';
import type { RateProvider } from '../../domain/rates';
import { ChainClients } from '../../lib/chain';
import type { EngineConfig } from '../../lib/config';
import type { Db } from '../../lib/db';
import type { Registry } from 'prom-client';
import { httpMetrics, metricsHandler, rpcMetrics } from '../../lib/metrics';
import { authenticate, rateLimit } from './auth';
import { errorHandler, notFound } from './errors';
import { requireIdempotencyKeyOnWrites } from './idempotency';
import { methodNotAllowed } from './method-not-allowed';
import { refuseNulCharacters } from './nul-guard';
import { openApiRoutes } from '../openapi/routes';
import { requestId } from './request-context';
import { requestLog } from './request-log';
import { logFn, type Logger } from '../../lib/telemetry/logger';
import { approvalPolicyRoutes } from '../approval-policies/routes';
import { auditRoutes } from '../audit/routes';
import { balanceRoutes } from '../balances/routes';
import { complianceRoutes } from '../compliance/routes';
import { exportRoutes } from '../exports/routes';
import { massPayoutRoutes, readsOwnBody } from '../mass-payouts/routes';
import { healthRoutes, metaRoutes } from '../meta/routes';
import { payoutRoutes } from '../payouts/routes';
import { walletRoutes } from '../wallets/routes';
import { reconciliationRoutes } from '../reconciliation/routes';
import { webhookRoutes } from '../webhooks/routes';

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Pick<
    EngineConfig,
    | 'registry'
    | 'taskQueue'
    | 'approvalTimeoutMs'
    | 'fundingTimeoutMs'
    | 'fundingRetryMs'
    | 'historyLimit'
    | 'idempotencyKeyTtlMs'
    | 'rateLimitPerMinute'
    | 'conversion'
    | 'webhooks'
    | 'reconciliation'
    | 'massPayouts'
  >;
  rates: RateProvider;
  /** The API process's metrics registry, served at /metrics (METRICS_TOKEN guards it); none: no /metrics. */
  metrics?: { registry: Registry; token?: string };
  /** Read-only chain access for balances, the reconciler's lag and screening; built from the registry when not given. */
  chains?: ChainClients;
  log?: (message: string, error?: unknown, fields?: Record<string, unknown>) => void;
  /** The process's JSON logger: one line per request, and the API's errors (api/http/server.ts gives it). */
  logger?: Logger;
}

export function createApp(deps: AppDeps): express.Express {
  const log =
    deps.log ?? (deps.logger ? logFn(deps.logger, 'http') : (message: string, error?: unknown) => console.error(message, error ?? ''));
  const chains = deps.chains ?? new ChainClients(deps.config.registry, deps.metrics && rpcMetrics(deps.metrics.registry));
  const routeDeps = { ...deps.config, db: deps.db, temporal: deps.temporal, rates: deps.rates, log, chains };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId);
  if (deps.logger) app.use(requestLog(deps.logger));
  if (deps.metrics) {
    app.use(httpMetrics(deps.metrics.registry));
    app.get('/metrics', metricsHandler(deps.metrics.registry, deps.metrics.token));
  }
  const json = express.json({ limit: '1mb', strict: false });
  // POST /v1/mass-payouts reads its own, larger body after authentication (MASS_PAYOUT_MAX_BODY_BYTES).
  app.use((req, res, next) => (readsOwnBody(req) ? next() : json(req, res, next)));
  app.use(methodNotAllowed(app));

  app.use(healthRoutes());
  app.use(openApiRoutes());

  // Everything under /v1 needs an API key; each route then names its scope.
  // Every state-changing call carries an Idempotency-Key (checked here so no route can forget it).
  app.use('/v1', authenticate(deps.db), rateLimit(deps.db, deps.config.rateLimitPerMinute), requireIdempotencyKeyOnWrites);
  // PostgreSQL text cannot hold U+0000: refused here, before any route can hit a query with it.
  app.use('/v1', refuseNulCharacters);
  app.use(metaRoutes(routeDeps));
  app.use(payoutRoutes(routeDeps));
  app.use(approvalPolicyRoutes(routeDeps));
  app.use(webhookRoutes(routeDeps));
  app.use(exportRoutes(routeDeps));
  app.use(massPayoutRoutes(routeDeps));
  app.use(complianceRoutes(routeDeps));
  app.use(balanceRoutes(routeDeps));
  app.use(walletRoutes(routeDeps));
  app.use(reconciliationRoutes(routeDeps));
  app.use(auditRoutes(routeDeps));
  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
