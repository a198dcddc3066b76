/**
 * Process configuration from the environment, read once at start. Defaults fit the
 * local stack that `npm start` runs; every default is named here and in the README.
 */
import { join } from 'node:path';
import type { Hex } from 'viem';
import { parseLowBalanceThresholds, type LowBalanceThreshold } from '../domain/balance-alerts';
import { NetworkRegistry } from '../domain/networks';
import { TX_GAS_LIMIT_CAP } from '../contracts/batch-size';
import { bigInteger, boolean, integer, type Env } from './env';
import { DEFAULT_NETWORKS_FILE, loadNetworksFile } from './networks-file';
import { isProduction, ProductionModeError, productionRefusals } from './production-mode';
import { reconciliationSettingsFromEnv, type ReconciliationSettings } from './reconciliation/settings';

/** Anvil's well-known dev account #1. A development key only: never holds real funds. */
export const DEV_TREASURY_PRIVATE_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** Anvil's dev account #0 deploys the test token; its first transaction fixes the token's address. */
export const DEV_DEPLOYER_PRIVATE_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const DEV_USDC_ADDRESS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

export interface EngineConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  apiPort: number;
  /** 127.0.0.1 by default; 0.0.0.0 inside a container. */
  apiHost: string;
  registry: NetworkRegistry;
  approvalTimeoutMs: number;
  /** How long a payout the treasury cannot cover waits for funding, and how often it re-checks. */
  fundingTimeoutMs: number;
  fundingRetryMs: number;
  /** A funding wait continues-as-new before its run's history reaches this many events. */
  historyLimit: number;
  idempotencyKeyTtlMs: number;
  /** Requests per API key per minute unless the key has its own limit. */
  rateLimitPerMinute: number;
  /** LOW_BALANCE_THRESHOLDS="local:USDC=1000,local:ETH=0.5": free treasury funds below these emit balance.low. */
  lowBalanceThresholds: LowBalanceThreshold[];
  conversion: ConversionSettings;
  webhooks: WebhookSettings;
  /** RECONCILE_INTERVAL_MS, RECONCILE_START_BLOCK, RECONCILE_BLOCK_RANGE, RECONCILE_SETTLE_MS. */
  reconciliation: ReconciliationSettings;
  massPayouts: MassPayoutSettings;
  /**
   * Workflows the worker keeps in memory between tasks (WORKER_MAX_CACHED_WORKFLOWS); the rest replay when they wake.
   * Unset: the SDK's default, from the heap size (about 900 here). bench/README.md has the measurement.
   */
  maxCachedWorkflows?: number;
  /**
   * WALLET_LEASE_MS: the lease that makes one worker process the owner of each hot wallet. A crashed owner is replaced
   * after at most this long; a clean shutdown hands over at once.
   */
  walletLeaseMs: number;
  metrics: MetricsSettings;
}

export interface MetricsSettings {
  /** METRICS_TOKEN: when set, /metrics wants `Authorization: Bearer <token>`. */
  token?: string;
  /** WORKER_METRICS_PORT: the worker's /metrics (9464 by default; `off` serves none). */
  workerPort: number | undefined;
  /** WORKER_METRICS_HOST: 127.0.0.1 by default; 0.0.0.0 inside a container. */
  workerHost: string;
  /**
   * TEMPORAL_METRICS_PORT: the Temporal SDK's own Prometheus endpoint in the worker (slots, schedule-to-start latency,
   * sticky cache), on WORKER_METRICS_HOST; unset: off. Durations in seconds.
   */
  temporalPort: number | undefined;
}

export interface MassPayoutSettings {
  /** MASS_PAYOUT_MAX_ITEMS: more items in one request is a 413 that names the limit. */
  maxItems: number;
  /** MASS_PAYOUT_MAX_BODY_BYTES: the largest JSON or CSV request body (100,000 items of JSON is about 12 MB). */
  maxBodyBytes: number;
  /** MASS_PAYOUT_CHUNK_GAS: the gas one batch transaction may use; chunk sizes derive from it (EIP-7825's cap by default). */
  chunkGasLimit: bigint;
  /** MASS_PAYOUT_MAX_CHUNK_ITEMS: an upper bound on items per chunk below what the gas allows (0: the gas decides). */
  maxChunkItems: number;
  /** MASS_PAYOUT_CHUNK_CONCURRENCY: chunk workflows running at once per mass payout. */
  chunkConcurrency: number;
}

export interface WebhookUrlPolicy {
  /** NODE_ENV=production: only https URLs. */
  requireHttps: boolean;
  /** Private, loopback, link-local and other internal addresses; for development only. */
  allowPrivate: boolean;
}

export interface WebhookSettings {
  /** A delivery still failing this long after its event was fanned out (or replayed) is dead-lettered. */
  maxAgeMs: number;
  /** Delay before the 2nd attempt; it doubles per attempt (±25% jitter) up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often the dispatcher looks for new events and due deliveries when idle. */
  pollIntervalMs: number;
  /** Whole-request timeout of one delivery attempt. */
  timeoutMs: number;
  urlPolicy: WebhookUrlPolicy;
}

