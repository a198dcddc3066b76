/** Reconciliation settings from the environment (part of EngineConfig; defaults named in the README). */
import { bigInteger, integer, type Env } from '../env';

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

function positive(env: Env, name: string, fallback: number): number {
  const value = integer(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be between 1 and ${Number.MAX_SAFE_INTEGER}`);
  return value;
}

export function reconciliationSettingsFromEnv(env: Env = process.env): ReconciliationSettings {
  return {
    intervalMs: positive(env, 'RECONCILE_INTERVAL_MS', 60_000),
    startBlock: bigInteger(env, 'RECONCILE_START_BLOCK', 0n),
    blockRange: positive(env, 'RECONCILE_BLOCK_RANGE', 2000),
    settleMs: integer(env, 'RECONCILE_SETTLE_MS', 30_000),
  };
}
