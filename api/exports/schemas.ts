/**
 * GET /v1/exports/payouts and GET /v1/exports/mass-payout-items: the queries they validate and the rows they stream
 * (CSV columns = row keys, in order).
 */
import { z } from 'zod';
import { MASS_PAYOUT_ITEM_STATUSES } from '../../domain/mass-payout';
import { PAYOUT_STATUSES } from '../../domain/statuses';
import { timestamp } from '../http/schemas';

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

export const massPayoutItemExportQuery = z.strictObject({
  format: z.enum(['csv', 'json'], { error: 'format must be csv or json' }).default('csv'),
  mass_payout_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Only the items of this mass payout (of the calling account).' }),
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(MASS_PAYOUT_ITEM_STATUSES, { error: `status must be one of: ${MASS_PAYOUT_ITEM_STATUSES.join(', ')}` })))
    .optional()
    .meta({ description: 'Comma-separated item statuses; all of them (failed and canceled included) when absent.' }),
  created_from: z.iso
    .datetime({ error: 'created_from must be an RFC 3339 timestamp' })
    .optional()
    .meta({ description: 'Inclusive; compared with the mass payout’s creation time.' }),
  created_to: z.iso
    .datetime({ error: 'created_to must be an RFC 3339 timestamp' })
    .optional()
    .meta({ description: 'Exclusive; compared with the mass payout’s creation time.' }),
});

export const massPayoutItemExportRowSchema = z
  .object({
    batch_id: z.string().meta({ description: 'The mass payout (`mp_…`): the same batch_id for every item of one batch.' }),
    batch_external_id: text.meta({ description: 'The mass payout’s external_id, if the caller gave one.' }),
    seq: z.int().meta({ description: 'The item’s 0-based position in the request (JSON index or CSV data row).' }),
    reference: text.meta({ description: 'The caller’s reference for this item (unique within its batch).' }),
    memo: text,
    address: z.string().meta({ description: 'The recipient.' }),
    amount: z.string().meta({ description: 'In units of `asset` (decimal string, exact).' }),
    amount_units: z.string().meta({ description: 'The same in base units (integer string).' }),
    asset: z.string(),
    network: z.string(),
    status: z.enum(MASS_PAYOUT_ITEM_STATUSES),
    failure_code: text,
    failure_reason: text,
    tx_hash: text.meta({ description: 'The transaction that paid it (shared by every item of a BatchTransfer chunk).' }),
    delivery_id: text.meta({ description: 'The delivery (one on-chain transaction) the item was sent in; null if never sent.' }),
    delivery_mode: z.enum(['batch', 'single']).nullable().meta({ description: 'batch: a BatchTransfer call; single: its own transfer.' }),
    network_fee: text.meta({
      description:
        'This item’s share of its delivery’s gas, in the network fee asset: the fee divided by the delivery’s items rounded ' +
        'down, the remainder on its lowest seq, so the shares of a delivery sum exactly to what the receipt charged. ' +
        'A token allowance transaction some ERC-20 batches send first is in the ledger, not in any item.',
    }),
    network_fee_asset: z.string(),
    purpose: z.string().meta({ description: 'The mass payout’s purpose.' }),
    created_by: z.string(),
    approved_by: z.string().meta({ description: 'Approvers of the mass payout separated by ";".' }),
    created_at: timestamp.meta({ description: 'When the mass payout was created.' }),
    status_changed_at: timestamp.meta({ description: 'The item’s last change.' }),
    settled_at: timestamp.nullable().meta({ description: 'When the chain decided its delivery (paid or not); null if never sent.' }),
  })
  .meta({
    description:
      'One mass-payout item in an export: its batch, position and reference, recipient and amount, status and failure, ' +
      'the transaction and delivery that paid it, its share of the gas, and timestamps.',
  });

export type MassPayoutItemExportRow = z.infer<typeof massPayoutItemExportRowSchema>;
export const MASS_PAYOUT_ITEM_EXPORT_COLUMNS = Object.keys(massPayoutItemExportRowSchema.shape) as (keyof MassPayoutItemExportRow)[];
