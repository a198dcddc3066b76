/**
 * POST /v1/payouts validation including `callback_url`, whose check is asynchronous (DNS) and
 * needs the account's callback secret to exist (deliveries are always signed). Every bad field
 * is reported at once, and nothing is created for an invalid request.
 */
import type { NetworkRegistry } from '../../domain/networks';
import type { WebhookSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import type { Resolver } from '../../lib/webhooks/url-policy';
import type { FieldError } from '../http/errors';
import { validatePayoutRequest, type ValidPayoutRequest } from './request';
import { checkUrl } from '../webhooks/url';

export interface PayoutValidationDeps {
  db: Db;
  registry: NetworkRegistry;
  webhooks: Pick<WebhookSettings, 'urlPolicy'>;
  resolve?: Resolver;
}

export async function validateCreatePayoutRequest(
  body: unknown,
  accountId: string,
  deps: PayoutValidationDeps,
): Promise<{ ok: true; value: ValidPayoutRequest } | { ok: false; errors: FieldError[] }> {
  const validated = validatePayoutRequest(body, deps.registry);
  const errors = validated.ok ? [] : [...validated.errors];
  const raw = (body ?? {}) as Record<string, unknown>;
  let callbackUrl: string | undefined;
  if (typeof raw.callback_url === 'string' && !errors.some((error) => error.field === 'callback_url')) {
    const checked = await checkUrl(raw.callback_url, 'callback_url', deps);
    if (!checked.ok) errors.push(checked.error);
    else if (!(await deps.db.webhookCallbackSecret.findUnique({ where: { accountId } }))) {
      errors.push({
        field: 'callback_url',
        message:
          "callback_url deliveries are signed with the account's callback secret: create it first with POST /v1/webhook-callback-secret",
      });
    } else callbackUrl = checked.href;
  }
  if (!validated.ok || errors.length) return { ok: false, errors };
  return { ok: true, value: { ...validated.value, callbackUrl } };
}
