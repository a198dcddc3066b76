/**
 * Low-balance thresholds per network and asset of the treasury wallet, and the edge-triggered
 * alert rule: `balance.low` fires once when free funds fall below the threshold (or a payout has
 * to wait for funds), and re-arms when they are back at or above it.
 */
import { parseAmount } from './money';
import type { NetworkRegistry } from './networks';

export interface LowBalanceThreshold {
  network: string;
  asset: string;
  /** Base units of the asset. */
  units: bigint;
}

/** "local:USDC=1000,local:ETH=0.5" (whole units) -> thresholds; throws naming every bad entry. */
export function parseLowBalanceThresholds(spec: string, registry: NetworkRegistry): LowBalanceThreshold[] {
  const thresholds: LowBalanceThreshold[] = [];
  const problems: string[] = [];
  for (const entry of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([a-z0-9-]+):([A-Za-z0-9]+)=(.+)$/.exec(entry);
    const asset = match ? registry.findAsset(match[1]!, match[2]!) : undefined;
    const parsed = match && asset ? parseAmount(match[3]!, asset.decimals) : undefined;
    if (!match) problems.push(`"${entry}" is not network:ASSET=amount`);
    else if (!asset) problems.push(`"${entry}": no asset ${match[2]} on network ${match[1]}`);
    else if (!parsed?.ok) problems.push(`"${entry}": ${match[3]} is not an amount of ${asset.symbol} (${asset.decimals} decimals)`);
    else thresholds.push({ network: match[1]!, asset: asset.symbol, units: parsed.units });
  }
  if (problems.length) throw new Error(`LOW_BALANCE_THRESHOLDS: ${problems.join('; ')}`);
  return thresholds;
}

export type AlertState = 'ok' | 'low';
export type AlertReason = 'below_threshold' | 'payout_waiting_for_funds';

/** What to do after free funds changed: fire (once), re-arm, or nothing. */
export function nextAlert(
  current: AlertState,
  available: bigint,
  threshold: bigint | undefined,
  payoutWaiting: boolean,
): { state: AlertState; fire?: AlertReason } {
  const low = payoutWaiting || (threshold !== undefined && available < threshold);
  if (low && current === 'ok') return { state: 'low', fire: payoutWaiting ? 'payout_waiting_for_funds' : 'below_threshold' };
  if (!low && current === 'low') return { state: 'ok' };
  return { state: current };
}
