/**
 * `npm start`: one command that installs what is missing and runs the whole engine
 * locally: Temporal dev server (with Web UI), PostgreSQL (embedded PGlite unless
 * DATABASE_URL is set), two anvil chains with the test USDC, the worker and the API.
 * Data persists under .data/ (or STACK_DATA_DIR) between runs. Ctrl-C stops everything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bootstrap } from './bootstrap';
import { ensureDevApiKey } from './dev-key';
import { startAnvil } from './stack/anvil';
import { stackPort } from './stack/ports';
import { stackDataDir, stackEnvFile } from './stack/data-dir';
import { startEmbeddedPostgres } from './stack/postgres';
import { spawnManaged, typescriptArgs, waitForPort, type ManagedProcess } from './stack/process';
import { findPrometheus, startPrometheus } from './stack/prometheus';
import { ensureTemporalBinary, startTemporal } from './stack/temporal';

const root = join(__dirname, '..');
const data = stackDataDir();
const shown = relative(process.cwd(), data) || '.';
const log = (message: string) => console.log(`[stack] ${message}`);

interface Stoppable {
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const ports = {
    api: stackPort('API_PORT'),
    temporal: stackPort('TEMPORAL_PORT'),
    temporalUi: stackPort('TEMPORAL_UI_PORT'),
    postgres: stackPort('PGLITE_PORT'),
    anvil: stackPort('ANVIL_PORT'),
    anvilL2: stackPort('ANVIL_L2_PORT'),
    workerMetrics: stackPort('WORKER_METRICS_PORT'),
    temporalMetrics: stackPort('TEMPORAL_METRICS_PORT'),
    prometheus: stackPort('PROMETHEUS_PORT'),
  };
  const running: Stoppable[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const server of running.reverse()) await server.stop().catch(() => undefined);
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    mkdirSync(join(data, 'logs'), { recursive: true });
    const temporalBinary = await ensureTemporalBinary(log);

    log('starting the Temporal dev server, the database and two anvil chains');
    const [temporal, database, anvil, anvilL2] = await startedTogether(running, [
      startTemporal({
        binary: temporalBinary,
        dbFile: join(data, 'temporal', 'temporal.sqlite'),
        port: ports.temporal,
        uiPort: ports.temporalUi,
        logFile: join(data, 'logs', 'temporal.log'),
        log,
      }),
      process.env.DATABASE_URL
        ? Promise.resolve({ url: process.env.DATABASE_URL, stop: async () => undefined })
        : startEmbeddedPostgres({ dataDir: join(data, 'pglite'), port: ports.postgres, log }),
      // Chain state is saved under .data so the treasury's nonces match the database after a restart.
      startAnvil({
        port: ports.anvil,
        chainId: 31337,
        blockTimeSeconds: 1,
        stateFile: join(data, 'anvil', 'local.json'),
        logFile: join(data, 'logs', 'anvil.log'),
        log,
      }),
      startAnvil({
        port: ports.anvilL2,
        chainId: 31338,
        blockTimeSeconds: 1,
        stateFile: join(data, 'anvil', 'local-l2.json'),
        logFile: join(data, 'logs', 'anvil-l2.log'),
        log,
      }),
    ]);

    const { usdcAddress, batchTransferAddress } = await bootstrap({
      databaseUrl: database.url,
      rpcUrl: anvil.rpcUrl,
      treasuryUsdc: 1_000_000n * 10n ** 6n,
      log,
    });
    const apiKey = await ensureDevApiKey(database.url, join(data, 'dev-api-key'));
    // `npm run keys` finds the stack's database here.
    writeFileSync(stackEnvFile(data), `DATABASE_URL=${database.url}\n`);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      LOCAL_RPC_URLS: anvil.rpcUrl,
      LOCAL_L2_RPC_URLS: anvilL2.rpcUrl,
      LOCAL_USDC_ADDRESS: usdcAddress,
      LOCAL_BATCH_TRANSFER_ADDRESS: batchTransferAddress,
      API_PORT: String(ports.api),
      WORKER_METRICS_PORT: String(ports.workerMetrics),
      TEMPORAL_METRICS_PORT: String(ports.temporalMetrics),
    };
    const processes: ManagedProcess[] = [
      spawnManaged('worker', process.execPath, typescriptArgs(join(root, 'worker.ts')), {
        env,
        cwd: root,
        logFile: join(data, 'logs', 'worker.log'),
      }),
      spawnManaged('api', process.execPath, typescriptArgs(join(root, 'api', 'server.ts')), {
        env,
        cwd: root,
        logFile: join(data, 'logs', 'api.log'),
      }),
    ];
    running.push(...processes);
    for (const child of processes) {
      void child.exited.then((code) => {
        if (!stopping) {
          log(`${child.name} exited (code ${code}); see ${join(shown, 'logs', `${child.name}.log`)}`);
          void stopAll(1);
        }
      });
    }
    await waitForPort('127.0.0.1', ports.api, { timeoutMs: 120_000, process: processes[1], logFile: join(data, 'logs', 'api.log') });
    const prometheus = await localPrometheus(ports);
    if (prometheus.running) running.push(prometheus.running);

    const api = `http://127.0.0.1:${ports.api}`;
    console.log(`
  Payout engine is running. Ctrl-C stops everything.

  API          ${api}        (docs ${api}/docs)
  Temporal UI  ${temporal.uiUrl}
  Database     ${database.url}
  Chains       ${anvil.rpcUrl} (local, 31337)   ${anvilL2.rpcUrl} (local-l2, 31338)
  Metrics      ${api}/metrics   http://127.0.0.1:${ports.workerMetrics}/metrics (worker)   http://127.0.0.1:${ports.temporalMetrics}/metrics (Temporal SDK)
  Prometheus   ${prometheus.line}
  Logs         ${join(shown, 'logs')}/
  API key      ${join(shown, 'dev-api-key')} (account acct_demo, all scopes; more with \`npm run keys -- create\`)

  Create a payout:

  export KEY=${apiKey}
  curl -s -X POST ${api}/v1/payouts \\
    -H "Authorization: Bearer $KEY" \\
    -H 'Content-Type: application/json' \\
    -H "Idempotency-Key: $(date +%s%N)" \\
    -d '{"amount":"25.50","asset":"USDC","network":"local","destination":"0x90F79bf6EB2c4f870365E785982E1f101E93b906","purpose":"first payout"}'

  Then follow it: curl -s -H "Authorization: Bearer $KEY" ${api}/v1/payouts/<id>   (or open the Temporal UI)
`);
  } catch (error) {
    console.error(`[stack] could not start: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll(1);
  }
}

/**
 * Prometheus beside the stack, unless `--no-prometheus` (or PROMETHEUS=off). Monitoring is optional here: without the
 * binary, or if it does not start, the stack runs and the banner says why.
 */
