/**
 * Webhooks: endpoints (register, list, read, disable), the account's callback secret, events
 * (list, read with their deliveries), dead letters, redelivery by event id and replay by time
 * range. Every route needs the webhooks:manage scope and sees only the caller's account.
 */
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { newId } from '../../domain/ids';
import type { WebhookSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import { newWebhookSecret } from '../../lib/webhooks/sign';
import { countSelectedEvents, replayEvents, type ReplaySelection } from '../../lib/webhooks/replay';
import type { Resolver } from '../../lib/webhooks/url-policy';
import { expandEventPatterns } from '../../lib/webhooks/events';
import { requireScope } from '../auth';
import { ApiError, validationError, type FieldError } from '../errors';
import { respondIdempotently } from '../idempotency';
import { checkUrl } from '../webhook-url';
import { caller } from '../request-context';
import {
  createWebhookEndpointBody,
  listEventsQuery,
  listWebhookDeliveriesQuery,
  listWebhookEndpointsQuery,
  redeliverEventBody,
  REPLAY_MAX_EVENTS,
  replayEventsBody,
  rotateCallbackSecretBody,
} from '../schemas/webhooks';
import { deliveryView, endpointView, eventView } from '../webhook-views';

export interface WebhookRoutesDeps {
  db: Db;
  webhooks: WebhookSettings;
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
  /** DNS for the URL check; the system resolver unless a test gives one. */
  resolve?: Resolver;
}

const SCOPE = requireScope('webhooks:manage');

export function webhookRoutes(deps: WebhookRoutesDeps): Router {
  const { db } = deps;
  const router = Router();
  const idempotency = { db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log };
  const withEvent = { event: { select: { eventType: true } } } as const;

  async function findEndpoint(accountId: string, id: string) {
    const endpoint = await db.webhookEndpoint.findFirst({ where: { id, accountId } });
    if (!endpoint) throw new ApiError(404, 'not_found', 'webhook_endpoint_not_found', `no webhook endpoint ${id} in account ${accountId}`);
    return endpoint;
  }

  /** An endpoint named in a redeliver/replay body: the caller's own and enabled. */
  async function targetEndpoint(accountId: string, id: string | undefined): Promise<string | undefined> {
    if (id === undefined) return undefined;
    const endpoint = await db.webhookEndpoint.findFirst({ where: { id, accountId } });
    if (!endpoint) {
      throw new ApiError(404, 'not_found', 'webhook_endpoint_not_found', `no webhook endpoint ${id} in account ${accountId}`, [
        { field: 'endpoint_id', message: 'no such endpoint in this account' },
      ]);
    }
    if (endpoint.disabledAt) {
      throw new ApiError(409, 'conflict', 'webhook_endpoint_disabled', `webhook endpoint ${id} is disabled; it receives nothing`, [
        { field: 'endpoint_id', message: 'disabled' },
      ]);
    }
    return endpoint.id;
  }

  router.post('/v1/webhook-endpoints', SCOPE, async (req, res) => {
    const who = caller(req);
    const errors = bodyErrors(createWebhookEndpointBody, req.body, ['url', 'events', 'description']);
    // The address check runs even when other fields failed, so every problem is reported at once.
    const url =
      typeof req.body?.url === 'string' && !errors.some((e) => e.field === 'url') ? await checkUrl(req.body.url, 'url', deps) : null;
    if (url && !url.ok) errors.push(url.error);
    if (errors.length || !url?.ok) throw validationError(errors);
    const body = createWebhookEndpointBody.parse(req.body);
    await respondIdempotently(req, res, { ...idempotency, newResourceId: () => newId('we') }, async (id) => {
      // A retry finishing a crashed first attempt finds the row and answers with the same secret.
      const endpoint =
        (await db.webhookEndpoint.findFirst({ where: { id, accountId: who.accountId } })) ??
        (await db.webhookEndpoint.create({
          data: {
            id,
            accountId: who.accountId,
            url: url.href,
            events: [...new Set(body.events)],
            secret: newWebhookSecret(),
            description: body.description ?? null,
            createdBy: who.actor,
          },
        }));
      return { status: 201, body: { ...endpointView(endpoint), secret: endpoint.secret } };
    });
  });

  router.get('/v1/webhook-endpoints', SCOPE, async (req, res) => {
    const who = caller(req);
    const query = parseQuery(listWebhookEndpointsQuery, req.query, ['limit', 'cursor']);
    const rows = await db.webhookEndpoint.findMany({
      where: { accountId: who.accountId, ...after(query.cursor) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    res.json(page(rows, query.limit, endpointView));
  });

  router.get('/v1/webhook-endpoints/:id', SCOPE, async (req, res) => {
    const who = caller(req);
    const endpoint = await findEndpoint(who.accountId, String(req.params.id));
    const counts = await db.webhookDelivery.groupBy({ by: ['state'], where: { endpointId: endpoint.id }, _count: { _all: true } });
    const count = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
    res.json({ ...endpointView(endpoint), deliveries: { pending: count('pending'), delivered: count('delivered'), dead: count('dead') } });
  });

  router.delete('/v1/webhook-endpoints/:id', SCOPE, async (req, res) => {
    const who = caller(req);
    await respondIdempotently(req, res, idempotency, async () => {
      const endpoint = await findEndpoint(who.accountId, String(req.params.id));
      const disabled = await db.$transaction(async (tx) => {
        const now = new Date();
        await tx.webhookEndpoint.updateMany({ where: { id: endpoint.id, disabledAt: null }, data: { disabledAt: now } });
        // What is still queued for it will never be sent: dead letters, visible and replayable elsewhere.
        await tx.webhookDelivery.updateMany({
          where: { endpointId: endpoint.id, state: 'pending' },
          data: { state: 'dead', deadAt: now, lastError: 'the endpoint was disabled' },
        });
        return tx.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
      });
      return { status: 200, body: endpointView(disabled) };
    });
  });

  router.post('/v1/webhook-callback-secret', SCOPE, async (req, res) => {
    const who = caller(req);
    bodyOrThrow(rotateCallbackSecretBody, req.body ?? {}, []);
    await respondIdempotently(req, res, idempotency, async () => {
      const secret = newWebhookSecret();
      const row = await db.webhookCallbackSecret.upsert({
        where: { accountId: who.accountId },
        create: { accountId: who.accountId, secret, createdBy: who.actor },
        update: { secret, createdBy: who.actor, createdAt: new Date() },
      });
      return { status: 201, body: { object: 'webhook_callback_secret', secret: row.secret, created_at: row.createdAt.toISOString() } };
    });
  });

  router.get('/v1/events', SCOPE, async (req, res) => {
    const who = caller(req);
    const query = parseQuery(listEventsQuery, req.query, ['type', 'created_gte', 'created_lt', 'limit', 'cursor']);
    const rows = await db.outboxEvent.findMany({
      where: {
        accountId: who.accountId,
        ...(query.type ? { eventType: { in: expandEventPatterns(query.type) } } : {}),
        ...(query.created_gte || query.created_lt
          ? {
              createdAt: {
                ...(query.created_gte ? { gte: new Date(query.created_gte) } : {}),
                ...(query.created_lt ? { lt: new Date(query.created_lt) } : {}),
              },
            }
          : {}),
        ...after(query.cursor),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    res.json(page(rows, query.limit, eventView));
  });

  async function findEvent(req: Request) {
    const who = caller(req);
    const event = await db.outboxEvent.findFirst({ where: { id: String(req.params.id), accountId: who.accountId } });
    if (!event) throw new ApiError(404, 'not_found', 'event_not_found', `no event ${req.params.id} in account ${who.accountId}`);
    return event;
  }

  router.get('/v1/events/:id', SCOPE, async (req, res) => {
    const event = await findEvent(req);
    const deliveries = await db.webhookDelivery.findMany({
      where: { eventId: event.id },
      include: withEvent,
      orderBy: { createdAt: 'asc' },
    });
    res.json({ ...eventView(event), deliveries: deliveries.map(deliveryView) });
  });

  router.get('/v1/webhook-deliveries', SCOPE, async (req, res) => {
    const who = caller(req);
    const query = parseQuery(listWebhookDeliveriesQuery, req.query, ['state', 'endpoint_id', 'event_id', 'limit', 'cursor']);
    const rows = await db.webhookDelivery.findMany({
      where: {
        accountId: who.accountId,
        ...(query.state ? { state: query.state } : {}),
        ...(query.endpoint_id ? { endpointId: query.endpoint_id } : {}),
        ...(query.event_id ? { eventId: query.event_id } : {}),
        ...after(query.cursor),
      },
      include: withEvent,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    res.json(page(rows, query.limit, deliveryView));
  });

  router.post('/v1/events/:id/redeliver', SCOPE, async (req, res) => {
    const who = caller(req);
    const body = bodyOrThrow(redeliverEventBody, req.body ?? {}, ['endpoint_id']);
    await respondIdempotently(req, res, idempotency, async () => {
      const event = await findEvent(req);
      const endpointId = await targetEndpoint(who.accountId, body.endpoint_id);
      const replayed = await replayEvents(db, {
        accountId: who.accountId,
        selection: { eventIds: [event.id] },
        endpointId,
        maxAgeMs: deps.webhooks.maxAgeMs,
      });
      if (replayed.length === 0) {
        throw new ApiError(
          409,
          'conflict',
          'no_destination',
          endpointId
            ? `webhook endpoint ${endpointId} is not subscribed to ${event.eventType}`
            : `no enabled webhook endpoint is subscribed to ${event.eventType}${event.aggregateType === 'payout' ? ' and the payout has no callback_url' : ''}`,
        );
      }
      const deliveries = await db.webhookDelivery.findMany({
        where: { id: { in: replayed.map((r) => r.id) } },
        include: withEvent,
        orderBy: { createdAt: 'asc' },
      });
      return { status: 200, body: { object: 'redelivery', event_id: event.id, deliveries: deliveries.map(deliveryView) } };
    });
  });

  router.post('/v1/events/replay', SCOPE, async (req, res) => {
    const who = caller(req);
    const body = bodyOrThrow(replayEventsBody, req.body, ['from', 'to', 'types', 'endpoint_id']);
    const selection: ReplaySelection = {
      from: new Date(body.from),
      to: new Date(body.to),
      types: body.types ? expandEventPatterns(body.types) : undefined,
    };
    const count = await countSelectedEvents(db, who.accountId, selection);
    if (count > REPLAY_MAX_EVENTS) {
      throw validationError([{ field: 'to', message: `${count} events fall in this range; replay at most ${REPLAY_MAX_EVENTS} per call` }]);
    }
    await respondIdempotently(req, res, idempotency, async () => {
      const endpointId = await targetEndpoint(who.accountId, body.endpoint_id);
      const replayed = await replayEvents(db, { accountId: who.accountId, selection, endpointId, maxAgeMs: deps.webhooks.maxAgeMs });
      return { status: 200, body: { object: 'replay', events: new Set(replayed.map((r) => r.eventId)).size, deliveries: replayed.length } };
    });
  });

  return router;
}

/** Every bad field at once; unknown fields are named with the allowed ones. */
function fieldErrors(error: z.ZodError, allowed: string[]): FieldError[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: key,
        message: allowed.length ? `unknown field; allowed: ${allowed.join(', ')}` : 'unknown field; send {}',
      }));
    }
    const field = issue.path.join('.') || 'body';
    return [{ field, message: issue.code === 'invalid_type' && issue.input === undefined ? `${field} is required` : issue.message }];
  });
}

function bodyErrors(schema: z.ZodType, body: unknown, allowed: string[]): FieldError[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [{ field: 'body', message: 'send a JSON object' }];
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : fieldErrors(parsed.error, allowed);
}

function bodyOrThrow<T extends z.ZodType>(schema: T, body: unknown, allowed: string[]): z.output<T> {
  const errors = bodyErrors(schema, body, allowed);
  if (errors.length) throw validationError(errors);
  return schema.parse(body);
}

function parseQuery<T extends z.ZodType>(schema: T, query: unknown, allowed: string[]): z.output<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw validationError(fieldErrors(parsed.error, allowed));
  return parsed.data;
}

const encodeCursor = (row: { createdAt: Date; id: string }) =>
  Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');

/** Rows strictly after the cursor in (created_at desc, id desc) order. */
function after(cursor: string | undefined) {
  if (!cursor) return {};
  let createdAt: Date | undefined;
  let id: unknown;
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, unknown];
    createdAt = new Date(decoded[0]);
    id = decoded[1];
  } catch {
    /* reported below */
  }
  // Never issued, and PostgreSQL fails on a NUL in the id or a date before 4713 BC: a 500 instead of this 400.
  const year = createdAt?.getUTCFullYear() ?? NaN;
  if (Number.isNaN(year) || year < 1 || year > 9999 || typeof id !== 'string' || id.includes('\0')) {
    throw validationError([{ field: 'cursor', message: 'cursor is not one this API returned; pass next_cursor from the previous page' }]);
  }
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] };
}

function page<Row extends { createdAt: Date; id: string }, View>(rows: Row[], limit: number, view: (row: Row) => View) {
  const shown = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return {
    object: 'list' as const,
    data: shown.map(view),
    has_more: hasMore,
    next_cursor: hasMore ? encodeCursor(shown[shown.length - 1]!) : null,
  };
}
