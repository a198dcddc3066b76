/**
 * The audit log: one append-only row per control decision and per change to payees, limits and policies. Written in the
 * same database transaction as the change it records, so the log never shows a change that did not happen, nor misses
 * one that did.
 */
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../db';

/** A decision the engine took by itself (a screening, a limit check) is recorded under this actor. */
export const SYSTEM_ACTOR = 'system';

export interface AuditEntry {
  accountId: string;
  /** The key's actor, or SYSTEM_ACTOR. */
  actor: string;
  /** `<resource>.<verb>`: approval_policy.created, payee.approved, limit.exceeded, compliance.released, … */
  action: string;
  subject: { type: string; id: string };
  /** The subject before and after the change; for a decision, `after` is what was decided and on what. */
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  requestId?: string | null;
}

/** A database handle or an open transaction: the entry commits with the change it records. */
type Writer = Pick<Db, 'auditEvent'> | Prisma.TransactionClient;

/** JSON for a JSONB column: bigints as decimal strings, dates as ISO strings. */
function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Prisma.InputJsonValue;
}

export function auditRecord(entry: AuditEntry): Prisma.AuditEventCreateManyInput {
  const before = toJson(entry.before);
  const after = toJson(entry.after);
  return {
    accountId: entry.accountId,
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subject.type,
    subjectId: entry.subject.id,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    reason: entry.reason ?? null,
    requestId: entry.requestId ?? null,
  };
}

export async function recordAudit(db: Writer, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.auditEvent.createMany({ data: entries.map(auditRecord) });
}
