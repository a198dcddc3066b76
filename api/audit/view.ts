/** An audit event as the API and the export show it. */
import type { AuditEvent } from '../../generated/prisma/client';
import { csvField } from '../exports/payout-rows';

export function auditEventView(row: AuditEvent) {
  return {
    id: row.id.toString(),
    object: 'audit_event' as const,
    account_id: row.accountId,
    actor: row.actor,
    action: row.action,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    before: row.before ?? null,
    after: row.after ?? null,
    reason: row.reason,
    request_id: row.requestId,
    created_at: row.createdAt.toISOString(),
  };
}

export type AuditEventView = ReturnType<typeof auditEventView>;

const COLUMNS = ['id', 'created_at', 'actor', 'action', 'subject_type', 'subject_id', 'reason', 'request_id', 'before', 'after'] as const;

export const auditCsvHeader = () => `${COLUMNS.join(',')}\r\n`;

/** One CSV line; before/after are the JSON documents, quoted. */
export const auditCsvLine = (event: AuditEventView) =>
  `${COLUMNS.map((column) => {
    const value = event[column];
    return csvField(value === null || typeof value === 'string' ? value : JSON.stringify(value));
  }).join(',')}\r\n`;
