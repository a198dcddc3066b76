/** Schemas of /v1/approval-policies: what api/approval-policies/routes.ts validates and api/approval-policies/policies.ts policyView answers. */
import { z } from 'zod';
import { MAX_APPROVALS } from '../../domain/approval-policy';
import { listOf, programName, timestamp } from '../http/schemas';

const tier = z.strictObject({
  below: z
    .string()
    .optional()
    .meta({
      description: 'Payouts strictly below this amount (decimal, whole units) fall in this tier; absent on the last tier.',
      examples: ['10000'],
    }),
  approvals: z.number().int().min(0).max(MAX_APPROVALS, `approvals must be at most ${MAX_APPROVALS}`).meta({
    description: 'Distinct approvers needed; the creator never counts.',
  }),
});

const rules = z.record(z.string(), z.array(tier)).meta({
  description: 'Asset symbol → tiers in increasing `below` order, the last one without `below`.',
});

export const createApprovalPolicyBody = z.strictObject({ program: programName().optional(), rules }).meta({
  examples: [
    {
      rules: {
        USDC: [{ below: '1000', approvals: 0 }, { below: '10000', approvals: 1 }, { approvals: 2 }],
      },
    },
    { program: 'creators', rules: { ETH: [{ below: '1', approvals: 0 }, { approvals: 1 }] } },
  ],
});

export const listApprovalPoliciesQuery = z.strictObject({ program: programName().optional() });

export const approvalPolicySchema = z
  .object({
    id: z.string(),
    object: z.literal('approval_policy'),
    account_id: z.string(),
    program: z.string().nullable().meta({ description: 'null: the account-wide policy.' }),
    version: z.int().min(1).meta({ description: 'Grows by one with every change; payouts record the version that judged them.' }),
    rules,
    created_by: z.string(),
    created_at: timestamp,
  })
  .meta({
    examples: [
      {
        id: 'ap_01jd5x3k7q8w2m4n6p9r0s1t2v',
        object: 'approval_policy',
        account_id: 'acct_demo',
        program: null,
        version: 2,
        rules: { USDC: [{ below: '1000', approvals: 0 }, { below: '10000', approvals: 1 }, { approvals: 2 }] },
        created_by: 'treasury-admin',
        created_at: '2026-11-21T09:00:00.000Z',
      },
    ],
  });

export const approvalPolicyListSchema = listOf(approvalPolicySchema);
