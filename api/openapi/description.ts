/** The document's introduction: the rules every operation follows, written once. */
import { ERROR_TYPES } from '../http/schemas';

const ERROR_TYPE_MEANINGS: Record<(typeof ERROR_TYPES)[number], string> = {
  validation: 'the request is wrong; fix it (every bad field is in `fields`). Not retryable as is.',
  auth: 'no valid API key (401) or a key without the needed scope (403).',
  not_found: 'no such route, or no such resource in your account.',
  conflict: 'the resource’s state does not allow it (e.g. a finished payout), or an Idempotency-Key conflict.',
  rate_limited: 'too many requests this minute; wait `Retry-After` seconds.',
  retryable: 'a brief outage on our side; retry with the same Idempotency-Key.',
  terminal: 'it failed and will not succeed by retrying.',
  action_required: 'a person must act (e.g. fund the treasury); the payout resumes by itself afterwards.',
};

export const API_DESCRIPTION = `
Crypto payouts (ETH and ERC-20 stablecoins on EVM networks), each one a durable workflow that waits for approval,
reserves funds, signs, broadcasts exactly once and follows the transaction to its confirmations.
All amounts are decimal strings in whole units (\`"25.5"\`), never JSON numbers; \`amount_units\` gives base units.

## Authentication
Every route under \`/v1\` needs an API key: \`Authorization: Bearer pek_<id>_<secret>\` (create one with
\`npm run keys -- create\`). A key belongs to one account and sees only that account's resources; it carries scopes,
and each operation names the one it needs (403 \`missing_scope\` otherwise). The person acting (approver, canceler,
creator) is the key's actor, never a field of the request.

## Idempotency
Every POST requires an \`Idempotency-Key\` header: a unique value per intended action (1-255 visible ASCII characters).
- The same key with the same request returns the stored first response — same status, same body (a stored 4xx or 5xx
  included) — with the header \`Idempotent-Replayed: true\`.
- The same key with a different request is refused with 422 \`idempotency_key_reused\`; nothing is executed.
- Concurrent requests with one key execute once: the others wait for its answer, or get 409
  \`idempotency_request_in_progress\`, which means retry with the same key.
- Keys are kept at least 24 hours (\`IDEMPOTENCY_KEY_TTL_MS\`). Requests refused before they execute (authentication,
  validation) are not stored, and neither is a 503: retry those with the same key.

## Errors
Every non-2xx answer has one shape, \`{"error": {"type", "code", "message", "fields", "request_id"}}\`: \`code\` is stable
and machine-readable, \`message\` is for people, \`fields\` lists every field at fault, \`request_id\` matches the
\`X-Request-Id\` header every response carries, except in an idempotent replay: its body is the first answer byte for
byte, so \`request_id\` names the request that executed, and \`X-Request-Id\` the replay. Text anywhere in a request (body, query, path) must not contain the
NUL character U+0000 (400). \`type\` says what to do:
${ERROR_TYPES.map((type) => `- \`${type}\`: ${ERROR_TYPE_MEANINGS[type]}`).join('\n')}

## Rate limits
Per API key, per minute. Responses under \`/v1\` carry \`RateLimit-Limit\`, \`RateLimit-Remaining\`, \`RateLimit-Reset\`
(seconds) and \`RateLimit-Policy\`; a refused request gets 429 with \`Retry-After\`.
`.trim();