async function localPrometheus(ports: { prometheus: number; api: number; workerMetrics: number; temporalMetrics: number }) {
  if (process.argv.includes('--no-prometheus') || process.env.PROMETHEUS === 'off') {
    return { line: 'off (--no-prometheus)' };
  }
  const found = findPrometheus();
  if ('missing' in found) return { line: `not started: ${found.missing}; --no-prometheus hides this` };
  try {
    const running = await startPrometheus({
      binary: found.binary,
      port: ports.prometheus,
      dataDir: join(data, 'prometheus'),
      logFile: join(data, 'logs', 'prometheus.log'),
      rulesFile: join(root, 'config', 'prometheus', 'alerts.yml'),
      targets: {
        api: `127.0.0.1:${ports.api}`,
        worker: `127.0.0.1:${ports.workerMetrics}`,
        temporalSdk: `127.0.0.1:${ports.temporalMetrics}`,
      },
    });
    return { running, line: `${running.url}   (alerts ${running.url}/alerts)` };
  } catch (error) {
    return { line: `did not start (${(error as Error).message.split('\n')[0]}); see ${join(shown, 'logs', 'prometheus.log')}` };
  }
}

/**
 * Like Promise.all, but every server that did start is in `running` before a failure is thrown,
 * so a failed start (a busy port, a bad binary) stops what it started instead of leaving it behind.
 */
async function startedTogether<T extends Stoppable[]>(running: Stoppable[], starts: [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(starts);
  for (const result of settled) if (result.status === 'fulfilled') running.push(result.value);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<Stoppable>).value) as T;
}

void main();
