/** Builds the long-lived dependencies a process needs from its config. */
import { readFileSync } from 'node:fs';
import { DEV_TREASURY_PRIVATE_KEY, type EngineConfig } from './config';
import { decryptKeystore } from './keystore';
import { ChainClients } from './chain';
import { localKeySigner, type TransactionSigner } from './signer';

/**
 * The treasury signer, from (in order) an encrypted keystore file (TREASURY_KEYSTORE_FILE with
 * TREASURY_KEYSTORE_PASSWORD or TREASURY_KEYSTORE_PASSWORD_FILE), a raw key (TREASURY_PRIVATE_KEY),
 * or, outside production, anvil's development account. A KMS or MPC signer implements
 * TransactionSigner the same way.
 */
export function treasurySigner(env: Record<string, string | undefined> = process.env): TransactionSigner {
  if (env.TREASURY_KEYSTORE_FILE) {
    const password =
      env.TREASURY_KEYSTORE_PASSWORD ??
      (env.TREASURY_KEYSTORE_PASSWORD_FILE ? readFileSync(env.TREASURY_KEYSTORE_PASSWORD_FILE, 'utf8').trim() : undefined);
    if (password === undefined)
      throw new Error('TREASURY_KEYSTORE_FILE needs TREASURY_KEYSTORE_PASSWORD or TREASURY_KEYSTORE_PASSWORD_FILE');
    return localKeySigner(decryptKeystore(readFileSync(env.TREASURY_KEYSTORE_FILE, 'utf8'), password));
  }
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
