/** Reconciliation settings from the environment (part of EngineConfig; defaults named in the README). */

export interface ReconciliationSettings {
  /** How often the Temporal schedule starts a reconciliation run. */
  intervalMs: number;
  /** The first block a wallet without a cursor is scanned from (0: its whole history). */
  startBlock: bigint;
  /** Blocks read and committed per step, so a long backlog is processed (and survives a crash) in pieces. */
  blockRange: number;
  /**
   * Payouts changed less than this long ago are checked on the next run: a status write still in flight
   * (not yet committed) must not be skipped by the changed-payouts cursor.
   */
  settleMs: number;
}

type Env = Record<string, string | undefined>;

function nonNegative(env: Env, name: string, fallback: string): bigint {
  const raw = env[name] === undefined || env[name] === '' ? fallback : env[name]!;
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return BigInt(raw);
}

function positive(env: Env, name: string, fallback: string): number {
  const value = nonNegative(env, name, fallback);
  if (value === 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${name} must be between 1 and ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}

export function reconciliationSettingsFromEnv(env: Env = process.env): ReconciliationSettings {
  return {
    intervalMs: positive(env, 'RECONCILE_INTERVAL_MS', '60000'),
    startBlock: nonNegative(env, 'RECONCILE_START_BLOCK', '0'),
    blockRange: positive(env, 'RECONCILE_BLOCK_RANGE', '2000'),
    settleMs: Number(nonNegative(env, 'RECONCILE_SETTLE_MS', '30000')),
  };
}
