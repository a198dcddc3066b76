/**
 * Step 2 of delivery: claim due deliveries, and record what each attempt got.
 * Claiming pushes next_attempt_at past the attempt's timeout (a lease) in the same statement
 * that selects the rows with FOR UPDATE SKIP LOCKED, so no two workers send one delivery at
 * once, no transaction stays open during the HTTP call, and a worker that dies mid-attempt
 * only delays that delivery until the lease runs out (at-least-once).
 */
import type { Db } from '../db';
import type { WebhookSettings } from '../config';
import { nextAttemptAt } from './backoff';

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  payload: unknown;
  url: string;
  endpointId: string | null;
  /** Attempts so far, this one included. */
  attempts: number;
  replays: number;
  expiresAt: Date;
  /** null: nothing to sign with (a callback secret that was never created), never sent. */
  secret: string | null;
  endpointDisabled: boolean;
}

interface ClaimRow {
  id: string;
  event_id: string;
  event_type: string;
  event_created_at: Date;
  payload: unknown;
  url: string;
  endpoint_id: string | null;
  attempts: number;
  replays: number;
  expires_at: Date;
  secret: string | null;
  endpoint_disabled: boolean;
}

export async function claimDueDeliveries(db: Db, options: { limit: number; leaseMs: number }): Promise<ClaimedDelivery[]> {
  const rows = await db.$queryRaw<ClaimRow[]>`
    WITH due AS (
      SELECT id FROM webhook_deliveries
      WHERE state = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at
      LIMIT ${options.limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_deliveries d
      SET attempts = d.attempts + 1, last_attempt_at = now(), updated_at = now(),
          next_attempt_at = now() + (${options.leaseMs}::float8 * interval '1 millisecond')
      FROM due WHERE d.id = due.id
      RETURNING d.*
    )
    SELECT c.id, c.event_id, e.event_type, e.created_at AS event_created_at, e.payload, c.url, c.endpoint_id,
           c.attempts, c.replays, c.expires_at,
           COALESCE(ep.secret, cs.secret) AS secret, (ep.disabled_at IS NOT NULL) AS endpoint_disabled
    FROM claimed c
    JOIN outbox_events e ON e.id = c.event_id
    LEFT JOIN webhook_endpoints ep ON ep.id = c.endpoint_id
    LEFT JOIN webhook_callback_secrets cs ON c.endpoint_id IS NULL AND cs.account_id = c.account_id`;
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    eventCreatedAt: row.event_created_at,
    payload: row.payload,
    url: row.url,
    endpointId: row.endpoint_id,
    attempts: Number(row.attempts),
    replays: Number(row.replays),
    expiresAt: row.expires_at,
    secret: row.secret,
    endpointDisabled: row.endpoint_disabled,
  }));
}

/** The body every destination receives; the same bytes on every attempt of an event. */
export function eventBody(delivery: Pick<ClaimedDelivery, 'eventId' | 'eventType' | 'eventCreatedAt' | 'payload'>): string {
  return JSON.stringify({
    id: delivery.eventId,
    type: delivery.eventType,
    created_at: delivery.eventCreatedAt.toISOString(),
    data: delivery.payload,
  });
}

export type AttemptOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string; final?: boolean };

/**
 * Applies an attempt's outcome: delivered, retry later, or dead once the retry window is over
 * (or at once for a `final` failure). Ignored when the delivery was replayed while in flight:
 * the replay's own attempt decides then. Returns the state written, or null when ignored.
 */
export async function recordAttempt(
  db: Db,
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  settings: Pick<WebhookSettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  now: Date = new Date(),
): Promise<'delivered' | 'pending' | 'dead' | null> {
  const guard = { id: delivery.id, state: 'pending', attempts: delivery.attempts, replays: delivery.replays };
  if (outcome.ok) {
    const { count } = await db.webhookDelivery.updateMany({
      where: guard,
      data: { state: 'delivered', deliveredAt: now, lastStatusCode: outcome.status, lastError: null, nextAttemptAt: now },
    });
    return count ? 'delivered' : null;
  }
  const next = outcome.final ? null : nextAttemptAt(delivery.attempts, now, delivery.expiresAt, settings);
  const { count } = await db.webhookDelivery.updateMany({
    where: guard,
    data: {
      lastStatusCode: outcome.status,
      lastError: outcome.error.slice(0, 500),
      ...(next ? { nextAttemptAt: next } : { state: 'dead', deadAt: now, nextAttemptAt: now }),
    },
  });
  return count ? (next ? 'pending' : 'dead') : null;
}
