/**
 * The throwaway servers `npm test` and `npm run fuzz` run against: PostgreSQL (or your
 * DATABASE_URL), a Temporal dev server, the two local anvil chains, an anvil with Base's chain id (8453) for the
 * tests that run on a real preset (test/support/base-anvil.ts prepares it) and an AWS KMS emulator, bootstrapped
 * (migrations, test USDC, funded treasury). Returns the environment that points the engine at them.
 */
import { join } from 'node:path';
import { bootstrap } from '../bootstrap';
import { startAnvil } from './anvil';
import { ensurePostgresBinaries, startPostgres } from './postgres';
import { freePort } from './process';
import { ensureLocalKmsBinary, LOCAL_KMS_REGION, startLocalKms } from './local-kms';
import { ensurePromtoolBinary } from './promtool';
import { ensureTemporalBinary, startTemporal } from './temporal';

export interface TestServers {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

interface Stoppable {
  stop(): Promise<void>;
}

export async function startTestServers(options: { runDir: string; log: (message: string) => void }): Promise<TestServers> {
  const { runDir, log } = options;
  const temporalBinary = await ensureTemporalBinary(log);
  const localKmsBinary = await ensureLocalKmsBinary(log);
  const promtool = await ensurePromtoolBinary(log);
  if (!process.env.DATABASE_URL) await ensurePostgresBinaries(log);

  const started: Stoppable[] = [];
  const stop = async () => {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
  };
  // Each server is recorded as soon as it is up, so a failure of another one does not leave it running.
  const up = <T extends Stoppable>(server: T): T => {
    started.push(server);
    return server;
  };
  try {
    log('starting PostgreSQL, Temporal dev server, three anvil chains and local-kms');
    const [postgres, temporal, anvil, anvilL2, anvilBase, kms] = await Promise.all([
      process.env.DATABASE_URL
        ? Promise.resolve({ url: process.env.DATABASE_URL, stop: async () => undefined })
        : freePort().then((port) =>
            startPostgres({ dataDir: join(runDir, 'postgres'), port, logFile: join(runDir, 'postgres.log'), log, fast: true }).then(up),
          ),
      Promise.all([freePort(), freePort()]).then(([port, uiPort]) =>
        startTemporal({
          binary: temporalBinary,
          dbFile: join(runDir, 'temporal.sqlite'),
          port,
          uiPort,
          logFile: join(runDir, 'temporal.log'),
          log,
        }).then(up),
      ),
      freePort().then((port) =>
        startAnvil({ port, chainId: 31337, blockTimeSeconds: 1, logFile: join(runDir, 'anvil.log'), log }).then(up),
      ),
      freePort().then((port) =>
        startAnvil({ port, chainId: 31338, blockTimeSeconds: 1, logFile: join(runDir, 'anvil-l2.log'), log }).then(up),
      ),
      // Base's preset waits for 10 confirmations and the safe block; a safe block 4 behind the head keeps that real
      // without anvil's 32-block default turning every payout into half a minute.
      freePort().then((port) =>
        startAnvil({ port, chainId: 8453, blockTimeSeconds: 1, slotsInAnEpoch: 4, logFile: join(runDir, 'anvil-base.log'), log }).then(up),
      ),
      freePort().then((port) =>
        startLocalKms({
          binary: localKmsBinary,
          port,
          dataDir: join(runDir, 'local-kms'),
          logFile: join(runDir, 'local-kms.log'),
          log,
        }).then(up),
      ),
    ]);

    const { usdcAddress, batchTransferAddress } = await bootstrap({
      databaseUrl: postgres.url,
      rpcUrl: anvil.rpcUrl,
      treasuryUsdc: 100_000_000n * 10n ** 6n,
      log,
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_BIN: temporalBinary,
      LOCAL_RPC_URLS: anvil.rpcUrl,
      LOCAL_L2_RPC_URLS: anvilL2.rpcUrl,
      ANVIL_RPC_URL: anvil.rpcUrl,
      BASE_ANVIL_RPC_URL: anvilBase.rpcUrl,
      LOCAL_USDC_ADDRESS: usdcAddress,
      LOCAL_BATCH_TRANSFER_ADDRESS: batchTransferAddress,
      CONFIRMATIONS: '2',
      CHAIN_POLL_INTERVAL_MS: '250',
      TEST_RUN_DIR: runDir,
      // Where the KMS signer's tests create their keys; the engine itself reads TREASURY_KMS_* only.
      LOCAL_KMS_ENDPOINT: kms.endpoint,
      LOCAL_KMS_REGION,
      // test/alert-rules.it.test.ts checks and unit-tests the alert rules with it.
      PROMTOOL_BIN: promtool,
    };
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
