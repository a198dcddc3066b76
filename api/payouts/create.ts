/**
 * Creating a payout: quote the conversion (if any), judge it under the current approval
 * policy, write the read-model row, start its workflow. Safe to run twice for one payout
 * id (a retry finishing a crashed first attempt): the row is reused, the start deduplicated.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { approvalsRequiredBy } from '../../domain/approval-policy';
import { quoteConversion, RATE_PLACES, type ConversionQuote } from '../../domain/conversion';
import { approximateWholeUnits, formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { payoutWorkflowId, type PayoutWorkflowInput } from '../../domain/payout';
import { convertUnits, FIAT_CURRENCIES, rationalToDecimal, type Rate, type RateProvider } from '../../domain/rates';
import type { PayoutStatus } from '../../domain/statuses';
import { Prisma, type Payout } from '../../generated/prisma/client';
import type { ConversionSettings, WebhookSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import { recordAudit, SYSTEM_ACTOR } from '../../lib/audit/audit-log';
import type { ChainClients } from '../../lib/chain';
import { screeningRecord, screenDestination, type ScreeningHit } from '../../lib/compliance/screening';
import type { payoutWorkflow } from '../../workflows/payout';
import {
  accountIdKey,
  assetKey,
  networkKey,
  payoutAmountKey,
  payoutStatusKey,
  statusChangedAtKey,
} from '../../workflows/search-attributes';
import { currentPolicy } from '../approval-policies/policies';
import { ApiError, validationError } from '../http/errors';
import type { StoredResponse } from '../http/idempotency';
import type { ValidPayoutRequest } from './request';
import { payoutView } from './view';
import type { Caller } from '../http/request-context';

export interface CreatePayoutDeps {
  db: Db;
  temporal: Client;
  registry: NetworkRegistry;
  rates: RateProvider;
  conversion: ConversionSettings;
  taskQueue: string;
  approvalTimeoutMs: number;
  fundingTimeoutMs: number;
  fundingRetryMs: number;
  historyLimit: number;
  /** The address policy callback_url is checked against. */
  webhooks: Pick<WebhookSettings, 'urlPolicy'>;
  /** For sanctions screening at creation (a network's oracle, a token's blacklist). */
  chains: ChainClients;
}

const identity = (symbol: string): Rate => ({
  base: symbol,
  quote: symbol,
  value: { numerator: 1n, denominator: 1n },
  source: 'identity',
  asOf: '',
});

/** Prices the request; refuses (400, nothing created) when a rate is missing or the result rounds to nothing. */
export async function priceRequest(
  rates: RateProvider,
  request: ValidPayoutRequest,
  settings: ConversionSettings,
): Promise<ConversionQuote> {
  const rate = async (from: string, to: string, field: string) => {
    if (from === to) return identity(from);
    const found = await rates.rate(from, to);
    if (!found) throw validationError([{ field, message: `no exchange rate from ${from} to ${to} is available` }]);
    return found;
  };
  const quote = quoteConversion({
    inputUnits: request.amountUnits,
    input: request.input,
    sending: request.asset,
    debit: request.debitAsset,
    inputToSending: await rate(request.input.symbol, request.asset.symbol, 'currency'),
    sendingToDebit: await rate(request.asset.symbol, request.debitAsset.symbol, 'debit_asset'),
    serviceFeeBps: settings.serviceFeeBps,
    conversionFeeBps: settings.conversionFeeBps,
  });
  if (quote.sending.units === 0n) {
    const shown = `${formatAmount(request.amountUnits, request.input.decimals)} ${request.input.symbol}`;
    throw validationError([{ field: 'amount', message: `${shown} is less than the smallest unit of ${request.asset.symbol}` }]);
  }
  return quote;
}

/** The reporting currency of exports' fiat equivalent. */
const FIAT_REPORTING_CURRENCY = 'USD';

/**
 * The sent amount in USD at creation, for finance's exports (half-even: a reported value, not a charge).
 * Absent when the rate provider does not know the asset; never blocks a payout.
 */
