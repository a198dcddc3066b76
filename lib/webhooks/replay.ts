/**
 * Replay: send events again, by id or by time range. Each selected event goes to every enabled
 * endpoint of its account subscribed to its type and to its payout's callback_url (or only to
 * one endpoint). An existing delivery, delivered or dead, starts over with a fresh retry window;
 * a destination that never had one (an endpoint registered later) gets a new delivery.
 * Receivers see the same event id again and de-duplicate on it.
 */
import { Prisma } from '../../generated/prisma/client';
import type { Db } from '../db';
import { expiresAtSql, matchesPatterns, newDeliveryIdSql } from './fan-out';

export type ReplaySelection = { eventIds: string[] } | { from: Date; to: Date; types?: string[] };

export interface ReplayRequest {
  accountId: string;
  selection: ReplaySelection;
  /** Only this endpoint (it must belong to the account); callback URLs are then left out. */
  endpointId?: string;
  maxAgeMs: number;
}

export interface ReplayedDelivery {
  id: string;
  eventId: string;
}

export function selectionSql(accountId: string, selection: ReplaySelection): Prisma.Sql {
  if ('eventIds' in selection) return Prisma.sql`e.account_id = ${accountId} AND e.id = ANY(${selection.eventIds}::text[])`;
  const types = selection.types?.length ? Prisma.sql` AND e.event_type = ANY(${selection.types}::text[])` : Prisma.empty;
  return Prisma.sql`e.account_id = ${accountId} AND e.created_at >= ${selection.from} AND e.created_at < ${selection.to}${types}`;
}

export async function countSelectedEvents(db: Db, accountId: string, selection: ReplaySelection): Promise<number> {
  const [row] = await db.$queryRaw<
    { count: bigint }[]
  >`SELECT count(*) AS count FROM outbox_events e WHERE ${selectionSql(accountId, selection)}`;
  return Number(row?.count ?? 0);
}

export async function replayEvents(db: Db, request: ReplayRequest): Promise<ReplayedDelivery[]> {
  const onlyEndpoint = request.endpointId ? Prisma.sql` AND ep.id = ${request.endpointId}` : Prisma.empty;
  const callbacks = request.endpointId
    ? Prisma.empty
    : Prisma.sql`
      UNION ALL
      SELECT e.id, 'callback_url', NULL, p.callback_url FROM events e
      JOIN payouts p ON e.aggregate_type = 'payout' AND p.id = e.aggregate_id AND p.account_id = e.account_id
      WHERE p.callback_url IS NOT NULL`;
  const rows = await db.$queryRaw<{ id: string; event_id: string }[]>`
    WITH events AS (
      SELECT e.id, e.account_id, e.event_type, e.aggregate_type, e.aggregate_id FROM outbox_events e
      WHERE ${selectionSql(request.accountId, request.selection)}
    ), targets (event_id, target, endpoint_id, url) AS (
      SELECT e.id, ep.id, ep.id, ep.url FROM events e
      JOIN webhook_endpoints ep ON ep.account_id = e.account_id AND ep.disabled_at IS NULL
        AND ${matchesPatterns(Prisma.sql`e.event_type`, Prisma.sql`ep.events`)}${onlyEndpoint}
      ${callbacks}
    )
    INSERT INTO webhook_deliveries (id, event_id, account_id, target, endpoint_id, url, state, next_attempt_at, expires_at)
    SELECT ${newDeliveryIdSql}, t.event_id, ${request.accountId}, t.target, t.endpoint_id, t.url, 'pending', now(), ${expiresAtSql(request.maxAgeMs)}
    FROM targets t
    ON CONFLICT (event_id, target) DO UPDATE SET
      state = 'pending', url = EXCLUDED.url, next_attempt_at = now(), expires_at = EXCLUDED.expires_at,
      delivered_at = NULL, dead_at = NULL, replays = webhook_deliveries.replays + 1, updated_at = now()
    RETURNING id, event_id`;
  return rows.map((row) => ({ id: row.id, eventId: row.event_id }));
}
