/**
 * When to try a failing delivery again: exponential (base, 2×base, 4×base, …) up to a cap,
 * with ±25% jitter so many deliveries failing together (a receiver outage) do not retry in lockstep.
 */
import type { WebhookSettings } from '../config';

export function retryDelayMs(
  attempts: number,
  settings: Pick<WebhookSettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const delay = Math.min(settings.backoffBaseMs * 2 ** exponent, settings.backoffMaxMs);
  return Math.round(delay * (0.75 + random() * 0.5));
}

/** The attempt after `attempts` failures, or null when it would fall after the retry window: dead-letter it. */
export function nextAttemptAt(
  attempts: number,
  now: Date,
  expiresAt: Date,
  settings: Pick<WebhookSettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): Date | null {
  const next = new Date(now.getTime() + retryDelayMs(attempts, settings, random));
  return next > expiresAt ? null : next;
}
