/** Builds the long-lived dependencies a process needs from its config. */
import { readFileSync } from 'node:fs';
import { DEV_TREASURY_PRIVATE_KEY, type EngineConfig } from './config';
import { decryptKeystore } from './keystore';
import { ChainClients, type RpcObserver } from './chain';
import { kmsClient, kmsSigner } from './kms-signer';
import { assertProductionSigner, isProduction, ProductionModeError } from './production-mode';
import { localKeySigner, type TransactionSigner, type TreasurySigners } from './signer';
import type { NetworkRegistry, SignerReference } from '../domain/networks';

type Env = Record<string, string | undefined>;

/**
 * Each network's treasury signer: the one its entry in the networks file names (`signer`), or the default signer
 * (treasurySigner) for a network that names none. A key referred to twice is one signer; the default is built only
 * if a network uses it, so a deployment whose every network names its key needs no TREASURY_* variable.
 */
export async function treasurySigners(registry: NetworkRegistry, env: Env = process.env): Promise<TreasurySigners> {
  const built = new Map<string, Promise<TransactionSigner>>();
  const once = (key: string, build: () => Promise<TransactionSigner>) => {
    if (!built.has(key)) built.set(key, build());
    return built.get(key)!;
  };
  const byNetwork = new Map<string, TransactionSigner>();
  for (const network of registry.networks) {
    const reference = network.signer;
    const signer = reference
      ? await once(JSON.stringify(reference), () => referencedSigner(reference, env)).catch((error: Error) => {
          if (error instanceof ProductionModeError) throw error;
          throw new Error(`network ${network.id}'s signer (networks file): ${error.message}`);
        })
      : await once('default', () => treasurySigner(env));
    if (reference) assertProductionSigner(signer.address, env, network.id);
    byNetwork.set(network.id, signer);
  }
  return {
    forNetwork(networkId) {
      const signer = byNetwork.get(networkId);
      if (!signer) throw new Error(`no signer for network ${networkId}; configured: ${[...byNetwork.keys()].join(', ')}`);
      return signer;
    },
  };
}

async function referencedSigner(reference: SignerReference, env: Env): Promise<TransactionSigner> {
  switch (reference.kind) {
    case 'kms': {
      const region = reference.region ?? env.TREASURY_KMS_REGION ?? env.AWS_REGION;
      if (!region) throw new Error(`the KMS key ${reference.keyId} needs its region: kms_region, TREASURY_KMS_REGION or AWS_REGION`);
      return kmsSigner({ keyId: reference.keyId, client: kmsClient({ ...env, TREASURY_KMS_REGION: region }) });
    }
    case 'keystore': {
      const password = reference.passwordVariable ? env[reference.passwordVariable] : readFileSync(reference.passwordFile!, 'utf8').trim();
      if (password === undefined)
        throw new Error(`environment variable ${reference.passwordVariable} (keystore_password_variable) is not set`);
      return localKeySigner(decryptKeystore(readFileSync(reference.file, 'utf8'), password));
    }
    case 'key-variable': {
      const key = env[reference.variable];
      if (!key) throw new Error(`environment variable ${reference.variable} (private_key_variable) is not set`);
      return localKeySigner(key as `0x${string}`, reference.variable);
    }
  }
}

/**
 * The treasury signer, from (in order) an AWS KMS key (TREASURY_KMS_KEY_ID, with TREASURY_KMS_REGION and optionally
 * TREASURY_KMS_ENDPOINT), an encrypted keystore file (TREASURY_KEYSTORE_FILE with TREASURY_KEYSTORE_PASSWORD or
 * TREASURY_KEYSTORE_PASSWORD_FILE), a raw key (TREASURY_PRIVATE_KEY), or, outside production, anvil's development
 * account. Async: a KMS key's address is read from KMS.
 */
export async function treasurySigner(env: Env = process.env): Promise<TransactionSigner> {
  const signer = await configuredSigner(env);
  assertProductionSigner(signer.address, env);
  return signer;
}

async function configuredSigner(env: Env): Promise<TransactionSigner> {
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

export function chainClients(config: EngineConfig, rpc?: RpcObserver): ChainClients {
  return new ChainClients(config.registry, rpc);
}
