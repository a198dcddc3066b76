/**
 * Evaluates a treasury wallet's low-balance alert inside the transaction that changed its free
 * funds, and writes the `balance.low` outbox event there too (platform-wide: account_id NULL, so
 * every account's endpoints subscribed to it receive it). Logged as well, for log-based alerting.
 */
import { randomUUID } from 'node:crypto';
import { nextAlert, type AlertState, type LowBalanceThreshold } from '../../domain/balance-alerts';
import { accountCode, type WalletAsset } from '../../domain/ledger';
import type { Prisma } from '../../generated/prisma/client';

type Tx = Prisma.TransactionClient;

export async function evaluateBalanceAlert(
  tx: Tx,
  at: WalletAsset,
  thresholds: readonly LowBalanceThreshold[],
  shortfall?: { neededUnits: bigint },
  log: (message: string) => void = (message) => console.warn(message),
): Promise<void> {
  const wallet = at.wallet.toLowerCase();
  const threshold = thresholds.find((t) => t.network === at.network && t.asset === at.asset)?.units;
  const account = await tx.ledgerAccount.findUnique({
    where: { id: accountCode({ kind: 'treasury', owner: wallet, network: at.network, asset: at.asset }) },
  });
  const available = account ? BigInt(account.balance.toFixed()) : 0n;
  const waiting =
    shortfall !== undefined ||
    (await tx.payout.count({
      where: {
        network: at.network,
        attention: 'insufficient_funds',
        OR: [{ debitAsset: at.asset }, { debitAsset: null, asset: at.asset }],
      },
    })) > 0;
  const current = await tx.balanceAlert.findUnique({ where: { network_wallet_asset: { network: at.network, wallet, asset: at.asset } } });
  const decision = nextAlert((current?.state as AlertState | undefined) ?? 'ok', available, threshold, waiting);
  const data = { state: decision.state, threshold: threshold?.toString() ?? null, available: available.toString() };
  if (!current) await tx.balanceAlert.create({ data: { network: at.network, wallet, asset: at.asset, ...data } });
  else if (current.state !== decision.state || current.available.toFixed() !== data.available) {
    await tx.balanceAlert.update({
      where: { network_wallet_asset: { network: at.network, wallet, asset: at.asset } },
      data: { ...data, ...(current.state !== decision.state ? { changedAt: new Date() } : {}) },
    });
  }
  if (!decision.fire) return;
  const payload = {
    network: at.network,
    wallet,
    asset: at.asset,
    reason: decision.fire,
    available_units: available.toString(),
    threshold_units: threshold?.toString() ?? null,
    needed_units: shortfall?.neededUnits.toString() ?? null,
    at: new Date().toISOString(),
  };
  await tx.outboxEvent.create({
    data: {
      id: `evt_balance_${randomUUID().replace(/-/g, '')}`,
      accountId: null,
      aggregateType: 'treasury',
      aggregateId: `${at.network}:${wallet}:${at.asset}`,
      eventType: 'balance.low',
      payload,
    },
  });
  log(
    `[balance.low] ${at.network} ${wallet} ${at.asset}: ${decision.fire}, available ${available} units, threshold ${threshold ?? 'none'}`,
  );
}
