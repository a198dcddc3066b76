/**
 * Schemas of /v1/reconciliation (api/reconciliation/routes.ts): the reconciler's status and lag, runs,
 * and exceptions with their owner and state. Responses are what api/reconciliation/views.ts builds.
 */
import { z } from 'zod';
import { CATEGORY_DESCRIPTIONS, EXCEPTION_CATEGORIES, EXCEPTION_STATES, RUN_TRIGGERS } from '../../domain/reconciliation';
import { integerString, nextPageCursor, pageCursor, pageLimit, timestamp } from '../http/schemas';

const EXAMPLE_WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const EXAMPLE_TX = '0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060';

const category = z.enum(EXCEPTION_CATEGORIES).meta({
  description: EXCEPTION_CATEGORIES.map((code) => `\`${code}\`: ${CATEGORY_DESCRIPTIONS[code]}`).join('; '),
});
const state = z.enum(EXCEPTION_STATES).meta({
  description:
    'open -> investigating (needs an owner) -> resolved (needs a note); investigating -> open hands it back; resolved -> open reopens it (needs a note).',
});
const commaList = <T extends readonly [string, ...string[]]>(values: T, field: string) =>
  z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(values, { error: `${field} must be one of: ${values.join(', ')}` })))
    .optional()
    .meta({ description: `Comma-separated: ${values.join(', ')}.` });

// ---------------------------------------------------------------------------------------------
// Requests

export const listExceptionsQuery = z.strictObject({
  state: commaList(EXCEPTION_STATES, 'state'),
  category: commaList(EXCEPTION_CATEGORIES, 'category'),
  payout_id: z.string().min(1).max(100).optional().meta({ description: 'Only the exceptions about this payout (or this mass payout).' }),
  limit: pageLimit,
  cursor: pageCursor,
});

export const exceptionIdParams = z.object({
  id: z.string().meta({ description: 'The exception id.', examples: ['rex_01jd5x3k7q8w2m4n6p9r0s1t2v'] }),
});

export const runIdParams = z.object({
  id: z.string().meta({
    description:
      'The workflow id of a reconciliation run (POST /v1/reconciliation/runs answers it; scheduled runs appear in GET /v1/reconciliation).',
    examples: ['rcn_01jd5x3k7q8w2m4n6p9r0s1t2v'],
  }),
});

export const startRunBody = z.strictObject({}).meta({ description: 'Nothing to send: a run covers every network.', examples: [{}] });

export const updateExceptionBody = z
  .strictObject({
    state: state.optional(),
    owner: z
      .string({ error: 'owner must be a string (a person or team) or null' })
      .trim()
      .min(1, 'owner must not be empty')
      .max(100, 'owner must be at most 100 characters')
      .nullable()
      .optional()
      .meta({ description: 'Who works on it; null clears it.' }),
    note: z
      .string({ error: 'note must be a string' })
      .trim()
      .min(1, 'note must not be empty')
      .max(2000, 'note must be at most 2000 characters')
      .optional()
      .meta({ description: 'Why: required to resolve or reopen. Kept in the history.' }),
  })
  .refine((body) => body.state !== undefined || body.owner !== undefined || body.note !== undefined, {
    error: 'send at least one of state, owner, note',
  })
  .meta({
    examples: [
      { state: 'investigating', owner: 'finance-ops' },
      { state: 'resolved', note: 'refund sent manually, see ticket FIN-118' },
    ],
  });

// ---------------------------------------------------------------------------------------------
// Responses

export const runSchema = z.object({
  id: z.string(),
  workflow_id: z.string(),
  network: z.string(),
  wallet: z.string().meta({ description: 'The treasury wallet (lowercase).' }),
  trigger: z.enum(RUN_TRIGGERS),
  requested_by: z.string().nullable(),
  from_block: integerString.nullable().meta({ description: 'First block scanned by this run (null: no new final block).' }),
  to_block: integerString.nullable(),
  head_block: integerString.nullable().meta({ description: 'The chain head when the run last committed.' }),
  transactions_matched: z.int().meta({ description: 'Treasury transactions and token transfers matched to payout attempts.' }),
  payouts_checked: z.int().meta({ description: 'Finished payouts compared with the chain and the ledger.' }),
  deliveries_checked: z.int().meta({
    description:
      'Settled mass-payout deliveries (one transaction each) and finished mass payouts compared with the chain, the items and the ledger.',
  }),
  exceptions_opened: z.int(),
  started_at: timestamp,
  finished_at: timestamp.nullable().meta({ description: 'null while running (or if its worker died mid-run; the next run continues).' }),
});

export const walletStatusSchema = z.object({
  network: z.string(),
  wallet: z.string().meta({ description: 'The treasury wallet (lowercase).' }),
  chain_head: integerString.nullable().meta({ description: 'Read from the chain now (null when the node cannot be reached).' }),
  last_scanned_block: integerString.nullable().meta({ description: 'Every block up to this one is reconciled (null: none yet).' }),
  lag_blocks: z.int().nullable().meta({
    description:
      'chain_head - last_scanned_block: how far behind the chain head the reconciler is (at least confirmations - 1: it reads only final blocks).',
  }),
  lag_blocks_at_last_run: z.int().nullable(),
  last_run_at: timestamp.nullable().meta({ description: 'When the last run finished (or started, if still running).' }),
  seconds_since_last_run: z.number().nullable(),
  last_run: runSchema.nullable(),
});

