/**
 * Schemas of /v1/payouts: the requests the routes validate with (api/payouts/routes.ts,
 * api/payouts/request.ts) and the answers they build (api/payouts/view.ts, the action routes).
 */
import { z } from 'zod';
import { CONTROL_NAMES } from '../../domain/controls';
import { PAYOUT_STATUSES } from '../../domain/statuses';
import { decimalString, integerString, nextPageCursor, pageCursor, pageLimit, programName, timestamp } from '../http/schemas';
import { callbackUrlField } from '../webhooks/schemas';

/** One control's decision on a payout or mass payout at creation (domain/controls.ts). */
export const controlDecisionSchema = z.object({
  control: z.enum(CONTROL_NAMES),
  policy: z.object({ id: z.string(), version: z.int() }).nullable().meta({ description: 'Null: the built-in default.' }),
  outcome: z.enum(['allowed', 'approval_required', 'refused']),
  rule: z.string().nullable(),
  extra_approvals: z.int().meta({ description: 'Approvals added to the tier.' }),
  minimum_approvals: z.int().meta({ description: 'Approvals needed at least, whatever the tier.' }),
  detail: z.string().nullable(),
});

const ADDRESS_PATTERN = '^0x[0-9a-fA-F]{40}$';

export const createPayoutBody = z
  .strictObject({
    // The amount's rules depend on the currency's decimals: api/payouts/request.ts checks it further.
    amount: decimalString.meta({ description: 'In `currency` when given, else in `asset`, e.g. "25.50".', examples: ['25.50'] }),
    asset: z
      .string({ error: 'asset must be a string such as "USDC"' })
      .min(1)
      .meta({
        description: 'The asset sent on chain; see GET /v1/currencies for the asset + network pairs.',
        examples: ['USDC'],
      }),
    network: z
      .string({ error: 'network must be a string such as "local"' })
      .min(1)
      .meta({ examples: ['local'] }),
    destination: z.string({ error: 'destination must be a 0x-prefixed EVM address' }).meta({
      // Enforced by api/payouts/request.ts with specific messages (checksum, zero address), so only documented here.
      pattern: ADDRESS_PATTERN,
      description: 'EVM address, EIP-55 checksummed or all lowercase; never the zero address.',
      examples: ['0x90F79bf6EB2c4f870365E785982E1f101E93b906'],
    }),
    purpose: z
      .string({ error: 'purpose must be a string' })
      .trim()
      .min(1, 'purpose must not be empty')
      .max(200, 'purpose must be at most 200 characters')
      .meta({ examples: ['Invoice 2026-114'] }),
    currency: z
      .string({ error: 'currency must be a string such as "EUR" or "USDC"' })
      .min(1)
      .optional()
      .meta({
        description:
          'The currency `amount` is in, when not `asset`: a fiat currency (USD, EUR, GBP) or an asset. The payout then waits in `awaiting_conversion` with a locked quote.',
        examples: ['EUR'],
      }),
    debit_asset: z
      .string({ error: 'debit_asset must be a string such as "USDC"' })
      .min(1)
      .optional()
      .meta({
        description: 'The asset the treasury is debited in, when not `asset`.',
        examples: ['USDC'],
      }),
    program: programName(z.string({ error: 'program must be a string' })).optional(),
    external_id: z
      .string({ error: 'external_id must be a string' })
      .min(1, 'external_id must not be empty')
      .max(50, 'external_id must be at most 50 characters')
      .regex(/^[A-Za-z0-9._:/-]+$/, 'external_id may contain only letters, digits and ._:/-')
      .optional()
      .meta({ description: 'Your reference, unique per account (409 `external_id_taken` otherwise).', examples: ['inv-2026-114'] }),
    // Its address rules need the deployment's URL policy: api/payouts/callback.ts checks it further.
    callback_url: callbackUrlField.optional(),
  })
  .meta({
    examples: [
      {
        amount: '25.50',
        asset: 'USDC',
        network: 'local',
        destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
        purpose: 'Invoice 2026-114',
        external_id: 'inv-2026-114',
      },
      {
        amount: '100',
        currency: 'EUR',
        asset: 'ETH',
        debit_asset: 'USDC',
        network: 'local',
        destination: '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
        purpose: 'EUR invoice paid in ETH',
      },
    ],
  });

