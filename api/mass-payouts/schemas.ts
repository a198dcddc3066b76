/**
 * Schemas of /v1/mass-payouts: the three request forms (JSON, multipart upload, text/csv), the views the routes
 * build (api/mass-payouts/view.ts) and the actions' answers. Items are validated by domain/mass-payout-items.ts and
 * domain/mass-payout-csv.ts (every bad row reported); the item schemas here document the same rules.
 */
import { z } from 'zod';
import { MASS_PAYOUT_ITEM_STATUSES, MASS_PAYOUT_STATUSES, type MassPayoutItemStatus } from '../../domain/mass-payout';
import { MEMO_MAX_LENGTH, REFERENCE_MAX_LENGTH } from '../../domain/mass-payout-items';
import { controlDecisionSchema } from '../payouts/schemas';
import { decimalString, integerString, nextPageCursor, pageCursor, pageLimit, timestamp } from '../http/schemas';

const ADDRESS_PATTERN = '^0x[0-9a-fA-F]{40}$';
const MASS_PAYOUT_ID = 'mp_01jd5x3k7q8w2m4n6p9r0s1t2v';

/** The batch's own fields, the same in every request form (JSON body, multipart fields, query of a text/csv body). */
export const massPayoutFieldsShape = {
  network: z
    .string({ error: 'network must be a string such as "local"' })
    .min(1, 'network must not be empty')
    .meta({ description: 'One network for every item; see GET /v1/currencies.', examples: ['local'] }),
  asset: z
    .string({ error: 'asset must be a string such as "USDC"' })
    .min(1, 'asset must not be empty')
    .meta({ description: 'One asset for every item; amounts are in its whole units.', examples: ['USDC'] }),
  purpose: z
    .string({ error: 'purpose must be a string' })
    .trim()
    .min(1, 'purpose must not be empty')
    .max(200, 'purpose must be at most 200 characters')
    .meta({ examples: ['Payroll November 2026'] }),
  external_id: z
    .string({ error: 'external_id must be a string' })
    .min(1, 'external_id must not be empty')
    .max(50, 'external_id must be at most 50 characters')
    .regex(/^[A-Za-z0-9._:/-]+$/, 'external_id may contain only letters, digits and ._:/-')
    .optional()
    .meta({
      description: 'Your id for the batch: the same external_id within 30 days is refused (409 `external_id_taken`, naming the original).',
      examples: ['payroll-2026-11'],
    }),
};

export const MASS_PAYOUT_FIELDS = Object.keys(massPayoutFieldsShape);

/** What the routes validate the batch's fields with, whatever the form. */
export const massPayoutFields = z.strictObject(massPayoutFieldsShape);

/** One JSON item; enforced by domain/mass-payout-items.ts validateItems (every bad item reported as `items[i].field`). */
export const massPayoutItemInput = z.strictObject({
  address: z.string().meta({
    pattern: ADDRESS_PATTERN,
    description: 'EVM address, EIP-55 checksummed or all lowercase; never the zero address.',
    examples: ['0x90F79bf6EB2c4f870365E785982E1f101E93b906'],
  }),
  amount: decimalString.meta({ description: 'In whole units of the batch’s asset, e.g. "12.50".', examples: ['12.50'] }),
  reference: z
    .string()
    .min(1)
    .max(REFERENCE_MAX_LENGTH)
    .regex(/^[A-Za-z0-9._:/-]+$/)
    .optional()
    .meta({ description: 'Your id for the item, unique within the batch (case-sensitive).', examples: ['payroll-2026-11/0001'] }),
  memo: z.string().max(MEMO_MAX_LENGTH).optional().meta({ description: 'Free text; tabs and line breaks allowed.' }),
});

const EXAMPLE_CSV =
  'address,amount,reference,memo\r\n' +
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906,1250.00,payroll-2026-11/0001,November salary\r\n' +
  '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65,980.5,payroll-2026-11/0002,"Salary, November ""final"""\r\n';

