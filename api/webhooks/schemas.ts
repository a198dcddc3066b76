/**
 * Schemas of the webhook routes (api/webhooks/routes.ts): endpoints, the callback secret, events,
 * deliveries, redelivery and replay. Requests are what the routes validate with; responses are
 * what api/webhooks/views.ts builds (the integration tests parse every answer with them).
 */
import { z } from 'zod';
import { EVENT_PATTERNS, EVENT_TYPES } from '../../lib/webhooks/events';
import { MAX_URL_LENGTH } from '../../lib/webhooks/url-policy';
import { nextPageCursor, pageCursor, pageLimit, timestamp } from '../http/schemas';

const EXAMPLE_TIME = '2026-11-21T10:00:00.000Z';

/** A receiver URL before its address check (api/webhooks/routes.ts and the payout route resolve it). */
export const webhookUrl = (field: string) =>
  z
    .string({ error: `${field} must be a string URL such as "https://example.com/webhooks"` })
    .min(1, `${field} must not be empty`)
    .max(MAX_URL_LENGTH, `${field} must be at most ${MAX_URL_LENGTH} characters`)
    .meta({
      description:
        'https:// in production. Must resolve only to public addresses (no private, loopback, link-local, CGNAT, multicast ' +
        'or unique-local address); checked at registration and again at every delivery. Redirects are not followed.',
      examples: ['https://example.com/webhooks/payouts'],
    });

/** The optional `callback_url` of POST /v1/payouts: this payout's events, signed with the account's callback secret. */
export const callbackUrlField = webhookUrl('callback_url').meta({
  description:
    "Receives this payout's events (every status change), signed with the account's callback secret " +
    '(POST /v1/webhook-callback-secret, which must exist first). Same address rules as webhook endpoints.',
  examples: ['https://example.com/payouts/callback'],
});

const eventPattern = z
  .string()
  .refine((value) => EVENT_PATTERNS.includes(value), {
    error: `must be an event type, a family wildcard or "*": ${EVENT_PATTERNS.join(', ')}`,
  })
  .meta({ description: 'An event type (`payout.completed`), a family wildcard (`payout.*`) or `*`.', examples: ['payout.*'] });

const eventType = z.enum(EVENT_TYPES as [string, ...string[]]).meta({ description: 'See docs/webhooks.md for the catalog.' });

const dateTime = (field: string) =>
  z.iso.datetime({ offset: true, error: `${field} must be an RFC 3339 date-time such as ${EXAMPLE_TIME}` });
const patternList = z
  .string()
  .meta({ description: 'Comma-separated event types or wildcards.', examples: ['payout.completed,payout.failed'] })
  .transform((value) => value.split(','))
  .pipe(z.array(eventPattern))
  .optional();

// ---------------------------------------------------------------------------------------------
// Requests

export const createWebhookEndpointBody = z
  .strictObject({
    url: webhookUrl('url'),
    events: z
      .array(eventPattern, { error: 'events must be an array of event types such as ["payout.*"]' })
      .min(1, 'events must name at least one event type or wildcard')
      .max(50, 'events may list at most 50 entries'),
    description: z.string({ error: 'description must be a string' }).max(200, 'description must be at most 200 characters').optional(),
  })
  .meta({ examples: [{ url: 'https://example.com/webhooks/payouts', events: ['payout.*'], description: 'ledger sync' }] });

export const webhookEndpointIdParams = z.object({
  id: z.string().meta({ description: 'The endpoint id.', examples: ['we_01jd5x3k7q8w2m4n6p9r0s1t2v'] }),
});

export const eventIdParams = z.object({
  id: z.string().meta({ description: 'The event id.', examples: ['evt_po_01jd5x3k7q8w2m4n6p9r0s1t2v_3'] }),
});

export const listEventsQuery = z.strictObject({
  type: patternList,
  created_gte: dateTime('created_gte').optional().meta({ description: 'Only events created at or after this time.' }),
  created_lt: dateTime('created_lt').optional().meta({ description: 'Only events created before this time.' }),
  limit: pageLimit,
  cursor: pageCursor,
});

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;

export const listWebhookDeliveriesQuery = z.strictObject({
  state: z
    .enum(DELIVERY_STATES, { error: `state must be one of: ${DELIVERY_STATES.join(', ')}` })
    .optional()
    .meta({ description: '`dead` lists the dead letters: deliveries that failed for the whole retry window.' }),
  endpoint_id: z.string().optional(),
  event_id: z.string().optional(),
  limit: pageLimit,
  cursor: pageCursor,
});

export const listWebhookEndpointsQuery = z.strictObject({ limit: pageLimit, cursor: pageCursor });

export const redeliverEventBody = z
  .strictObject({
    endpoint_id: z
      .string({ error: 'endpoint_id must be a string' })
      .optional()
      .meta({ description: 'Only this endpoint; otherwise every subscribed endpoint and the payout’s callback_url.' }),
  })
  .meta({ examples: [{}, { endpoint_id: 'we_01jd5x3k7q8w2m4n6p9r0s1t2v' }] });

export const REPLAY_MAX_EVENTS = 10_000;

export const replayEventsBody = z
  .strictObject({
    from: dateTime('from').meta({ description: 'Events created at or after this time.' }),
    to: dateTime('to').meta({ description: 'Events created before this time.' }),
    types: z.array(eventPattern, { error: 'types must be an array of event types or wildcards' }).min(1).optional(),
    endpoint_id: z.string({ error: 'endpoint_id must be a string' }).optional(),
  })
  .refine((body) => new Date(body.from) < new Date(body.to), { error: 'to must be later than from', path: ['to'] })
  .meta({
    description: `Sends the account's events of a time range again (at most ${REPLAY_MAX_EVENTS} events per call).`,
    examples: [{ from: '2026-11-21T00:00:00Z', to: '2026-11-22T00:00:00Z', types: ['payout.completed'] }],
  });

