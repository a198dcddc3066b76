/** Builds the long-lived dependencies a process needs from its config. */
import { DEV_TREASURY_PRIVATE_KEY, type EngineConfig } from './config';
import { ChainClients } from './chain';
import { localKeySigner, type TransactionSigner } from './signer';

export function treasurySigner(env: Record<string, string | undefined> = process.env): TransactionSigner {
  const key = env.TREASURY_PRIVATE_KEY;
  if (!key) {
    if (env.NODE_ENV === 'production') throw new Error('TREASURY_PRIVATE_KEY is required in production');
    return localKeySigner(DEV_TREASURY_PRIVATE_KEY);
  }
  return localKeySigner(key as `0x${string}`);
}

export function chainClients(config: EngineConfig): ChainClients {
  return new ChainClients(config.registry);
}
