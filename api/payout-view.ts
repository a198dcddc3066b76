/** The payout as the API shows it: amounts as decimal strings, snake_case fields. */
import { formatAmount } from '../domain/money';
import type { NetworkRegistry } from '../domain/networks';
import type { Payout } from '../generated/prisma/client';
import { decimalToBigint } from '../lib/db';

export function payoutView(payout: Payout, registry: NetworkRegistry) {
  const decimals = registry.findAsset(payout.network, payout.asset)?.decimals ?? 0;
  const amountUnits = decimalToBigint(payout.amount)!;
  const networkFee = decimalToBigint(payout.networkFee);
  return {
    id: payout.id,
    object: 'payout',
    account_id: payout.accountId,
    external_id: payout.externalId,
    status: payout.status,
    amount: formatAmount(amountUnits, decimals),
    amount_units: amountUnits.toString(),
    asset: payout.asset,
    network: payout.network,
    destination: payout.destination,
    purpose: payout.purpose,
    created_by: payout.createdBy,
    approvals_required: payout.approvalsRequired,
    approved_by: payout.approvedBy,
    failure: payout.failureCode ? { code: payout.failureCode, reason: payout.failureReason } : null,
    transaction: payout.txHash
      ? {
          hash: payout.txHash,
          block_number: payout.blockNumber?.toString() ?? null,
          confirmations: payout.confirmations,
          gas_used: decimalToBigint(payout.gasUsed)?.toString() ?? null,
          network_fee: networkFee === null ? null : formatAmount(networkFee, 18),
          network_fee_asset: 'ETH',
        }
      : null,
    workflow_id: payout.workflowId,
    created_at: payout.createdAt.toISOString(),
    updated_at: payout.updatedAt.toISOString(),
    completed_at: payout.completedAt?.toISOString() ?? null,
  };
}
