/**
 * local-kms (github.com/nsmithuk/local-kms): an AWS KMS emulator that speaks KMS's own JSON protocol, so the engine's
 * KMS signer is tested against the same SDK calls it makes in production. The test runner starts one per run.
 */
import fs from 'node:fs';
import { ensureGoBinary } from './go-binary';
import { assertPortFree, spawnManaged, waitForPort } from './process';

/** Pinned: the version the Go module proxy serves (the project publishes no tags). */
export const LOCAL_KMS_MODULE = 'github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6';

/** The emulator's region and account; any credentials are accepted. */
export const LOCAL_KMS_REGION = 'eu-west-2';

export function ensureLocalKmsBinary(log: (message: string) => void): Promise<string> {
  return ensureGoBinary(
    {
      name: 'local-kms',
      label: 'local-kms',
      usedBy: 'npm test',
      module: LOCAL_KMS_MODULE,
      envVar: 'LOCAL_KMS_BIN',
      alternatives: ['build it elsewhere (go install ' + LOCAL_KMS_MODULE + ') and copy it to this machine'],
    },
    log,
  );
}

export interface LocalKms {
  /** http://127.0.0.1:port, for the SDK's `endpoint`. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startLocalKms(options: {
  binary: string;
  port: number;
  dataDir: string;
  logFile: string;
  log: (message: string) => void;
}): Promise<LocalKms> {
  const { binary, port, dataDir, logFile, log } = options;
  fs.mkdirSync(dataDir, { recursive: true });
  await assertPortFree('127.0.0.1', port, 'local-kms');
  const started = Date.now();
  const child = spawnManaged('local-kms', binary, [], {
    logFile,
    env: {
      ...process.env,
      PORT: String(port),
      KMS_REGION: LOCAL_KMS_REGION,
      KMS_ACCOUNT_ID: '111122223333',
      KMS_DATA_PATH: dataDir,
      // No seed: each test creates the keys it signs with.
      KMS_SEED_PATH: '',
    },
  });
  try {
    await waitForPort('127.0.0.1', port, { timeoutMs: 30_000, process: child, logFile });
  } catch (error) {
    await child.stop();
    throw error;
  }
  log(`local-kms ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);
  return { endpoint: `http://127.0.0.1:${port}`, stop: child.stop };
}
