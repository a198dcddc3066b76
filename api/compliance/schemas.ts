/** Schemas of a payout's compliance: the decision on a hold (api/compliance/routes.ts) and its audit log. */
import { z } from 'zod';
import { timestamp } from '../http/schemas';

export const complianceDecisionBody = z
  .strictObject({
    reason: z
      .string({ error: 'reason is required: why the destination is (or is not) the listed party' })
      .trim()
      .min(1, 'reason is required: why the destination is (or is not) the listed party')
      .max(500, 'reason must be at most 500 characters'),
  })
  .meta({ examples: [{ reason: 'false positive: not the listed party, checked with the payee by phone' }] });

export const complianceDecisionAnswerSchema = z.object({
  payout_id: z.string(),
  result: z.enum(['released', 'refused']).meta({
    description: '`released`: the payout goes on. `refused`: it ends failed (`compliance_refused`) and its funds are released.',
  }),
  decided_by: z.string().meta({ description: 'The actor of the API key that decided (scope `compliance:manage`).' }),
});

const hitSchema = z.object({
  source: z.enum(['sanctions_list', 'sanctions_oracle', 'token_blacklist']),
  detail: z.string().meta({ description: 'Which list (file, date, load), oracle or token contract listed the address.' }),
});

export const screeningSchema = z.object({
  id: z.string(),
  stage: z.enum(['creation', 'before_signing', 'decision']),
  outcome: z.enum(['clear', 'hit', 'released', 'refused']),
  network: z.string(),
  asset: z.string(),
  address: z.string(),
  hits: z.array(hitSchema),
  actor: z.string().nullable().meta({ description: 'Who decided (a decision only).' }),
  reason: z.string().nullable(),
  created_at: timestamp,
});

export const screeningListSchema = z.object({
  object: z.literal('list'),
  data: z.array(screeningSchema).meta({ description: "The payout's screenings and decisions, oldest first." }),
});
