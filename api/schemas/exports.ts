/** GET /v1/exports/payouts: the query it validates and the row it streams (CSV columns = row keys, in order). */
import { z } from 'zod';
import { PAYOUT_STATUSES } from '../../domain/statuses';
import { timestamp } from './common';

export const payoutExportQuery = z.strictObject({
  format: z.enum(['csv', 'json'], { error: 'format must be csv or json' }).default('csv'),
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(PAYOUT_STATUSES, { error: `status must be one of: ${PAYOUT_STATUSES.join(', ')}` })))
    .optional()
    .meta({ description: 'Comma-separated statuses; all statuses (failed and canceled included) when absent.' }),
  created_from: z.iso.datetime({ error: 'created_from must be an RFC 3339 timestamp' }).optional().meta({ description: 'Inclusive.' }),
  created_to: z.iso.datetime({ error: 'created_to must be an RFC 3339 timestamp' }).optional().meta({ description: 'Exclusive.' }),
});

const text = z.string().nullable();

export const payoutExportRowSchema = z
  .object({
    payout_id: z.string(),
    external_id: text,
    batch_id: text.meta({ description: 'The mass payout this payout belongs to (null for single payouts).' }),
    idempotency_key: z.string(),
    status: z.enum(PAYOUT_STATUSES),
    failure_code: text,
    failure_reason: text,
    input_amount: text,
    input_currency: text,
    amount: z.string(),
    amount_units: z.string(),
    asset: z.string(),
    network: z.string(),
    destination: z.string(),
    debit_amount: z.string(),
    debit_asset: z.string(),
    rate_input_to_sending: text,
    rate_sending_to_debit: text,
    rate_source: text,
    service_fee: z.string(),
    conversion_fee: z.string(),
    fee_asset: z.string(),
    gas_used: text,
    network_fee: text.meta({ description: 'Gas actually paid, in the network fee asset.' }),
    network_fee_asset: z.string(),
    tx_hash: text,
    block_number: text,
    confirmations: z.number().int().nullable(),
    fiat_amount: text.meta({
      description:
        'Fiat equivalent at the time of payout, where a rate was known: the requested amount for a payout asked for in fiat, ' +
        'else the sent amount in USD at creation (half-even).',
    }),
    fiat_currency: text,
    fiat_rate: text.meta({
      description: 'fiat_currency per one unit of the sent asset at creation (null when the amount was requested in fiat).',
    }),
    purpose: z.string(),
    created_by: z.string(),
    approved_by: z.string().meta({ description: 'Approvers separated by ";".' }),
    created_at: timestamp,
    status_changed_at: timestamp,
    completed_at: timestamp.nullable(),
  })
  .meta({ description: 'One payout in an export: internal and external ids, amounts, rates, fees, gas, chain data, timestamps.' });

export type PayoutExportRow = z.infer<typeof payoutExportRowSchema>;
export const PAYOUT_EXPORT_COLUMNS = Object.keys(payoutExportRowSchema.shape) as (keyof PayoutExportRow)[];
