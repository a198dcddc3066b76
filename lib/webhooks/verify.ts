/**
 * Verifying a webhook on the receiving side. This file is the documented recipe
 * (docs/webhooks.md): it depends on node:crypto only, so a receiver can copy it as is.
 *
 *   const result = verifyWebhookSignature({ secret, header: req.headers['payout-signature'], body: rawBody });
 *   if (!result.ok) return res.status(400).end();
 *
 * `body` must be the raw request bytes exactly as received: re-serialized JSON will not match.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type VerifyFailure = 'missing_header' | 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch';

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

export interface VerifyInput {
  /** The endpoint's secret (whsec_…), or the account's callback secret for a payout's callback_url. */
  secret: string;
  /** The Payout-Signature header: t=<unix seconds>,v1=<hex>[,v1=<hex>…]. */
  header: string | string[] | undefined | null;
  /** The raw request body. */
  body: string | Buffer;
  /** How far the signed timestamp may be from now, either way; older deliveries are refused as replays. */
  toleranceSeconds?: number;
  /** The receiver's clock, milliseconds since the epoch. */
  now?: number;
}

export function verifyWebhookSignature({ secret, header, body, toleranceSeconds = 300, now = Date.now() }: VerifyInput): VerifyResult {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { ok: false, reason: 'missing_header' };

  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const [key, item] = part.trim().split('=', 2);
    if (key === 't' && item && /^\d{1,12}$/.test(item)) timestamp = Number(item);
    else if (key === 'v1' && item && /^[0-9a-f]{64}$/.test(item)) signatures.push(item);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed_header' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp_outside_tolerance' };

  const payload = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
  const expected = createHmac('sha256', secret).update(payload).digest();
  // Several v1 values may be present (e.g. during a secret rotation): one match is enough.
  const matches = signatures.some((signature) => timingSafeEqual(expected, Buffer.from(signature, 'hex')));
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'signature_mismatch' };
}