export type CreatePayoutBody = z.infer<typeof createPayoutBody>;

export const payoutIdParams = z.object({
  id: z.string().meta({ description: 'The payout id, e.g. `po_01jd5x3k7q8w2m4n6p9r0s1t2v`.', examples: ['po_01jd5x3k7q8w2m4n6p9r0s1t2v'] }),
});

export const listPayoutsQuery = z.strictObject({
  status: z
    .string()
    .meta({ description: `Comma-separated statuses to include: ${PAYOUT_STATUSES.join(', ')}.`, examples: ['pending_approval,processing'] })
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(PAYOUT_STATUSES, { error: `status must be one of: ${PAYOUT_STATUSES.join(', ')}` })))
    .optional(),
  limit: pageLimit,
  cursor: pageCursor,
});

/** Body of approve, reject, cancel and confirm-conversion; optional everywhere (`reason` is recorded by reject and cancel). */
export const payoutActionBody = z
  .strictObject({ reason: z.string().max(200, 'reason must be at most 200 characters').optional() })
  .meta({ examples: [{ reason: 'duplicate of inv-2026-113' }] });

const nullableDecimal = decimalString.nullable();

export const payoutSchema = z
  .object({
    id: z.string(),
    object: z.literal('payout'),
    account_id: z.string(),
    external_id: z.string().nullable(),
    program: z.string().nullable(),
    status: z.enum(PAYOUT_STATUSES),
    status_changed_at: timestamp,
    available_actions: z
      .array(z.enum(['confirm_conversion', 'approve', 'reject', 'cancel', 'resolve_nonce_conflict', 'decide_compliance']))
      .meta({ description: 'What a person may try now; the workflow has the last word.' }),
    amount: decimalString.meta({ description: 'Sent on chain, in `asset`.' }),
    amount_units: integerString.meta({ description: '`amount` in the asset’s base units.' }),
    asset: z.string(),
    network: z.string(),
    destination: z.string().meta({ pattern: ADDRESS_PATTERN }),
    purpose: z.string(),
    input: z.object({ amount: nullableDecimal, currency: z.string().nullable() }).meta({ description: 'What was asked for.' }),
    debit: z.object({ amount: nullableDecimal, asset: z.string().nullable() }).meta({ description: 'What the treasury pays.' }),
    conversion: z
      .object({
        rate: z.string().nullable(),
        rate_description: z.string(),
        debit_rate: z.string().nullable(),
        debit_rate_description: z.string(),
        source: z.string().nullable(),
        quote_expires_at: timestamp,
        rounding: z.object({ amount: z.literal('down'), debit: z.literal('up'), fees: z.literal('up') }),
      })
      .nullable()
      .meta({ description: 'The locked quote of a payout requested in another currency; null otherwise.' }),
    fees: z.object({ service: nullableDecimal, conversion: nullableDecimal, asset: z.string().nullable() }),
    created_by: z.string().meta({ description: 'The actor of the API key that created the payout.' }),
    approval_policy: z.object({ id: z.string(), version: z.int() }),
    controls: z.array(controlDecisionSchema).meta({
      description:
        'What each control (limits, payee book, anomaly flags, destination checks) decided at creation: the rule, the policy version, the outcome.',
    }),
    approvals_required: z.int(),
    approved_by: z.array(z.string()),
    failure: z
      .object({
        code: z.string().meta({
          description: 'e.g. rejected, approval_expired, quote_expired, funding_timeout, simulation_reverted, broadcast_refused.',
        }),
        type: z.enum(['retryable', 'terminal', 'action_required']),
        reason: z.string().nullable(),
      })
      .nullable(),
    attention: z
      .object({ code: z.string(), type: z.literal('action_required') })
      .nullable()
      .meta({
        description:
          'Set while the payout waits for a person, e.g. `insufficient_funds`: fund the treasury and it resumes; ' +
          '`compliance_hold`: its destination was listed, and only a compliance decision (or a cancel) moves it on.',
      }),
    transaction: z
      .object({
        hash: z.string(),
        block_number: integerString.nullable(),
        confirmations: z.int().nullable(),
        gas_used: integerString.nullable(),
        network_fee: nullableDecimal,
        network_fee_asset: z.string().meta({
          description:
            "The network's native asset, which gas is paid in: ETH, or POL on Polygon (`wei` for a network no longer configured).",
          examples: ['ETH'],
        }),
      })
      .nullable(),
    workflow_id: z.string().meta({ description: 'The Temporal workflow that runs the payout.' }),
    created_at: timestamp,
    updated_at: timestamp,
    completed_at: timestamp.nullable(),
  })
  .meta({
    examples: [
      {
        id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v',
        object: 'payout',
        account_id: 'acct_demo',
        external_id: 'inv-2026-114',
        program: null,
        status: 'completed',
        status_changed_at: '2026-11-21T10:00:14.120Z',
        available_actions: [],
        amount: '25.5',
        amount_units: '25500000',
        asset: 'USDC',
        network: 'local',
        destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
        purpose: 'Invoice 2026-114',
        input: { amount: '25.5', currency: 'USDC' },
        debit: { amount: '25.5', asset: 'USDC' },
        conversion: null,
        fees: { service: '0', conversion: '0', asset: 'USDC' },
        created_by: 'billing-service',
        approval_policy: { id: 'default', version: 0 },
        controls: [],
        approvals_required: 0,
        approved_by: [],
        failure: null,
        attention: null,
        transaction: {
          hash: '0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060',
          block_number: '1042',
          confirmations: 2,
          gas_used: '51502',
          network_fee: '0.000054077100463518',
          network_fee_asset: 'ETH',
        },
        workflow_id: 'payout-po_01jd5x3k7q8w2m4n6p9r0s1t2v',
        created_at: '2026-11-21T10:00:10.002Z',
        updated_at: '2026-11-21T10:00:14.120Z',
        completed_at: '2026-11-21T10:00:14.120Z',
      },
    ],
  });