export const createMassPayoutBody = z
  .strictObject({
    ...massPayoutFieldsShape,
    items: z.array(massPayoutItemInput).min(1).meta({
      description: 'At most `MASS_PAYOUT_MAX_ITEMS` items (default 100,000; one more is 413 `too_many_items`).',
    }),
  })
  .meta({
    examples: [
      {
        network: 'local',
        asset: 'USDC',
        purpose: 'Payroll November 2026',
        external_id: 'payroll-2026-11',
        items: [
          { address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', amount: '1250.00', reference: 'payroll-2026-11/0001' },
          { address: '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65', amount: '980.5', memo: 'Salary, November' },
        ],
      },
    ],
  });

export const createMassPayoutUpload = z
  .strictObject({
    ...massPayoutFieldsShape,
    file: z.string().meta({
      contentMediaType: 'text/csv',
      description: 'The CSV file (docs/mass-payout-csv.md): header `address,amount,reference,memo`, UTF-8 with or without BOM.',
    }),
  })
  .meta({ examples: [{ network: 'local', asset: 'USDC', purpose: 'Payroll November 2026', file: EXAMPLE_CSV }] });

export const massPayoutCsvBody = z.string().meta({
  description: 'The CSV file itself (docs/mass-payout-csv.md), with `network`, `asset`, `purpose` and `external_id` as query parameters.',
  examples: [EXAMPLE_CSV],
});

const csvOnly = (schema: z.ZodType, what: string) => schema.optional().meta({ description: `${what} With a text/csv body only.` });

/** Query parameters of POST /v1/mass-payouts: read only with a text/csv body (the other forms carry these fields). */
export const createMassPayoutQuery = z.strictObject({
  network: csvOnly(massPayoutFieldsShape.network, 'Required.'),
  asset: csvOnly(massPayoutFieldsShape.asset, 'Required.'),
  purpose: csvOnly(massPayoutFieldsShape.purpose, 'Required.'),
  external_id: csvOnly(massPayoutFieldsShape.external_id.unwrap(), 'Optional.'),
});

export const massPayoutIdParams = z.object({
  id: z.string().meta({ description: 'The mass payout id.', examples: [MASS_PAYOUT_ID] }),
});

const statusList = <T extends readonly [string, ...string[]]>(statuses: T, example: string) =>
  z
    .string()
    .meta({ description: `Comma-separated statuses to include: ${statuses.join(', ')}.`, examples: [example] })
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(statuses, { error: `status must be one of: ${statuses.join(', ')}` })))
    .optional();

export const listMassPayoutsQuery = z.strictObject({
  status: statusList(MASS_PAYOUT_STATUSES, 'pending_approval,in_progress'),
  limit: pageLimit,
  cursor: pageCursor,
});

export const listMassPayoutItemsQuery = z.strictObject({
  status: statusList(MASS_PAYOUT_ITEM_STATUSES, 'failed'),
  reference: z
    .string()
    .max(REFERENCE_MAX_LENGTH, `reference must be at most ${REFERENCE_MAX_LENGTH} characters`)
    .optional()
    .meta({ description: 'The item with this reference (exact, case-sensitive).', examples: ['payroll-2026-11/0001'] }),
  limit: pageLimit,
  cursor: pageCursor,
});

const failureSchema = z.object({ code: z.string(), reason: z.string().nullable() }).nullable();

const massPayoutShape = {
  id: z.string(),
  object: z.literal('mass_payout'),
  account_id: z.string(),
  external_id: z.string().nullable(),
  network: z.string(),
  asset: z.string(),
  purpose: z.string(),
  source: z.enum(['json', 'csv']).meta({ description: 'How the items arrived.' }),
  status: z.enum(MASS_PAYOUT_STATUSES),
  status_description: z.string(),
  status_changed_at: timestamp,
  available_actions: z
    .array(z.enum(['approve', 'reject', 'cancel']))
    .meta({ description: 'What a person may try now; the workflow has the last word.' }),
  item_count: z.int(),
  total_amount: decimalString.meta({ description: 'The sum of the items, in `asset`.' }),
  total_amount_units: integerString,
  created_by: z.string().meta({ description: 'The actor of the API key that created it.' }),
  approvals_required: z.int(),
  approved_by: z.array(z.string()),
  controls: z.array(controlDecisionSchema),
  delivery_mode: z
    .enum(['batch', 'single'])
    .nullable()
    .meta({ description: '`batch`: one BatchTransfer transaction per chunk; `single`: one transaction per item. Null until planned.' }),
  chunk_count: z.int().nullable(),
  attention: z
    .object({ code: z.string(), type: z.literal('action_required') })
    .nullable()
    .meta({ description: 'Set while the batch waits for a person, e.g. `insufficient_funds`.' }),
  failure: failureSchema,
  workflow_id: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: timestamp.nullable(),
};

const countSchema = z.object({ count: z.int(), amount: decimalString });

const countsSchema = z
  .object(
    Object.fromEntries(MASS_PAYOUT_ITEM_STATUSES.map((status) => [status, countSchema])) as Record<
      MassPayoutItemStatus,
      typeof countSchema
    >,
  )
  .meta({ description: 'Items and their amount per item status (every status, zeros included).' });

