/**
 * /v1/audit-events: the account's audit log, newest first, and its export (CSV or JSON, oldest first, streamed). Read
 * with `audit:read`: who may see every decision and change is itself a control.
 */
import { Router } from 'express';
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { requireScope } from '../http/auth';
import { decodeCursor, encodeCursor, listPage } from '../http/cursor';
import { parseOr400, type FieldErrorOptions } from '../http/field-errors';
import { caller } from '../http/request-context';
import { streamExport } from '../http/stream-export';
import { auditExportQuery, listAuditEventsQuery } from './schemas';
import { auditCsvHeader, auditCsvLine, auditEventView } from './view';

const BATCH = 1_000;

const queryErrors = (schema: { shape: object }): FieldErrorOptions => ({
  allowed: Object.keys(schema.shape),
  unknown: 'query parameter',
  sayRequired: false,
});

/** [id] of the last event of a page, as a decimal string (a bigint). */
const isEventCursor = (value: unknown): value is [string] =>
  Array.isArray(value) && value.length === 1 && typeof value[0] === 'string' && /^[0-9]{1,19}$/.test(value[0]);

type Filters = { action?: string; subject_type?: string; subject_id?: string; actor?: string; created_from?: string; created_to?: string };

function where(accountId: string, query: Filters): Prisma.AuditEventWhereInput {
  return {
    accountId,
    ...(query.action !== undefined ? { action: query.action } : {}),
    ...(query.subject_type !== undefined ? { subjectType: query.subject_type } : {}),
    ...(query.subject_id !== undefined ? { subjectId: query.subject_id } : {}),
    ...(query.actor !== undefined ? { actor: query.actor } : {}),
    ...(query.created_from || query.created_to
      ? {
          createdAt: {
            ...(query.created_from ? { gte: new Date(query.created_from) } : {}),
            ...(query.created_to ? { lt: new Date(query.created_to) } : {}),
          },
        }
      : {}),
  };
}

export function auditRoutes(deps: { db: Db; log: (message: string, error?: unknown) => void }): Router {
  const { db } = deps;
  const router = Router();

  router.get('/v1/audit-events', requireScope('audit:read'), async (req, res) => {
    const who = caller(req);
    const query = parseOr400(listAuditEventsQuery, req.query, queryErrors(listAuditEventsQuery));
    const before = query.cursor ? BigInt(decodeCursor(query.cursor, isEventCursor)[0]) : undefined;
    const rows = await db.auditEvent.findMany({
      where: { ...where(who.accountId, query), ...(before !== undefined ? { id: { lt: before } } : {}) },
      orderBy: { id: 'desc' },
      take: query.limit + 1,
    });
    res.json(listPage(rows, query.limit, auditEventView, (row) => encodeCursor([row.id.toString()])));
  });

  router.get('/v1/exports/audit-events', requireScope('audit:read'), async (req, res) => {
    const who = caller(req);
    const query = parseOr400(auditExportQuery, req.query, queryErrors(auditExportQuery));
    // Ends at the last event when the request arrived, so events written meanwhile do not stretch it.
    const last = await db.auditEvent.findFirst({ where: { accountId: who.accountId }, orderBy: { id: 'desc' }, select: { id: true } });
    async function* pages() {
      let after = 0n;
      while (last && after < last.id) {
        const rows = await db.auditEvent.findMany({
          where: { ...where(who.accountId, query), id: { gt: after, lte: last.id } },
          orderBy: { id: 'asc' },
          take: BATCH,
        });
        if (rows.length === 0) return;
        yield rows.map(auditEventView);
        after = rows[rows.length - 1]!.id;
        if (rows.length < BATCH) return;
      }
    }
    await streamExport(res, {
      format: query.format,
      filename: `audit-${who.accountId}`,
      csvHeader: auditCsvHeader(),
      csvLine: auditCsvLine,
      pages: pages(),
      onError: (error) => deps.log(`audit export of ${who.accountId} failed mid-stream`, error),
    });
  });

  return router;
}
