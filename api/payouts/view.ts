/** The payout as the API shows it: amounts as decimal strings, snake_case fields. */
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { FAILURE_CATEGORIES } from '../../domain/failures';
import type { FailureCode, PayoutAction } from '../../domain/payout';
import { FIAT_CURRENCIES } from '../../domain/rates';
import type { PayoutStatus } from '../../domain/statuses';
import type { Payout } from '../../generated/prisma/client';
import { decimalToBigint } from '../../lib/db';
import type { ControlDecision } from '../../domain/controls';

/** What each control decided at creation, as stored (snake_case at the API). */
export function controlsView(stored: unknown) {
  return ((stored as ControlDecision[] | null) ?? []).map((decision) => ({
    control: decision.control,
    policy: decision.policy,
    outcome: decision.outcome,
    rule: decision.rule ?? null,
    extra_approvals: decision.extraApprovals ?? 0,
    minimum_approvals: decision.minimumApprovals ?? 0,
    detail: decision.detail ?? null,
  }));
}

/** What a person may try in each status (the workflow has the last word, e.g. once signing starts). */
const ACTIONS: Record<PayoutStatus, PayoutAction[]> = {
  awaiting_conversion: ['confirm_conversion', 'cancel'],
  pending_approval: ['approve', 'reject', 'cancel'],
  in_progress: ['cancel'],
  // Until mined: a same-nonce replacement that wins only if the chain keeps it.
  processing: ['cancel'],
  completed: [],
  failed: [],
  canceled: [],
  expired: [],
};

export function payoutView(payout: Payout, registry: NetworkRegistry) {
  const nativeFee = registry.feeUnit(payout.network);
  const decimalsOf = (symbol: string) => registry.findAsset(payout.network, symbol)?.decimals ?? FIAT_CURRENCIES[symbol] ?? 0;
  const amount = (value: { toFixed(): string } | null, symbol: string | null) =>
    value === null || symbol === null ? null : formatAmount(decimalToBigint(value)!, decimalsOf(symbol));
  const amountUnits = decimalToBigint(payout.amount)!;
  const networkFee = decimalToBigint(payout.networkFee);
  const converting = payout.quoteExpiresAt !== null;
  return {
    id: payout.id,
    object: 'payout',
    account_id: payout.accountId,
    external_id: payout.externalId,
    program: payout.program || null,
    status: payout.status,
    status_changed_at: payout.statusChangedAt.toISOString(),
    // A spent nonce cannot be canceled; only a person's check of the wallet ends the payout.
    available_actions:
      payout.attention === 'nonce_conflict'
        ? (['resolve_nonce_conflict'] as PayoutAction[])
        : payout.attention === 'compliance_hold'
          ? (['decide_compliance', 'cancel'] as PayoutAction[])
          : (ACTIONS[payout.status as PayoutStatus] ?? []),
    amount: formatAmount(amountUnits, decimalsOf(payout.asset)),
    amount_units: amountUnits.toString(),
    asset: payout.asset,
    network: payout.network,
    destination: payout.destination,
    purpose: payout.purpose,
    input: { amount: amount(payout.inputAmount, payout.inputCurrency), currency: payout.inputCurrency },
    debit: { amount: amount(payout.debitAmount, payout.debitAsset), asset: payout.debitAsset },
    conversion: converting
      ? {
          rate: payout.rateInputToSending,
          rate_description: `${payout.asset} per 1 ${payout.inputCurrency}`,
          debit_rate: payout.rateSendingToDebit,
          debit_rate_description: `${payout.debitAsset} per 1 ${payout.asset}`,
          source: payout.rateSource,
          quote_expires_at: payout.quoteExpiresAt!.toISOString(),
          rounding: { amount: 'down', debit: 'up', fees: 'up' },
        }
      : null,
    fees: {
      service: amount(payout.serviceFee, payout.debitAsset),
      conversion: amount(payout.conversionFee, payout.debitAsset),
      asset: payout.debitAsset,
    },
    created_by: payout.createdBy,
    approval_policy: { id: payout.approvalPolicyId ?? 'default', version: payout.approvalPolicyVersion },
    approvals_required: payout.approvalsRequired,
    approved_by: payout.approvedBy,
    controls: controlsView(payout.controls),
    failure: payout.failureCode
      ? {
          code: payout.failureCode,
          type: FAILURE_CATEGORIES[payout.failureCode as FailureCode] ?? 'terminal',
          reason: payout.failureReason,
        }
      : null,
    /** Set while the payout waits for a person, e.g. "insufficient_funds": fund the treasury and it resumes. */
    attention: payout.attention ? { code: payout.attention, type: 'action_required' } : null,
    transaction: payout.txHash
      ? {
          hash: payout.txHash,
          block_number: payout.blockNumber?.toString() ?? null,
          confirmations: payout.confirmations,
          gas_used: decimalToBigint(payout.gasUsed)?.toString() ?? null,
          network_fee: networkFee === null ? null : formatAmount(networkFee, nativeFee.decimals),
          network_fee_asset: nativeFee.symbol,
        }
      : null,
    workflow_id: payout.workflowId,
    created_at: payout.createdAt.toISOString(),
    updated_at: payout.updatedAt.toISOString(),
    completed_at: payout.completedAt?.toISOString() ?? null,
  };
}
