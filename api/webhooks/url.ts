/** A receiver URL checked against the address policy (with DNS), as a field error the API can report. */
import type { WebhookSettings } from '../../lib/config';
import { checkWebhookUrl, type Resolver } from '../../lib/webhooks/url-policy';
import type { FieldError } from '../http/errors';

export type UrlResult = { ok: true; href: string } | { ok: false; error: FieldError };

export async function checkUrl(
  raw: string,
  field: string,
  deps: { webhooks: Pick<WebhookSettings, 'urlPolicy'>; resolve?: Resolver },
): Promise<UrlResult> {
  const checked = await checkWebhookUrl(raw, deps.webhooks.urlPolicy, deps.resolve);
  return checked.ok ? { ok: true, href: checked.url.href } : { ok: false, error: { field, message: `${field} ${checked.message}` } };
}