export const payoutListSchema = z.object({
  object: z.literal('list'),
  data: z.array(payoutSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

const payoutId = z.string().meta({ description: 'The payout acted on.' });

export const approveAnswerSchema = z
  .object({
    payout_id: payoutId,
    result: z.enum(['approved', 'needs_more_approvals']),
    approved_by: z.array(z.string()),
    remaining: z.int().min(0).meta({ description: 'Approvals still needed.' }),
  })
  .meta({
    examples: [{ payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v', result: 'needs_more_approvals', approved_by: ['alice'], remaining: 1 }],
  });

export const rejectAnswerSchema = z
  .object({ payout_id: payoutId, result: z.literal('rejected') })
  .meta({ examples: [{ payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v', result: 'rejected' }] });

export const resolveNonceConflictBody = z
  .strictObject({
    reason: z.string().min(1, 'reason is required: what the wallet showed').max(200, 'reason must be at most 200 characters'),
  })
  .meta({ examples: [{ reason: 'nonce 41 was a manual transfer to the treasury itself; the recipient was not paid' }] });

export const resolveNonceConflictAnswerSchema = z
  .object({
    payout_id: payoutId,
    result: z.literal('resolved_not_paid').meta({ description: 'The payout ends failed (`nonce_conflict`) and its funds are released.' }),
  })
  .meta({ examples: [{ payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v', result: 'resolved_not_paid' }] });

export const cancelAnswerSchema = z
  .object({
    payout_id: payoutId,
    result: z
      .enum(['canceled', 'cancel_requested'])
      .meta({ description: '`cancel_requested`: a same-nonce replacement was sent; the payout ends canceled only if the chain keeps it.' }),
    replacement_tx_hash: z.string().optional(),
  })
  .meta({ examples: [{ payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v', result: 'canceled' }] });

export const confirmConversionAnswerSchema = z
  .object({ payout_id: payoutId, result: z.literal('confirmed') })
  .meta({ examples: [{ payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v', result: 'confirmed' }] });
