/**
 * Prepares a database and a development chain for the engine: applies migrations, deploys
 * the test USDC (once; its address is deterministic on a fresh chain) and funds the
 * treasury. Used by `npm start`, `npm test` and docker-compose's `setup` service.
 */
import type { Address } from 'viem';
import { DEV_BATCH_DEPLOYER_PRIVATE_KEY, ensureBatchTransfer } from '../contracts/batch-deploy';
import { ensureTestToken } from '../contracts/deploy';
import { DEV_DEPLOYER_PRIVATE_KEY } from '../lib/config';
import { treasurySigner } from '../lib/runtime';
import { migrate } from '../prisma/migrate';
import { ensureSanctionsSnapshot } from '../lib/compliance/sanctions-list';
import { createDb, type Db } from '../lib/db';

async function withDb<T>(url: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(url, { maxConnections: 1 });
  try {
    return await use(db);
  } finally {
    await db.$disconnect();
  }
}

export async function bootstrap(options: {
  databaseUrl: string;
  rpcUrl: string;
  treasuryUsdc: bigint;
  log: (message: string) => void;
}): Promise<{ usdcAddress: Address; batchTransferAddress: Address; treasury: Address }> {
  await migrate(options.databaseUrl, { log: options.log });
  await withDb(options.databaseUrl, async (db) => {
    const snapshot = await ensureSanctionsSnapshot(db);
    if (snapshot) options.log(`sanctions list: the shipped OFAC snapshot of ${snapshot.publishedOn} (${snapshot.addressCount} addresses)`);
  });
  const treasury = (await treasurySigner()).address;
  const token = await ensureTestToken({
    rpcUrl: options.rpcUrl,
    deployerPrivateKey: (process.env.DEPLOYER_PRIVATE_KEY as `0x${string}` | undefined) ?? DEV_DEPLOYER_PRIVATE_KEY,
    mintTo: [{ address: treasury, amount: options.treasuryUsdc }],
  });
  options.log(`test USDC at ${token.address}; treasury ${treasury} holds at least ${options.treasuryUsdc / 10n ** 6n} USDC`);
  // Mass payouts pay through it; local-l2 deliberately has none (mass payouts there send one transaction per item).
  const batchTransferAddress = await ensureBatchTransfer({
    rpcUrl: options.rpcUrl,
    deployerPrivateKey: (process.env.BATCH_DEPLOYER_PRIVATE_KEY as `0x${string}` | undefined) ?? DEV_BATCH_DEPLOYER_PRIVATE_KEY,
    log: options.log,
  });
  options.log(`BatchTransfer at ${batchTransferAddress}`);
  return { usdcAddress: token.address, batchTransferAddress, treasury };
}

if (require.main === module) {
  const databaseUrl = process.env.DATABASE_URL;
  const rpcUrl = (process.env.LOCAL_RPC_URLS ?? 'http://127.0.0.1:8545').split(',')[0]!;
  if (!databaseUrl) {
    console.error('[bootstrap] set DATABASE_URL');
    process.exit(1);
  }
  bootstrap({ databaseUrl, rpcUrl, treasuryUsdc: 1_000_000n * 10n ** 6n, log: (message) => console.log(`[bootstrap] ${message}`) }).catch(
    (error) => {
      console.error(`[bootstrap] failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
