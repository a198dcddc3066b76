/** Starts the HTTP API: `npm run api` (the dev stack starts it for you with `npm start`). */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { rateProviderFromFile } from '../lib/rates';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { migrate } from '../prisma/migrate';
import { processRegistry } from '../lib/metrics';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.databaseUrl, { log: (message) => console.log(`[api] ${message}`) });
  const db = createDb(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const registered = await ensureSearchAttributes(connection, config.temporalNamespace);
  if (registered.length) console.log(`[api] registered search attributes: ${registered.join(', ')}`);
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const app = createApp({
    db,
    temporal,
    config,
    rates: rateProviderFromFile(config.conversion.ratesFile),
    metrics: { registry: processRegistry('api'), token: config.metrics.token },
  });
  const server = app.listen(config.apiPort, config.apiHost, () => {
    console.log(`[api] listening on http://${config.apiHost}:${config.apiPort}`);
  });
  const stop = () => {
    server.close(() => {
      void Promise.all([connection.close(), db.$disconnect()]).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error('[api] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
