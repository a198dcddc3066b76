/**
 * Step 1 of delivery: turn unpublished outbox events into one delivery per destination (every
 * enabled endpoint of the event's account subscribed to its type (of every account for a platform
 * event without one, such as balance.low), plus the payout's callback_url)
 * and mark the events published, in a single statement. FOR UPDATE SKIP LOCKED lets several
 * worker processes run this at once: each takes different events, none waits on another.
 */
import { Prisma } from '../../generated/prisma/client';
import type { Db } from '../db';

/** An event type matches an endpoint's patterns: exactly, by its family ("payout.*"), or "*". */
export const matchesPatterns = (type: Prisma.Sql, patterns: Prisma.Sql) =>
  Prisma.sql`(${type} = ANY(${patterns}) OR '*' = ANY(${patterns}) OR split_part(${type}, '.', 1) || '.*' = ANY(${patterns}))`;

/** Random, unguessable delivery ids made in SQL (the rows are made by set-based statements). */
export const newDeliveryIdSql = Prisma.sql`'whd_' || replace(gen_random_uuid()::text, '-', '')`;

export const expiresAtSql = (maxAgeMs: number) => Prisma.sql`now() + (${maxAgeMs}::float8 * interval '1 millisecond')`;

/** Fans out up to `batchSize` events; returns how many events it published. */
export async function fanOutEvents(db: Db, options: { maxAgeMs: number; batchSize?: number }): Promise<number> {
  const batchSize = options.batchSize ?? 200;
  const published = await db.$queryRaw<{ id: string }[]>`
    WITH batch AS (
      SELECT id, account_id, aggregate_type, aggregate_id, event_type FROM outbox_events
      WHERE published_at IS NULL
      ORDER BY created_at
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED
    ), to_endpoints AS (
      INSERT INTO webhook_deliveries (id, event_id, account_id, target, endpoint_id, url, state, next_attempt_at, expires_at)
      SELECT ${newDeliveryIdSql}, b.id, ep.account_id, ep.id, ep.id, ep.url, 'pending', now(), ${expiresAtSql(options.maxAgeMs)}
      FROM batch b
      -- A platform event (no account, e.g. balance.low on the shared treasury) goes to every subscribed endpoint.
      JOIN webhook_endpoints ep ON (ep.account_id = b.account_id OR b.account_id IS NULL) AND ep.disabled_at IS NULL
        AND ${matchesPatterns(Prisma.sql`b.event_type`, Prisma.sql`ep.events`)}
      ON CONFLICT (event_id, target) DO NOTHING
    ), to_callbacks AS (
      INSERT INTO webhook_deliveries (id, event_id, account_id, target, endpoint_id, url, state, next_attempt_at, expires_at)
      SELECT ${newDeliveryIdSql}, b.id, b.account_id, 'callback_url', NULL, p.callback_url, 'pending', now(), ${expiresAtSql(options.maxAgeMs)}
      FROM batch b
      JOIN payouts p ON b.aggregate_type = 'payout' AND p.id = b.aggregate_id AND p.account_id = b.account_id
      WHERE p.callback_url IS NOT NULL
      ON CONFLICT (event_id, target) DO NOTHING
    )
    UPDATE outbox_events SET published_at = now() WHERE id IN (SELECT id FROM batch) RETURNING id`;
  return published.length;
}
