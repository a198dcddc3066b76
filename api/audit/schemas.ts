/** Schemas of /v1/audit-events and its export: the list's filters, one event as the API shows it. */
import { z } from 'zod';
import { listOf, nextPageCursor, pageCursor, pageLimit, timestamp } from '../http/schemas';

const filters = {
  action: z
    .string()
    .max(64, 'action must be at most 64 characters')
    .optional()
    .meta({ description: 'Only this action, e.g. `payee.approved` or `limit.exceeded`.', examples: ['approval_policy.created'] }),
  subject_type: z
    .string()
    .max(64, 'subject_type must be at most 64 characters')
    .optional()
    .meta({ description: 'Only events about this kind of subject: payout, mass_payout, payee, limit_policy, approval_policy.' }),
  subject_id: z.string().max(64, 'subject_id must be at most 64 characters').optional().meta({ description: 'Only this subject.' }),
  actor: z.string().max(64, 'actor must be at most 64 characters').optional().meta({ description: 'Only what this actor did.' }),
  created_from: z.iso.datetime({ error: 'created_from must be an RFC 3339 timestamp' }).optional().meta({ description: 'Inclusive.' }),
  created_to: z.iso.datetime({ error: 'created_to must be an RFC 3339 timestamp' }).optional().meta({ description: 'Exclusive.' }),
};

export const listAuditEventsQuery = z.strictObject({ ...filters, limit: pageLimit, cursor: pageCursor });

export const auditExportQuery = z.strictObject({
  format: z.enum(['csv', 'json'], { error: 'format must be csv or json' }).default('csv'),
  ...filters,
});

export const auditEventSchema = z.object({
  id: z.string().meta({ description: 'Increasing: a later event has a larger id.', examples: ['1042'] }),
  object: z.literal('audit_event'),
  account_id: z.string(),
  actor: z.string().meta({ description: "The API key's actor, or `system` for a decision the engine took itself." }),
  action: z.string().meta({ examples: ['approval_policy.created'] }),
  subject_type: z.string(),
  subject_id: z.string(),
  before: z.unknown().nullable().meta({ description: 'The subject before the change; null for a creation or a decision.' }),
  after: z.unknown().nullable().meta({ description: 'The subject after the change, or what was decided and on what.' }),
  reason: z.string().nullable(),
  request_id: z.string().nullable().meta({ description: 'The request that caused it, as in its X-Request-Id.' }),
  created_at: timestamp,
});

export const auditEventListSchema = listOf(auditEventSchema).extend({ has_more: z.boolean(), next_cursor: nextPageCursor });
