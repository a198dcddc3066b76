/**
 * zod schemas shared by every part of the API: the error shape, headers, decimal amounts,
 * timestamps and list envelopes. The OpenAPI document is generated from these (api/openapi/).
 */
import { z } from 'zod';
import { DECIMAL_PATTERN } from '../../domain/money';

export const ERROR_TYPES = [
  'validation',
  'auth',
  'not_found',
  'conflict',
  'rate_limited',
  'retryable',
  'terminal',
  'action_required',
] as const;

export const fieldErrorSchema = z.object({
  field: z
    .string()
    .meta({ description: 'The field at fault: a body path such as `rules.USDC[0].below`, a query parameter or a header name.' }),
  message: z.string(),
  // Only where one request holds many rows (a mass payout's items or CSV file): which row, and why, for programs.
  code: z.string().optional().meta({ description: 'Machine-readable reason, e.g. `address_checksum` (mass payout items and files).' }),
  line: z.int().nullable().optional().meta({ description: 'CSV line (1 = the header) of a mass payout file; null for the whole file.' }),
  column: z.string().nullable().optional().meta({ description: 'CSV column of a mass payout file; null for the whole row.' }),
});

export const errorSchema = z
  .object({
    error: z.object({
      type: z.enum(ERROR_TYPES).meta({ description: 'The category: what the client should do about it (see the introduction).' }),
      code: z
        .string()
        .meta({ description: 'Stable, machine-readable reason, e.g. `invalid_request`, `missing_scope`, `payout_terminal`.' }),
      message: z.string().meta({ description: 'For people; may change between versions.' }),
      fields: z.array(fieldErrorSchema).meta({ description: 'Every field at fault (validation lists them all at once); may be empty.' }),
      request_id: z.string().meta({
        description:
          'Same as the `X-Request-Id` response header, except in an idempotent replay: there it names the request that executed (the first answer, byte for byte). Quote it to support.',
      }),
      trace_id: z.string().optional().meta({
        description:
          'The OpenTelemetry trace of the request that executed, when the engine exports traces (OTEL_EXPORTER_OTLP_ENDPOINT); also in `X-Trace-Id`.',
      }),
    }),
  })
  .meta({ description: 'The one error shape of every non-2xx response.' });

/** A decimal in whole units, as `domain/money.ts` parses it: no sign, exponent or leading zeros. */
export const decimalString = z
  .string()
  .regex(DECIMAL_PATTERN, 'must be a plain decimal such as "12.50"')
  .meta({
    description: 'A decimal string in whole units (never a JSON number): digits, optionally "." and a fraction.',
    examples: ['25.5'],
  });

export const integerString = z
  .string()
  .regex(/^[0-9]+$/)
  .meta({ description: 'A non-negative integer as a string (may exceed 2^53).' });

export const timestamp = z.iso.datetime().meta({ description: 'RFC 3339 timestamp in UTC.', examples: ['2026-11-21T10:00:00.000Z'] });

/** A program label; payouts pass a string schema with their own type message, policies zod's default. */
export const programName = (base: z.ZodString = z.string()) =>
  base.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'program must be 1-64 lowercase letters, digits, _ or -').meta({
    description: 'An optional label (e.g. `creators`) that selects a program-specific approval policy.',
    examples: ['creators'],
  });

/** The `Idempotency-Key` header, as api/http/idempotency.ts checks it (the contract test keeps the two in step). */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/)
  .meta({
    description:
      'Required on every POST: a unique value per intended action (a UUID is fine), 1-255 visible ASCII characters. ' +
      'A retry with the same key and body replays the first response.',
    examples: ['3f1c2a9e-7b7d-4c1e-9f50-2b8f3d1e6a10'],
  });

/** The `X-Request-Id` values api/http/request-context.ts echoes (the contract test keeps the two in step). */
export const ECHOED_REQUEST_ID = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Any value is accepted: one that does not match is replaced, never refused. */
export const requestIdHeader = z.string().meta({
  description:
    `Your own id for the request, echoed in \`X-Request-Id\` and \`error.request_id\` when it matches \`${ECHOED_REQUEST_ID.source}\`; ` +
    'otherwise (or when absent) the API generates one.',
  examples: ['req_checkout-7731'],
});

/** `{ object: 'list', data: [...] }`, the envelope of every list without pagination. */
/** Pagination shared by every list: `limit` and `cursor` in, `next_cursor` out. */
export const pageLimit = z.coerce
  .number()
  .int('limit must be an integer')
  .min(1, 'limit must be at least 1')
  .max(100, 'limit must be at most 100')
  .default(25)
  .meta({ description: 'Page size.' });
export const pageCursor = z.string().optional().meta({ description: '`next_cursor` of the previous page.' });
export const nextPageCursor = z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' });

export const listOf = <T extends z.ZodType>(item: T) => z.object({ object: z.literal('list'), data: z.array(item) });
