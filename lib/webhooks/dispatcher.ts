/**
 * The delivery worker: a loop that fans new outbox events out into deliveries, then sends the
 * deliveries that are due. Any number of these may run (one per worker process); they share
 * the work through row locks, never through memory.
 */
import type { WebhookSettings } from '../config';
import type { Db } from '../db';
import { wakeablePause } from '../pause';
import { claimDueDeliveries, eventBody, recordAttempt, type AttemptOutcome, type ClaimedDelivery } from './attempts';
import { fanOutEvents } from './fan-out';
import { sendWebhook } from './send';
import { signWebhook, SIGNATURE_HEADER } from './sign';
import type { Resolver } from './url-policy';

export interface DispatcherOptions {
  db: Db;
  settings: WebhookSettings;
  log?: (message: string, error?: unknown) => void;
  /** Deliveries in flight at once per dispatcher. */
  concurrency?: number;
  /** DNS for delivery-time address checks (tests substitute one); the system resolver otherwise. */
  resolve?: Resolver;
}

export interface WebhookDispatcher {
  /** Stops claiming, and waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
}

const FAN_OUT_BATCH = 200;

export function startWebhookDispatcher(options: DispatcherOptions): WebhookDispatcher {
  const { db, settings } = options;
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`[webhooks] ${message}`, error ?? ''));
  const concurrency = options.concurrency ?? 16;
  let stopping = false;
  const idle = wakeablePause();

  // Attempts run independently of the loop, so one slow receiver holds one slot, not the whole round.
  const inFlight = new Set<Promise<void>>();

  /** One round; true when there may be more work right away. */
  async function round(): Promise<boolean> {
    const published = await fanOutEvents(db, { maxAgeMs: settings.maxAgeMs, batchSize: FAN_OUT_BATCH });
    const free = concurrency - inFlight.size;
    if (free <= 0) return published === FAN_OUT_BATCH;
    // The lease outlasts the attempt's timeout, so a claim is only taken over after a worker died.
    const claimed = await claimDueDeliveries(db, { limit: free, leaseMs: settings.timeoutMs + 30_000 });
    for (const delivery of claimed) {
      const running: Promise<void> = attempt(delivery)
        .catch((error) => log(`recording delivery ${delivery.id} failed; it is retried when its lease ends`, error))
        .finally(() => {
          inFlight.delete(running);
          idle.wake();
        });
      inFlight.add(running);
    }
    return published === FAN_OUT_BATCH || claimed.length === free;
  }

  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const outcome = await send(delivery);
    const state = await recordAttempt(db, delivery, outcome, settings);
    if (state === 'dead') {
      const host = safeHost(delivery.url);
      log(
        `delivery ${delivery.id} of event ${delivery.eventId} to ${host} is dead after ${delivery.attempts} attempt(s): ${outcome.ok ? '' : outcome.error}`,
      );
    }
  }

  async function send(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    if (delivery.endpointDisabled) return { ok: false, status: null, error: 'the endpoint was disabled', final: true };
    if (!delivery.secret) {
      return { ok: false, status: null, error: 'the account has no callback secret to sign with (POST /v1/webhook-callback-secret)' };
    }
    const body = eventBody(delivery);
    return sendWebhook({
      url: delivery.url,
      body,
      timeoutMs: settings.timeoutMs,
      policy: settings.urlPolicy,
      resolve: options.resolve,
      headers: {
        'User-Agent': 'payout-engine-webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(delivery.secret, body),
        'Payout-Event-Id': delivery.eventId,
        'Payout-Event-Type': delivery.eventType,
        'Payout-Delivery-Id': delivery.id,
        'Payout-Delivery-Attempt': String(delivery.attempts),
      },
    });
  }

  const loop = (async () => {
    while (!stopping) {
      let more = false;
      try {
        more = await round();
      } catch (error) {
        // A database outage: keep the loop alive and try again after the poll interval.
        log('webhook dispatch round failed; retrying', error);
      }
      if (!more && !stopping) {
        await idle.pause(settings.pollIntervalMs);
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      idle.wake();
      await loop;
      await Promise.all(inFlight);
    },
  };
}

/** Only the host goes to logs: a URL's path or query may carry a receiver's token. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