export interface ConversionSettings {
  /** How long a locked quote waits for confirm or cancel. */
  quoteTtlMs: number;
  serviceFeeBps: number;
  conversionFeeBps: number;
  ratesFile: string;
}

/** NETWORKS_FILE (default config/networks/local.yaml, the two anvil chains): see lib/networks-file.ts. */
export function networkRegistryFromEnv(env: Env = process.env): NetworkRegistry {
  return new NetworkRegistry(loadNetworksFile(env.NETWORKS_FILE || DEFAULT_NETWORKS_FILE, env));
}

export function loadConfig(env: Env = process.env): EngineConfig {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    throw new Error('DATABASE_URL is not set. Start everything with `npm start`, or set DATABASE_URL=postgres://user@host:5432/db');
  }
  const registry = networkRegistryFromEnv(env);
  const webhooks = webhookSettingsFromEnv(env);
  if (isProduction(env)) {
    const refusals = productionRefusals({
      networks: registry.networks,
      networksFile: env.NETWORKS_FILE || undefined,
      webhooksAllowPrivate: webhooks.urlPolicy.allowPrivate,
    });
    if (refusals.length > 0) throw new ProductionModeError(refusals);
  }
  return {
    databaseUrl,
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'payouts',
    apiPort: integer(env, 'API_PORT', 3000),
    apiHost: env.API_HOST ?? '127.0.0.1',
    registry,
    approvalTimeoutMs: integer(env, 'APPROVAL_TIMEOUT_MS', 30 * 24 * 60 * 60 * 1000),
    fundingTimeoutMs: integer(env, 'FUNDING_TIMEOUT_MS', 24 * 60 * 60 * 1000),
    fundingRetryMs: integer(env, 'FUNDING_RETRY_MS', 30_000),
    historyLimit: positive(env, 'WORKFLOW_HISTORY_LIMIT', 10_000),
    idempotencyKeyTtlMs: integer(env, 'IDEMPOTENCY_KEY_TTL_MS', 24 * 60 * 60 * 1000),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600),
    lowBalanceThresholds: parseLowBalanceThresholds(env.LOW_BALANCE_THRESHOLDS ?? '', registry),
    conversion: {
      quoteTtlMs: integer(env, 'QUOTE_TTL_MS', 60_000),
      serviceFeeBps: integer(env, 'SERVICE_FEE_BPS', 0),
      conversionFeeBps: integer(env, 'CONVERSION_FEE_BPS', 50),
      ratesFile: env.RATES_FILE ?? join(__dirname, '..', 'config', 'rates.json'),
    },
    webhooks,
    reconciliation: reconciliationSettingsFromEnv(env),
    massPayouts: loadMassPayoutSettings(env),
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS ? positive(env, 'WORKER_MAX_CACHED_WORKFLOWS', 1) : undefined,
    walletLeaseMs: positive(env, 'WALLET_LEASE_MS', 15_000),
    metrics: {
      ...(env.METRICS_TOKEN ? { token: env.METRICS_TOKEN } : {}),
      workerPort: env.WORKER_METRICS_PORT === 'off' ? undefined : integer(env, 'WORKER_METRICS_PORT', 9464),
      workerHost: env.WORKER_METRICS_HOST || '127.0.0.1',
      temporalPort: env.TEMPORAL_METRICS_PORT ? integer(env, 'TEMPORAL_METRICS_PORT', 9465) : undefined,
    },
  };
}

export function loadMassPayoutSettings(env: Env): MassPayoutSettings {
  return {
    maxItems: positive(env, 'MASS_PAYOUT_MAX_ITEMS', 100_000),
    maxBodyBytes: positive(env, 'MASS_PAYOUT_MAX_BODY_BYTES', 64 * 1024 * 1024),
    chunkGasLimit: bigInteger(env, 'MASS_PAYOUT_CHUNK_GAS', TX_GAS_LIMIT_CAP),
    maxChunkItems: integer(env, 'MASS_PAYOUT_MAX_CHUNK_ITEMS', 0),
    chunkConcurrency: positive(env, 'MASS_PAYOUT_CHUNK_CONCURRENCY', 4),
  };
}

function positive(env: Env, name: string, fallback: number): number {
  const value = integer(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be greater than 0`);
  return value;
}

export function webhookSettingsFromEnv(env: Env = process.env): WebhookSettings {
  const production = env.NODE_ENV === 'production';
  return {
    maxAgeMs: positive(env, 'WEBHOOK_MAX_AGE_MS', 3 * 24 * 60 * 60 * 1000),
    backoffBaseMs: positive(env, 'WEBHOOK_BACKOFF_BASE_MS', 30_000),
    backoffMaxMs: positive(env, 'WEBHOOK_BACKOFF_MAX_MS', 6 * 60 * 60 * 1000),
    pollIntervalMs: positive(env, 'WEBHOOK_POLL_INTERVAL_MS', 1_000),
    timeoutMs: positive(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
    // Internal addresses are reachable from the engine's network; only development may target them.
    urlPolicy: { requireHttps: production, allowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE_URLS', !production) },
  };
}
