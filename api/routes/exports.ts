/**
 * GET /v1/exports/payouts: every payout of the account (failed and canceled included) as CSV or
 * JSON, streamed in keyset-paginated batches so memory stays flat at any size. The export ends at
 * the moment the request arrived, so payouts created meanwhile do not stretch it.
 */
import { once } from 'node:events';
import { Router, type Response } from 'express';
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import { requireScope } from '../auth';
import { validationError } from '../errors';
import { csvHeader, csvLine, payoutExportRow } from '../exports/payout-rows';
import { zodFieldErrors } from '../payout-request';
import { caller } from '../request-context';
import { payoutExportQuery } from '../schemas/exports';

const BATCH = 1_000;

/** Writes and waits when the socket's buffer is full (backpressure), so a slow client cannot grow memory. */
async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await once(res, 'drain');
}

export function exportRoutes(deps: { db: Db; registry: NetworkRegistry; log: (message: string, error?: unknown) => void }): Router {
  const router = Router();

  router.get('/v1/exports/payouts', requireScope('exports:read'), async (req, res) => {
    const who = caller(req);
    const parsed = payoutExportQuery.safeParse(req.query);
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    const { format, status } = parsed.data;
    const from = parsed.data.created_from ? new Date(parsed.data.created_from) : undefined;
    const to = new Date(Math.min(Date.now(), parsed.data.created_to ? Date.parse(parsed.data.created_to) : Infinity));

    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="payouts-${who.accountId}-${stamp}.${format}"`);
    res.setHeader('Cache-Control', 'no-store');

    let closed = false;
    res.on('close', () => (closed = true));
    try {
      await write(res, format === 'csv' ? csvHeader() : '{"object":"list","data":[');
      let after: { createdAt: Date; id: string } | undefined;
      let first = true;
      while (!closed) {
        // Keyset page by row comparison, so each page is one range scan of (account_id, created_at, id).
        const page = await deps.db.$queryRaw<{ id: string }[]>`
          SELECT id FROM payouts
          WHERE account_id = ${who.accountId} AND created_at >= ${from ?? new Date(0)} AND created_at < ${to}
            AND (${status ?? null}::text[] IS NULL OR status = ANY(${status ?? null}::text[]))
            AND (created_at, id) > (${after?.createdAt ?? new Date(0)}, ${after?.id ?? ''})
          ORDER BY created_at, id
          LIMIT ${BATCH}`;
        const rows = page.length
          ? await deps.db.payout.findMany({
              where: { id: { in: page.map((row) => row.id) } },
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
            })
          : [];
        if (rows.length === 0) break;
        let chunk = '';
        for (const payout of rows) {
          const row = payoutExportRow(payout, deps.registry);
          chunk += format === 'csv' ? csvLine(row) : `${first ? '' : ','}${JSON.stringify(row)}`;
          first = false;
        }
        await write(res, chunk);
        const last = rows[rows.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
        if (page.length < BATCH) break;
      }
      res.end(format === 'csv' ? '' : ']}');
    } catch (error) {
      // Headers are gone: cut the connection so the client sees a broken transfer, never a short file that looks whole.
      deps.log(`export of ${who.accountId} failed mid-stream`, error);
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  });

  return router;
}
