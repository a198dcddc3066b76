/** A payout as an export row, and rows as RFC 4180 CSV. */
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { FIAT_CURRENCIES } from '../../domain/rates';
import type { PayoutStatus } from '../../domain/statuses';
import type { Payout } from '../../generated/prisma/client';
import { decimalToBigint } from '../../lib/db';
import { PAYOUT_EXPORT_COLUMNS, type PayoutExportRow } from './schemas';

export function payoutExportRow(payout: Payout, registry: NetworkRegistry): PayoutExportRow {
  const decimalsOf = (symbol: string) => registry.findAsset(payout.network, symbol)?.decimals ?? FIAT_CURRENCIES[symbol] ?? 0;
  const show = (value: { toFixed(): string } | null, symbol: string) =>
    value === null ? null : formatAmount(decimalToBigint(value)!, decimalsOf(symbol));
  const amountUnits = decimalToBigint(payout.amount)!;
  const debitAsset = payout.debitAsset ?? payout.asset;
  const fiatInput = payout.inputCurrency !== null && payout.inputCurrency in FIAT_CURRENCIES;
  const feeUnit = registry.feeUnit(payout.network);
  return {
    payout_id: payout.id,
    external_id: payout.externalId,
    batch_id: null,
    idempotency_key: payout.idempotencyKey,
    status: payout.status as PayoutStatus,
    failure_code: payout.failureCode,
    failure_reason: payout.failureReason,
    input_amount: payout.inputCurrency ? show(payout.inputAmount, payout.inputCurrency) : null,
    input_currency: payout.inputCurrency,
    amount: formatAmount(amountUnits, decimalsOf(payout.asset)),
    amount_units: amountUnits.toString(),
    asset: payout.asset,
    network: payout.network,
    destination: payout.destination,
    debit_amount: show(payout.debitAmount ?? payout.amount, debitAsset)!,
    debit_asset: debitAsset,
    rate_input_to_sending: payout.rateInputToSending,
    rate_sending_to_debit: payout.rateSendingToDebit,
    rate_source: payout.rateSource,
    service_fee: show(payout.serviceFee, debitAsset) ?? '0',
    conversion_fee: show(payout.conversionFee, debitAsset) ?? '0',
    fee_asset: debitAsset,
    gas_used: decimalToBigint(payout.gasUsed)?.toString() ?? null,
    network_fee: payout.networkFee === null ? null : formatAmount(decimalToBigint(payout.networkFee)!, feeUnit.decimals),
    network_fee_asset: feeUnit.symbol,
    tx_hash: payout.txHash,
    block_number: payout.blockNumber?.toString() ?? null,
    confirmations: payout.confirmations,
    // The requested fiat amount when the payout was asked for in fiat; else the USD value captured at creation.
    fiat_amount: fiatInput
      ? show(payout.inputAmount, payout.inputCurrency!)
      : payout.fiatCurrency
        ? show(payout.fiatAmount, payout.fiatCurrency)
        : null,
    fiat_currency: fiatInput ? payout.inputCurrency : payout.fiatCurrency,
    fiat_rate: fiatInput ? null : payout.fiatRate,
    purpose: payout.purpose,
    created_by: payout.createdBy,
    approved_by: payout.approvedBy.join(';'),
    created_at: payout.createdAt.toISOString(),
    status_changed_at: payout.statusChangedAt.toISOString(),
    completed_at: payout.completedAt?.toISOString() ?? null,
  };
}

/**
 * One CSV field. Quoted when it holds a comma, quote or line break; free text that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR) is prefixed with ' (OWASP's CSV injection advice).
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = () => `${PAYOUT_EXPORT_COLUMNS.join(',')}\r\n`;

export const csvLine = (row: PayoutExportRow) => `${PAYOUT_EXPORT_COLUMNS.map((column) => csvField(row[column])).join(',')}\r\n`;
