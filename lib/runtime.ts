/** Builds the long-lived dependencies a process needs from its config. */
import { readFileSync } from 'node:fs';
import { DEV_TREASURY_PRIVATE_KEY, type EngineConfig } from './config';
import { decryptKeystore } from './keystore';
import { ChainClients } from './chain';
import { kmsClient, kmsSigner } from './kms-signer';
import { assertProductionSigner, isProduction, ProductionModeError } from './production-mode';
import { localKeySigner, type TransactionSigner } from './signer';

/**
 * The treasury signer, from (in order) an AWS KMS key (TREASURY_KMS_KEY_ID, with TREASURY_KMS_REGION and optionally
 * TREASURY_KMS_ENDPOINT), an encrypted keystore file (TREASURY_KEYSTORE_FILE with TREASURY_KEYSTORE_PASSWORD or
 * TREASURY_KEYSTORE_PASSWORD_FILE), a raw key (TREASURY_PRIVATE_KEY), or, outside production, anvil's development
 * account. Async: a KMS key's address is read from KMS.
 */
export async function treasurySigner(env: Record<string, string | undefined> = process.env): Promise<TransactionSigner> {
  const signer = await configuredSigner(env);
  assertProductionSigner(signer.address, env);
  return signer;
}

async function configuredSigner(env: Record<string, string | undefined>): Promise<TransactionSigner> {
  const configured = ['TREASURY_KMS_KEY_ID', 'TREASURY_KEYSTORE_FILE', 'TREASURY_PRIVATE_KEY'].filter((name) => env[name]);
  if (configured.length > 1) {
    throw new Error(`${configured.join(' and ')} are both set: the treasury has one signer. Unset all but one.`);
  }
  if (env.TREASURY_KMS_KEY_ID) return kmsSigner({ keyId: env.TREASURY_KMS_KEY_ID, client: kmsClient(env) });
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
    if (isProduction(env)) {
      throw new ProductionModeError([
        'no treasury signer is set, and the development account is refused: set TREASURY_KMS_KEY_ID ' +
          '(docs/networks.md#the-treasury-key), TREASURY_KEYSTORE_FILE or TREASURY_PRIVATE_KEY',
      ]);
    }
    return localKeySigner(DEV_TREASURY_PRIVATE_KEY);
  }
  return localKeySigner(key as `0x${string}`);
}

export function chainClients(config: EngineConfig): ChainClients {
  return new ChainClients(config.registry);
}