export const reconciliationStatusSchema = z
  .object({
    object: z.literal('reconciliation_status'),
    interval_ms: z.int().meta({ description: 'RECONCILE_INTERVAL_MS: how often the schedule starts a run.' }),
    wallets: z.array(walletStatusSchema),
    exceptions: z
      .object({ open: z.int(), investigating: z.int(), resolved: z.int() })
      .meta({ description: 'Exceptions this account can see, by state.' }),
  })
  .meta({
    examples: [
      {
        object: 'reconciliation_status',
        interval_ms: 60000,
        wallets: [
          {
            network: 'local',
            wallet: EXAMPLE_WALLET,
            chain_head: '1207',
            last_scanned_block: '1205',
            lag_blocks: 2,
            lag_blocks_at_last_run: 1,
            last_run_at: '2026-11-21T10:00:31.410Z',
            seconds_since_last_run: 12.6,
            last_run: {
              id: 'rxr_01jd5x3k7q8w2m4n6p9r0s1t2v',
              workflow_id: 'reconciliation-payouts-2026-11-21T10:00:30Z',
              network: 'local',
              wallet: EXAMPLE_WALLET,
              trigger: 'schedule',
              requested_by: null,
              from_block: '1146',
              to_block: '1205',
              head_block: '1206',
              transactions_matched: 4,
              payouts_checked: 4,
              deliveries_checked: 0,
              exceptions_opened: 0,
              started_at: '2026-11-21T10:00:30.020Z',
              finished_at: '2026-11-21T10:00:31.410Z',
            },
          },
        ],
        exceptions: { open: 1, investigating: 0, resolved: 3 },
      },
    ],
  });

export const workflowStatuses = [
  'running',
  'completed',
  'failed',
  'canceled',
  'terminated',
  'continued_as_new',
  'timed_out',
  'unknown',
] as const;

export const reconciliationWorkflowSchema = z
  .object({
    object: z.literal('reconciliation_workflow'),
    id: z.string().meta({ description: 'The Temporal workflow id.' }),
    status: z.enum(workflowStatuses),
    started_at: timestamp.nullable(),
    closed_at: timestamp.nullable(),
    runs: z.array(runSchema).meta({ description: 'What it did per network and wallet (appears once it starts on a wallet).' }),
  })
  .meta({
    examples: [
      {
        object: 'reconciliation_workflow',
        id: 'rcn_01jd5x3k7q8w2m4n6p9r0s1t2v',
        status: 'running',
        started_at: '2026-11-21T10:02:00.000Z',
        closed_at: null,
        runs: [],
      },
    ],
  });

export const exceptionSchema = z
  .object({
    object: z.literal('reconciliation_exception'),
    id: z.string(),
    category,
    state,
    owner: z.string().nullable(),
    note: z.string().nullable().meta({ description: 'The latest note.' }),
    network: z.string(),
    wallet: z.string(),
    payout_id: z.string().nullable().meta({
      description: 'The payout; for a batch_item_mismatch (or a delivery’s fee_mismatch) the mass payout, as on its journal entries.',
    }),
    tx_hash: z.string().nullable(),
    summary: z.string().meta({ description: 'One sentence for people.' }),
    evidence: z.record(z.string(), z.unknown()).meta({
      description:
        'What the chain, the payout and the ledger said when it was found; amounts are integer strings of base units (wei for fees).',
    }),
    history: z
      .array(
        z.object({
          at: timestamp,
          by: z.string(),
          from: state,
          to: state,
          owner: z.string().nullable(),
          note: z.string().nullable(),
        }),
      )
      .meta({ description: 'Every change made through the API, oldest first.' }),
    opened_by_run: z.string(),
    last_seen_run: z.string().meta({ description: 'The last run that found it again (a run never opens it twice).' }),
    last_seen_at: timestamp,
    opened_at: timestamp,
    updated_at: timestamp,
    resolved_at: timestamp.nullable(),
  })
  .meta({
    examples: [
      {
        object: 'reconciliation_exception',
        id: 'rex_01jd5x3k7q8w2m4n6p9r0s1t2v',
        category: 'fee_mismatch',
        state: 'investigating',
        owner: 'finance-ops',
        note: null,
        network: 'local',
        wallet: EXAMPLE_WALLET,
        payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v',
        tx_hash: EXAMPLE_TX,
        summary:
          'payout po_01jd5x3k7q8w2m4n6p9r0s1t2v (completed): the payout records a network fee of 42000000000001 wei; the chain charged 42000000000000 wei',
        evidence: {
          problems: ['the payout records a network fee of 42000000000001 wei; the chain charged 42000000000000 wei'],
          receipt_fee_wei: '42000000000000',
          mined_tx_hash: EXAMPLE_TX,
        },
        history: [{ at: '2026-11-21T10:05:00.000Z', by: 'alice', from: 'open', to: 'investigating', owner: 'finance-ops', note: null }],
        opened_by_run: 'rxr_01jd5x3k7q8w2m4n6p9r0s1t2v',
        last_seen_run: 'rxr_01jd5x3k7q8w2m4n6p9r0s1t2v',
        last_seen_at: '2026-11-21T10:01:31.000Z',
        opened_at: '2026-11-21T10:01:31.000Z',
        updated_at: '2026-11-21T10:05:00.000Z',
        resolved_at: null,
      },
    ],
  });

export const exceptionListSchema = z.object({
  object: z.literal('list'),
  data: z.array(exceptionSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});