async function fiatEquivalent(
  rates: RateProvider,
  asset: { symbol: string; decimals: number },
  units: bigint,
): Promise<{ units: bigint; currency: string; rate: string; asOf: string } | undefined> {
  const rate = await rates.rate(asset.symbol, FIAT_REPORTING_CURRENCY).catch(() => undefined);
  if (!rate) return undefined;
  const decimals = FIAT_CURRENCIES[FIAT_REPORTING_CURRENCY]!;
  return {
    units: convertUnits(units, asset.decimals, decimals, rate.value, 'half_even'),
    currency: FIAT_REPORTING_CURRENCY,
    rate: rationalToDecimal(rate.value, RATE_PLACES, 'half_even'),
    asOf: rate.asOf,
  };
}

export function isConversion(quote: ConversionQuote): boolean {
  return quote.input.currency !== quote.sending.asset || quote.sending.asset !== quote.debit.asset;
}

export async function createPayout(
  deps: CreatePayoutDeps,
  who: Caller,
  key: string,
  request: ValidPayoutRequest,
  quote: ConversionQuote,
  payoutId: string,
): Promise<StoredResponse> {
  const { db, registry } = deps;
  const workflowId = payoutWorkflowId(payoutId);
  let payout = await db.payout.findUnique({ where: { id: payoutId } });
  if (!payout) {
    const policy = await currentPolicy(db, who.accountId, request.program);
    const approvalsRequired = approvalsRequiredBy(policy.rules, request.asset.symbol, request.asset.decimals, quote.sending.units);
    const converting = isConversion(quote);
    const fiat = await fiatEquivalent(deps.rates, request.asset, quote.sending.units);
    const initialStatus: PayoutStatus = converting ? 'awaiting_conversion' : approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
    // Screened before the row exists: a hit is held from the first answer on (attention compliance_hold), never paid.
    const hits = await screenDestination(
      { db, chains: deps.chains, registry },
      { network: request.network, asset: request.asset.symbol, address: request.destination },
    );
    try {
      payout = await db.$transaction(async (tx) => {
        const created = await tx.payout.create({
          data: {
            id: payoutId,
            accountId: who.accountId,
            externalId: request.externalId ?? null,
            idempotencyKey: key,
            workflowId,
            amount: quote.sending.units.toString(),
            asset: request.asset.symbol,
            network: request.network,
            destination: request.destination,
            purpose: request.purpose,
            createdBy: who.actor,
            program: request.program,
            status: initialStatus,
            approvalsRequired,
            approvalPolicyId: policy.version === 0 ? null : policy.id,
            approvalPolicyVersion: policy.version,
            inputAmount: quote.input.units.toString(),
            inputCurrency: quote.input.currency,
            debitAmount: quote.debit.units.toString(),
            debitAsset: quote.debit.asset,
            rateInputToSending: quote.rates.inputToSending,
            rateSendingToDebit: quote.rates.sendingToDebit,
            rateSource: quote.rates.source,
            serviceFee: quote.fees.serviceUnits.toString(),
            conversionFee: quote.fees.conversionUnits.toString(),
            quoteExpiresAt: converting ? new Date(Date.now() + deps.conversion.quoteTtlMs) : null,
            callbackUrl: request.callbackUrl ?? null,
            fiatAmount: fiat?.units.toString() ?? null,
            fiatCurrency: fiat?.currency ?? null,
            fiatRate: fiat?.rate ?? null,
            fiatRateAsOf: fiat?.asOf ?? null,
            attention: hits.length ? 'compliance_hold' : null,
          },
        });
        await tx.complianceScreening.create({ data: screeningRecord(created, 'creation', hits) });
        if (hits.length) {
          await recordAudit(tx, {
            accountId: who.accountId,
            actor: SYSTEM_ACTOR,
            action: 'compliance.hold',
            subject: { type: 'payout', id: payoutId },
            after: { stage: 'creation', destination: request.destination, network: request.network, hits },
            requestId: who.requestId ?? null,
          });
        }
        return created;
      });
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') || !request.externalId) throw error;
      const existing = await db.payout.findFirst({ where: { accountId: who.accountId, externalId: request.externalId } });
      if (!existing) throw error;
      const conflict = new ApiError(
        409,
        'conflict',
        'external_id_taken',
        `external_id "${request.externalId}" is already used by payout ${existing.id}`,
        [{ field: 'external_id', message: `already used by payout ${existing.id}` }],
      );
      return { status: 409, body: conflict.body('') };
    }
  }
  await startPayoutWorkflow(deps, payout);
  return { status: 201, body: payoutView(payout, registry) };
}