const summaryExample = {
  id: MASS_PAYOUT_ID,
  object: 'mass_payout',
  account_id: 'acct_demo',
  external_id: 'payroll-2026-11',
  network: 'local',
  asset: 'USDC',
  purpose: 'Payroll November 2026',
  source: 'csv',
  status: 'in_progress',
  status_description: 'funds reserved; chunks being simulated, signed, sent and confirmed',
  status_changed_at: '2026-11-21T10:00:01.120Z',
  available_actions: ['cancel'],
  item_count: 3,
  total_amount: '2305.5',
  total_amount_units: '2305500000',
  created_by: 'payroll-service',
  approvals_required: 0,
  approved_by: [],
  controls: [],
  delivery_mode: 'batch',
  chunk_count: 1,
  attention: null,
  failure: null,
  workflow_id: `mass-payout-${MASS_PAYOUT_ID}`,
  created_at: '2026-11-21T10:00:00.002Z',
  updated_at: '2026-11-21T10:00:04.530Z',
  completed_at: null,
};

const zero = { count: 0, amount: '0' };

export const massPayoutSchema = z.object(massPayoutShape).meta({ examples: [summaryExample] });

export const massPayoutDetailSchema = z
  .object({
    ...massPayoutShape,
    counts: countsSchema,
    paid_amount: decimalString.meta({ description: 'The amount of the completed items.' }),
    transactions: z.int().meta({ description: 'On-chain transactions sent (deliveries with a hash).' }),
    network_fee_total: decimalString.meta({ description: 'Gas paid by those transactions so far.' }),
    network_fee_asset: z.string().meta({
      description: "The network's native asset, which gas is paid in: ETH, or POL on Polygon (`wei` for a network no longer configured).",
      examples: ['ETH'],
    }),
  })
  .meta({
    examples: [
      {
        ...summaryExample,
        counts: {
          pending_approval: zero,
          in_progress: { count: 1, amount: '75' },
          processing: zero,
          completed: { count: 2, amount: '2230.5' },
          failed: zero,
          canceled: zero,
          expired: zero,
        },
        paid_amount: '2230.5',
        transactions: 1,
        network_fee_total: '0.000093051012345',
        network_fee_asset: 'ETH',
      },
    ],
  });

export const massPayoutListSchema = z.object({
  object: z.literal('list'),
  data: z.array(massPayoutSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

export const massPayoutItemSchema = z
  .object({
    seq: z.int().meta({ description: '0-based position in the request (JSON index, or CSV data row).' }),
    address: z.string().meta({ pattern: ADDRESS_PATTERN, description: 'EIP-55 checksummed.' }),
    amount: decimalString,
    amount_units: integerString,
    reference: z.string().nullable(),
    memo: z.string().nullable(),
    status: z.enum(MASS_PAYOUT_ITEM_STATUSES),
    tx_hash: z.string().nullable(),
    delivery_id: z.string().nullable().meta({ description: 'The on-chain delivery (one transaction) that pays this item.' }),
    chunk_index: z.int().nullable(),
    failure: failureSchema,
    updated_at: timestamp,
  })
  .meta({
    examples: [
      {
        seq: 0,
        address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
        amount: '1250',
        amount_units: '1250000000',
        reference: 'payroll-2026-11/0001',
        memo: 'November salary',
        status: 'completed',
        tx_hash: '0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060',
        delivery_id: `${MASS_PAYOUT_ID}:chunk:0`,
        chunk_index: 0,
        failure: null,
        updated_at: '2026-11-21T10:00:04.530Z',
      },
    ],
  });

export const massPayoutItemListSchema = z.object({
  object: z.literal('list'),
  data: z.array(massPayoutItemSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

const massPayoutId = z.string().meta({ description: 'The mass payout acted on.' });

export const massApproveAnswerSchema = z
  .object({
    mass_payout_id: massPayoutId,
    result: z.enum(['approved', 'needs_more_approvals']),
    approved_by: z.array(z.string()),
    remaining: z.int().min(0).meta({ description: 'Approvals still needed.' }),
  })
  .meta({ examples: [{ mass_payout_id: MASS_PAYOUT_ID, result: 'approved', approved_by: ['alice'], remaining: 0 }] });

export const massRejectAnswerSchema = z
  .object({ mass_payout_id: massPayoutId, result: z.literal('rejected') })
  .meta({ examples: [{ mass_payout_id: MASS_PAYOUT_ID, result: 'rejected' }] });

export const massCancelAnswerSchema = z
  .object({
    mass_payout_id: massPayoutId,
    result: z.enum(['canceled', 'cancel_requested']).meta({
      description:
        '`canceled`: nothing was sent. `cancel_requested`: delivery had begun; chunks already running finish what they signed, ' +
        'and every item not yet signed ends canceled.',
    }),
    chunks_in_flight: z.int().optional().meta({ description: 'With `cancel_requested`: chunks still finishing what they signed.' }),
  })
  .meta({ examples: [{ mass_payout_id: MASS_PAYOUT_ID, result: 'cancel_requested', chunks_in_flight: 2 }] });
