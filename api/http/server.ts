/** Starts the HTTP API: `npm run api` (the dev stack starts it for you with `npm start`). */
// First: tracing patches http, express and pg as they load (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT).
import { tracing } from '../../lib/telemetry/start-api';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../lib/config';
import { createDb } from '../../lib/db';
import { rateProviderFromFile } from '../../lib/rates';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { migrate } from '../../prisma/migrate';
import { processRegistry } from '../../lib/metrics';
import { createLogger } from '../../lib/telemetry/logger';
import { createApp } from './app';

const logger = createLogger('api');

async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.databaseUrl, { log: (message) => logger.info(message) });
  const db = createDb(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const registered = await ensureSearchAttributes(connection, config.temporalNamespace);
  if (registered.length) logger.info(`registered search attributes: ${registered.join(', ')}`);
  // With tracing on, starting a workflow (and each signal, update or query) carries the request's trace into Temporal.
  const temporal = new Client({
    connection,
    namespace: config.temporalNamespace,
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const app = createApp({
    db,
    temporal,
    config,
    rates: rateProviderFromFile(config.conversion.ratesFile),
    metrics: { registry: processRegistry('api'), token: config.metrics.token },
    logger,
  });
  const server = app.listen(config.apiPort, config.apiHost, () => {
    logger.info(`listening on http://${config.apiHost}:${config.apiPort}`);
  });
  const stop = () => {
    server.close(() => {
      void Promise.all([connection.close(), db.$disconnect(), tracing?.shutdown()]).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  // Plain text on stderr, not JSON: whoever starts the process reads the refusal (and what to do) as it is written.
  console.error('[api] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
