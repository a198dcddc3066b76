/** /v1/audit-events as documented: one declaration per route in api/audit/routes.ts. */
import { z } from 'zod';
import { named, type Operation } from '../openapi/operation';
import { auditEventListSchema, auditEventSchema, auditExportQuery, listAuditEventsQuery } from './schemas';

export const auditOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/audit-events',
    operationId: 'listAuditEvents',
    summary: 'Read the audit log',
    description:
      'Every control decision (screenings, limit checks, payee checks, compliance decisions) and every change to payees, ' +
      'limits and policies: who, when, what before and after. Newest first; append-only.',
    tag: 'Audit',
    scope: 'audit:read',
    query: listAuditEventsQuery,
    responses: { 200: { description: 'One page, newest first.', body: named('AuditEventList', auditEventListSchema) } },
  },
  {
    method: 'get',
    path: '/v1/exports/audit-events',
    operationId: 'exportAuditEvents',
    summary: 'Export the audit log',
    description:
      'The audit log as CSV (before/after as JSON documents) or a JSON list, oldest first, streamed; it ends at the last ' +
      'event when the request arrived.',
    tag: 'Audit',
    scope: 'audit:read',
    query: auditExportQuery,
    responses: {
      200: {
        description: 'The export (format=json), or the same events as text/csv (format=csv, the default).',
        alternatives: {
          'text/csv': z.string().meta({ description: 'A header line with the event fields, then one line per event (RFC 4180, CRLF).' }),
        },
        body: named('AuditEventExport', z.object({ object: z.literal('list'), data: z.array(auditEventSchema) })),
      },
    },
  },
];