/** The hold the creation screening asks for, read back from its row (a retried create starts the same workflow). */
async function creationHold(db: Db, payoutId: string): Promise<PayoutWorkflowInput['compliance']> {
  const row = await db.complianceScreening.findFirst({ where: { payoutId, stage: 'creation' }, orderBy: { id: 'asc' } });
  if (!row || row.outcome !== 'hit') return undefined;
  return { hits: row.hits as unknown as ScreeningHit[], screeningId: row.id.toString() };
}

/** Starts the payout's workflow from its row; an already running one is fine. */
export async function startPayoutWorkflow(deps: CreatePayoutDeps, payout: Payout): Promise<void> {
  const compliance = await creationHold(deps.db, payout.id);
  const asset = deps.registry.asset(payout.network, payout.asset);
  const units = BigInt(payout.amount.toFixed());
  const show = (value: { toFixed(): string } | null, symbol: string | null) => {
    if (value === null || symbol === null) return '';
    const decimals = deps.registry.findAsset(payout.network, symbol)?.decimals ?? (symbol === payout.asset ? asset.decimals : 2);
    return `${formatAmount(BigInt(value.toFixed()), decimals)} ${symbol}`;
  };
  const sent = `${formatAmount(units, asset.decimals)} ${payout.asset}`;
  const input: PayoutWorkflowInput = {
    payoutId: payout.id,
    accountId: payout.accountId,
    amount: payout.amount.toFixed(),
    asset: payout.asset,
    assetDecimals: asset.decimals,
    network: payout.network,
    destination: payout.destination,
    purpose: payout.purpose,
    createdBy: payout.createdBy,
    externalId: payout.externalId ?? undefined,
    approvalsRequired: payout.approvalsRequired,
    approvalTimeoutMs: deps.approvalTimeoutMs,
    fundingTimeoutMs: deps.fundingTimeoutMs,
    fundingRetryMs: deps.fundingRetryMs,
    historyLimit: deps.historyLimit,
    ...(compliance ? { compliance } : {}),
    conversion:
      payout.quoteExpiresAt === null
        ? undefined
        : {
            description: `${show(payout.inputAmount, payout.inputCurrency)} -> ${sent}, debit ${show(payout.debitAmount, payout.debitAsset)}`,
            expiresAt: payout.quoteExpiresAt.toISOString(),
          },
  };
  try {
    await deps.temporal.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
      workflowId: payout.workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: payoutStatusKey, value: payout.status },
        { key: statusChangedAtKey, value: payout.createdAt },
        { key: networkKey, value: payout.network },
        { key: assetKey, value: payout.asset },
        { key: accountIdKey, value: payout.accountId },
        { key: payoutAmountKey, value: approximateWholeUnits(units, asset.decimals) },
      ],
      staticSummary: `Payout ${sent} on ${payout.network} to ${payout.destination}`,
      staticDetails: [
        `payout ${payout.id} · account ${payout.accountId}${payout.program ? ` · program ${payout.program}` : ''}`,
        `created by ${payout.createdBy}${payout.externalId ? ` · external id ${payout.externalId}` : ''}`,
        `purpose: ${payout.purpose}`,
        `approvals required: ${payout.approvalsRequired} (policy version ${payout.approvalPolicyVersion})`,
        input.conversion ? `conversion: ${input.conversion.description}, quote expires ${input.conversion.expiresAt}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    });
  } catch (error) {
    // A retry that finishes a crashed first attempt finds the workflow already running: fine.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
