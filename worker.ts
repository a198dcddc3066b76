/**
 * The Temporal worker: runs payout and reconciliation workflows and their activities, and next to
 * them the webhook dispatcher that delivers outbox events (several worker processes share that work)
 * and the owner loop of each hot wallet (one process at a time acts, under a fenced lease).
 * At start it creates (or updates) the reconciliation schedule of its task queue.
 * `npm run worker` (the dev stack starts it for you with `npm start`).
 */
// First: tracing patches http and pg as they load (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT).
import { tracing } from './lib/telemetry/start-worker';
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { loadConfig, type EngineConfig } from './lib/config';
import { workerMetrics } from './lib/metrics';
import { isProduction } from './lib/production-mode';
import { createDb } from './lib/db';
import { ensureReconciliationSchedule } from './lib/reconciliation/schedule';
import { chainClients, treasurySigners } from './lib/runtime';
import { deliveriesOfFormerSigners } from './activities/delivery/former-signers';
import { startWebhookDispatcher } from './lib/webhooks/dispatcher';
import { startWalletOwners } from './activities/delivery/wallet-owner';
import { migrate } from './prisma/migrate';
import { ensureSanctionsSnapshot } from './lib/compliance/sanctions-list';
import { createLogger, logFn, temporalLogger } from './lib/telemetry/logger';
import type { Tracing } from './lib/telemetry/tracing';

export { startWebhookDispatcher, type WebhookDispatcher } from './lib/webhooks/dispatcher';
export { startWalletOwners, type WalletOwners } from './activities/delivery/wallet-owner';

export interface PayoutWorkerOptions {
  config: EngineConfig;
  connection: NativeConnection;
  deps: ActivityDeps;
  /** Pre-built workflow bundle (tests build it once); otherwise bundled from ./workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** With tracing on, the workflows and activities join the trace of the request that started them. */
  tracing?: Tracing;
}

export function createPayoutWorker(options: PayoutWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.config.temporalNamespace,
    taskQueue: options.config.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(options.deps),
    // awaitConfirmations mostly sleeps between polls but holds a slot for minutes; leave room
    // for the short activities (reserve, sign, broadcast) next to hundreds of payouts in flight.
    maxConcurrentActivityTaskExecutions: 1000,
    ...(options.config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.config.maxCachedWorkflows }),
    ...(options.tracing
      ? { plugins: [new OpenTelemetryPlugin({ resource: options.tracing.resource, spanProcessor: options.tracing.spanProcessor })] }
      : {}),
  });
}

/** Each network's owner runs up to three queries at once (its round reads the chain and the database together). */
const WALLET_OWNER_CONNECTIONS = 4;

const logger = createLogger('worker');

async function main(): Promise<void> {
  const config = loadConfig();
  // Before any connection: the runtime is installed once per process. Its logger carries the SDK's lines and the
  // workflows' and activities' `log` into the same JSON stream.
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: 'WARN', forward: {} },
      ...(config.metrics.temporalPort === undefined
        ? {}
        : {
            metrics: {
              prometheus: { bindAddress: `${config.metrics.workerHost}:${config.metrics.temporalPort}`, useSecondsForDurations: true },
            },
          }),
    },
  });
  if (config.metrics.temporalPort !== undefined) {
    logger.info(`Temporal SDK metrics at http://${config.metrics.workerHost}:${config.metrics.temporalPort}/metrics`);
  }
  if (tracing) logger.info(`tracing: spans exported over OTLP as ${tracing.resource.attributes['service.name']}`);
  await migrate(config.databaseUrl, { log: (message) => logger.info(message) });
  const db = createDb(config.databaseUrl);
  const snapshot = await ensureSanctionsSnapshot(db);
  if (snapshot)
    logger.info(`sanctions list: loaded the shipped OFAC snapshot (${snapshot.addressCount} addresses, ${snapshot.publishedOn})`);
  const signers = await treasurySigners(config.registry);
  const orphaned = await deliveriesOfFormerSigners(db, config.registry, signers);
  if (orphaned.length > 0) {
    const message = `a signer changed with deliveries in flight:\n${orphaned.map((line) => `  - ${line}`).join('\n')}`;
    // Production fails closed; a development database is shared by many throwaway treasuries (tests, benches).
    if (isProduction(process.env)) throw new Error(message);
    logger.warn(message);
  }
  const metrics = workerMetrics(db, config.metrics, logFn(logger, 'metrics'), config.registry);
  const chains = chainClients(config, metrics.rpc);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createPayoutWorker({
    config,
    connection,
    ...(tracing ? { tracing } : {}),
    deps: {
      payoutFlow: metrics.payoutFlow,
      db,
      registry: config.registry,
      chains,
      signers,
      lowBalanceThresholds: config.lowBalanceThresholds,
      reconciliation: config.reconciliation,
      massPayouts: config.massPayouts,
    },
  });
  // The reconciliation schedule (created or updated to this config) starts runs on this task queue.
  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporalNamespace,
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const scheduleId = await ensureReconciliationSchedule(client, {
    taskQueue: config.taskQueue,
    intervalMs: config.reconciliation.intervalMs,
  });
  // One run now: a new stack's ledger shows what the treasury holds (and an idle one its deposits) without waiting an interval.
  await client.schedule.getHandle(scheduleId).trigger();
  logger.info(`reconciliation schedule ${scheduleId}: every ${config.reconciliation.intervalMs} ms, one run started now`);
  const webhooks = startWebhookDispatcher({
    db,
    settings: config.webhooks,
    log: logFn(logger, 'webhooks'),
  });
  // The wallet owners get a pool of their own: every delivery waits for them, and a burst of a thousand activities
  // must not keep their writes waiting for a connection (in the chaos run, the shared pool timed them out).
  const ownerDb = createDb(config.databaseUrl, { maxConnections: WALLET_OWNER_CONNECTIONS });
  const owners = startWalletOwners({
    db: ownerDb,
    registry: config.registry,
    chains,
    signers,
    leaseMs: config.walletLeaseMs,
    log: logFn(logger, 'wallet-owner'),
  });
  const wallets = config.registry.networkIds().map((network) => `${network} ${signers.forNetwork(network).address}`);
  const metricsServer = await metrics.serve();
  if (metricsServer) logger.info(`metrics at ${metricsServer.url}`);
  logger.info(`polling task queue "${config.taskQueue}" on ${config.temporalAddress}; treasury ${wallets.join(', ')}`);
  // Worker.run() stops gracefully on SIGINT/SIGTERM; the dispatcher then records its attempts in flight.
  await worker.run();
  await webhooks.stop();
  await metricsServer?.stop();
  // Bounded: on Ctrl-C the database and the chains stop with us, and a round or the lease release may then hang on
  // them. The lease expires by itself (WALLET_LEASE_MS) if it was not released.
  await Promise.race([owners.stop(), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
  await clientConnection.close();
  await connection.close();
  await Promise.all([db.$disconnect(), ownerDb.$disconnect()]);
  await tracing?.shutdown();
}

if (require.main === module) {
  main().catch((error) => {
    // Plain text on stderr, not JSON: whoever starts the process reads the refusal (and what to do) as it is written.
    console.error('[worker] failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
