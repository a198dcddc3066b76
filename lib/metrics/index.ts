/**
 * Prometheus metrics (prom-client): a registry per process, served as text at /metrics on the API's port and on the
 * worker's own (WORKER_METRICS_PORT). Labels stay low-cardinality: statuses, codes, routes, networks, wallets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsSettings } from '../config';
import type { Db } from '../db';
import { engineStateMetrics, type AssetDecimals } from './engine-state';
import { payoutFlowMetrics } from './payout-flow';
import { rpcMetrics } from './rpc';

export { engineStateMetrics, type AssetDecimals } from './engine-state';
export { httpMetrics } from './http-metrics';
export { payoutFlowMetrics, type PayoutFlowMetrics } from './payout-flow';
export { rpcMetrics } from './rpc';

/** With a token set, a scrape must carry it (Prometheus' `authorization: { credentials: ... }`). */
const refused = (authorization: string | undefined, token: string | undefined) =>
  token !== undefined && authorization !== `Bearer ${token}`;
const REFUSAL = 'metrics need Authorization: Bearer <METRICS_TOKEN>\n';

/** A registry with the process's own series (CPU, memory, event loop lag), labelled with the process's role. */
export function processRegistry(role: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: role });
  collectDefaultMetrics({ register: registry, prefix: 'payout_' });
  return registry;
}

/**
 * The scrape handler. With METRICS_TOKEN set it wants `Authorization: Bearer <token>` (Prometheus' `authorization`
 * setting), so the endpoint can sit on a public port.
 */
export function metricsHandler(registry: Registry, token: string | undefined) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (refused(req.headers.authorization, token)) {
        res.status(401).type('text/plain').send(REFUSAL);
        return;
      }
      res.type(registry.contentType).send(await registry.metrics());
    } catch (error) {
      next(error);
    }
  };
}

/** The worker's metrics endpoint: its own small HTTP server (the worker has no other). Port 0 picks a free one. */
export async function startMetricsServer(registry: Registry, options: { port: number; host: string; token?: string }) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(registry, options.token));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('only /metrics is served here\n');
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/metrics`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The worker's metrics: its process series, the payout flow its activities count, and the database gauges; served on
 * WORKER_METRICS_PORT unless that is `off` (then none is collected). `serve()` starts the endpoint. `networks` gives
 * the assets' decimals for the ledger balances; without it, the networks file the environment names (the one the
 * worker's own config read).
 */
export function workerMetrics(
  db: Db,
  settings: Pick<MetricsSettings, 'token' | 'workerPort' | 'workerHost'>,
  log: ((message: string, error?: unknown) => void) | undefined,
  networks: AssetDecimals,
) {
  const registry = processRegistry('worker');
  engineStateMetrics(registry, db, log, networks);
  // With no endpoint (WORKER_METRICS_PORT=off) nothing is counted either: the activities skip that work.
  const payoutFlow = settings.workerPort === undefined ? undefined : payoutFlowMetrics(registry);
  const rpc = settings.workerPort === undefined ? undefined : rpcMetrics(registry);
  return {
    registry,
    payoutFlow,
    rpc,
    async serve(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
      if (settings.workerPort === undefined) return undefined;
      return startMetricsServer(registry, {
        port: settings.workerPort,
        host: settings.workerHost,
        ...(settings.token ? { token: settings.token } : {}),
      });
    },
  };
}
