/**
 * GET /v1/exports/payouts: every payout of the account (failed and canceled included) as CSV or
 * JSON, streamed in keyset-paginated batches so memory stays flat at any size. The export ends at
 * the moment the request arrived, so payouts created meanwhile do not stretch it.
 *
 * GET /v1/exports/mass-payout-items: every item of the account's mass payouts, one row per recipient with its
 * batch_id, seq and reference, under the same rules. A sibling export rather than item rows in the payouts
 * export, because that is what an accountant can add up: a payout row carries its own idempotency key, fees,
 * rates and gas, while items share their batch's approval and a transaction's gas (one BatchTransfer call pays
 * hundreds of them). Each file has one kind of row whose amounts and fee shares sum correctly, and batch_id
 * joins the items to their batch; the payouts export's batch_id stays null (a single payout is never in a batch).
 */
import { Router } from 'express';
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import { requireScope } from '../http/auth';
import { streamExport } from '../http/stream-export';
import { parseOr400 } from '../http/field-errors';
import {
  massPayoutItemCsvHeader,
  massPayoutItemCsvLine,
  massPayoutItemExportRow,
  type DeliveryShare,
  type ItemExportSource,
} from './mass-payout-item-rows';
import { csvHeader, csvLine, payoutExportRow } from './payout-rows';
import { PAYOUT_FIELD_ERRORS } from '../payouts/request';
import { caller } from '../http/request-context';
import { massPayoutItemExportQuery, payoutExportQuery } from './schemas';

const BATCH = 1_000;
/** Mass payouts read per keyset page; their items are then read BATCH at a time. */
const MASS_PAYOUTS_PER_PAGE = 100;

/** The export's time window: up to the moment the request arrived, so rows created meanwhile do not stretch it. */
function window(query: { created_from?: string; created_to?: string }) {
  return {
    from: query.created_from ? new Date(query.created_from) : new Date(0),
    to: new Date(Math.min(Date.now(), query.created_to ? Date.parse(query.created_to) : Infinity)),
  };
}

export function exportRoutes(deps: { db: Db; registry: NetworkRegistry; log: (message: string, error?: unknown) => void }): Router {
  const router = Router();
  const { db } = deps;

  router.get('/v1/exports/payouts', requireScope('exports:read'), async (req, res) => {
    const who = caller(req);
    const query = parseOr400(payoutExportQuery, req.query, PAYOUT_FIELD_ERRORS);
    const { format, status } = query;
    const { from, to } = window(query);

    async function* pages() {
      let after = { createdAt: new Date(0), id: '' };
      for (;;) {
        // Keyset page by row comparison, so each page is one range scan of (account_id, created_at, id).
        const page = await db.$queryRaw<{ id: string }[]>`
          SELECT id FROM payouts
          WHERE account_id = ${who.accountId} AND created_at >= ${from} AND created_at < ${to}
            AND (${status ?? null}::text[] IS NULL OR status = ANY(${status ?? null}::text[]))
            AND (created_at, id) > (${after.createdAt}, ${after.id})
          ORDER BY created_at, id
          LIMIT ${BATCH}`;
        const rows = page.length
          ? await db.payout.findMany({ where: { id: { in: page.map((row) => row.id) } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
          : [];
        if (rows.length === 0) return;
        yield rows.map((payout) => payoutExportRow(payout, deps.registry));
        const last = rows[rows.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
        if (page.length < BATCH) return;
      }
    }

    await streamExport(res, {
      format,
      filename: `payouts-${who.accountId}`,
      csvHeader: csvHeader(),
      csvLine,
      pages: pages(),
      onError: (error) => deps.log(`export of ${who.accountId} failed mid-stream`, error),
    });
  });

  router.get('/v1/exports/mass-payout-items', requireScope('exports:read'), async (req, res) => {
    const who = caller(req);
    const query = parseOr400(massPayoutItemExportQuery, req.query, PAYOUT_FIELD_ERRORS);
    const { format, status, mass_payout_id: massPayoutId } = query;
    const { from, to } = window(query);

    /** Each delivery's mode, settlement and gas with its item count and lowest seq (to share the gas exactly). */
    const deliveryShares = async (ids: string[]): Promise<Map<string, DeliveryShare>> => {
      if (ids.length === 0) return new Map();
      const rows = await db.$queryRaw<
        { id: string; mode: string; settled_at: Date | null; network_fee: string | null; items: number; first_seq: number }[]
      >`
        SELECT d.id, d.mode, d.settled_at, d.network_fee::text AS network_fee, c.items, c.first_seq
        FROM mass_payout_deliveries d
        JOIN LATERAL (SELECT COUNT(*)::int AS items, MIN(seq) AS first_seq FROM mass_payout_items i WHERE i.delivery_id = d.id) c ON true
        WHERE d.id = ANY(${ids}::text[])`;
      return new Map(
        rows.map((row) => [
          row.id,
          {
            mode: row.mode as DeliveryShare['mode'],
            settledAt: row.settled_at,
            networkFee: row.network_fee === null ? null : BigInt(row.network_fee),
            items: row.items,
            firstSeq: row.first_seq,
          },
        ]),
      );
    };

    async function* pages() {
      let after = { createdAt: new Date(0), id: '' };
      for (;;) {
        // Batches by (created_at, id), then each batch's items by seq: two index range scans, whatever the sizes.
        const page = await db.$queryRaw<{ id: string }[]>`
          SELECT id FROM mass_payouts
          WHERE account_id = ${who.accountId} AND created_at >= ${from} AND created_at < ${to}
            AND (${massPayoutId ?? null}::text IS NULL OR id = ${massPayoutId ?? null})
            AND (created_at, id) > (${after.createdAt}, ${after.id})
          ORDER BY created_at, id
          LIMIT ${MASS_PAYOUTS_PER_PAGE}`;
        const batches = page.length
          ? await db.massPayout.findMany({
              where: { id: { in: page.map((row) => row.id) } },
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
            })
          : [];
        for (const mass of batches) {
          const shares = new Map<string, DeliveryShare>();
          let afterSeq = -1;
          for (;;) {
            const items = await db.$queryRaw<ItemExportSource[]>`
              SELECT seq, address, amount::text AS amount, reference, memo, status, failure_code, failure_reason, tx_hash, delivery_id,
                     updated_at
              FROM mass_payout_items
              WHERE mass_payout_id = ${mass.id} AND seq > ${afterSeq}
                AND (${status ?? null}::text[] IS NULL OR status = ANY(${status ?? null}::text[]))
              ORDER BY seq
              LIMIT ${BATCH}`;
            if (items.length === 0) break;
            const missing = [
              ...new Set(items.flatMap((item) => (item.delivery_id && !shares.has(item.delivery_id) ? [item.delivery_id] : []))),
            ];
            for (const [id, share] of await deliveryShares(missing)) shares.set(id, share);
            yield items.map((item) =>
              massPayoutItemExportRow(item, mass, item.delivery_id ? shares.get(item.delivery_id) : undefined, deps.registry),
            );
            afterSeq = items[items.length - 1]!.seq;
            if (items.length < BATCH) break;
          }
        }
        if (batches.length === 0 || page.length < MASS_PAYOUTS_PER_PAGE) return;
        const last = batches[batches.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
    }

    await streamExport(res, {
      format,
      filename: `mass-payout-items-${who.accountId}`,
      csvHeader: massPayoutItemCsvHeader(),
      csvLine: massPayoutItemCsvLine,
      pages: pages(),
      onError: (error) => deps.log(`mass-payout item export of ${who.accountId} failed mid-stream`, error),
    });
  });

  return router;
}