export const rotateCallbackSecretBody = z.strictObject({});

// ---------------------------------------------------------------------------------------------
// Responses

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    created_by: z.string(),
    created_at: timestamp,
    disabled_at: timestamp.nullable(),
  })
  .meta({
    examples: [
      {
        id: 'we_01jd5x3k7q8w2m4n6p9r0s1t2v',
        object: 'webhook_endpoint',
        url: 'https://example.com/webhooks/payouts',
        events: ['payout.*'],
        description: 'ledger sync',
        status: 'enabled',
        created_by: 'ops',
        created_at: EXAMPLE_TIME,
        disabled_at: null,
      },
    ],
  });

const deliveryCounts = z
  .object({ pending: z.int(), delivered: z.int(), dead: z.int() })
  .meta({ description: 'Deliveries to this endpoint by state.' });

export const webhookEndpointDetailSchema = webhookEndpointSchema.extend({ deliveries: deliveryCounts });

export const webhookEndpointCreatedSchema = webhookEndpointSchema.extend({
  secret: z.string().meta({
    description: 'Signs every delivery (HMAC-SHA256). Shown only in this answer: store it now.',
    examples: ['whsec_4x8dK0qZ2n7mYb1vR9cT5wE3uJ6hL0pS8aF2gN4kD1c'],
  }),
});

export const webhookEndpointListSchema = z.object({
  object: z.literal('list'),
  data: z.array(webhookEndpointSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

export const callbackSecretSchema = z
  .object({
    object: z.literal('webhook_callback_secret'),
    secret: z
      .string()
      .meta({ description: "Signs deliveries to payouts' callback_url. Shown only in this answer; replaces the previous one." }),
    created_at: timestamp,
  })
  .meta({ examples: [{ object: 'webhook_callback_secret', secret: 'whsec_Qm3…', created_at: EXAMPLE_TIME }] });

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_delivery'),
    event_id: z.string(),
    event_type: z.string(),
    destination: z.enum(['endpoint', 'callback_url']),
    endpoint_id: z.string().nullable(),
    url: z.string(),
    state: z.enum(DELIVERY_STATES),
    attempts: z.int().min(0),
    next_attempt_at: timestamp.nullable().meta({ description: 'When the next attempt is due; null unless pending.' }),
    expires_at: timestamp.meta({ description: 'A delivery still failing then becomes dead.' }),
    last_attempt_at: timestamp.nullable(),
    last_status_code: z.int().nullable().meta({ description: "The receiver's HTTP status on the last attempt; null when none came." }),
    last_error: z.string().nullable(),
    delivered_at: timestamp.nullable(),
    dead_at: timestamp.nullable(),
    replays: z.int().min(0).meta({ description: 'How often it was redelivered or replayed through the API.' }),
    created_at: timestamp,
  })
  .meta({
    examples: [
      {
        id: 'whd_5f0c6c1b2a7d4e3f9a8b7c6d5e4f3a2b',
        object: 'webhook_delivery',
        event_id: 'evt_po_01jd5x3k7q8w2m4n6p9r0s1t2v_3',
        event_type: 'payout.completed',
        destination: 'endpoint',
        endpoint_id: 'we_01jd5x3k7q8w2m4n6p9r0s1t2v',
        url: 'https://example.com/webhooks/payouts',
        state: 'dead',
        attempts: 19,
        next_attempt_at: null,
        expires_at: '2026-11-24T10:00:00.000Z',
        last_attempt_at: '2026-11-24T09:12:00.000Z',
        last_status_code: 503,
        last_error: 'answered 503',
        delivered_at: null,
        dead_at: '2026-11-24T09:12:00.000Z',
        replays: 0,
        created_at: EXAMPLE_TIME,
      },
    ],
  });

export const webhookDeliveryListSchema = z.object({
  object: z.literal('list'),
  data: z.array(webhookDeliverySchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

export const eventSchema = z
  .object({
    id: z.string().meta({ description: 'Unique per event: receivers de-duplicate on it.' }),
    object: z.literal('event'),
    type: eventType,
    created_at: timestamp,
    data: z.record(z.string(), z.unknown()).meta({ description: 'Exactly the `data` of the delivered body.' }),
  })
  .meta({
    examples: [
      {
        id: 'evt_po_01jd5x3k7q8w2m4n6p9r0s1t2v_3',
        object: 'event',
        type: 'payout.completed',
        created_at: EXAMPLE_TIME,
        data: {
          payout_id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v',
          status: 'completed',
          previous_status: 'processing',
          at: EXAMPLE_TIME,
          approved_by: [],
          failure: null,
          tx_hash: '0x8f5e…',
        },
      },
    ],
  });

export const eventDetailSchema = eventSchema.extend({ deliveries: z.array(webhookDeliverySchema) });

export const eventListSchema = z.object({
  object: z.literal('list'),
  data: z.array(eventSchema),
  has_more: z.boolean(),
  next_cursor: nextPageCursor,
});

export const redeliverySchema = z.object({
  object: z.literal('redelivery'),
  event_id: z.string(),
  deliveries: z.array(webhookDeliverySchema).meta({ description: 'The deliveries that start over now.' }),
});

export const replaySchema = z.object({
  object: z.literal('replay'),
  events: z.int().min(0).meta({ description: 'Events in the range that had at least one destination.' }),
  deliveries: z.int().min(0).meta({ description: 'Deliveries that start over (or were created) now.' }),
});

/** The body every destination receives (also documented in docs/webhooks.md). */
export const webhookPayloadSchema = eventSchema.omit({ object: true });
