/**
 * Webhooks: endpoints (register, list, read, disable), the account's callback secret, events
 * (list, read with their deliveries), dead letters, redelivery by event id and replay by time
 * range. Every route needs the webhooks:manage scope and sees only the caller's account.
 */
import { Router, type Request } from 'express';
import { newId } from '../../domain/ids';
import type { WebhookSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import { newWebhookSecret } from '../../lib/webhooks/sign';
import { countSelectedEvents, replayEvents, type ReplaySelection } from '../../lib/webhooks/replay';
import type { Resolver } from '../../lib/webhooks/url-policy';
import { expandEventPatterns } from '../../lib/webhooks/events';
import { requireScope } from '../http/auth';
import { afterTimeId, listPage, timeIdCursor } from '../http/cursor';
import { ApiError, validationError } from '../http/errors';
import { jsonObjectErrors, parseJsonObject, parseOr400, type FieldErrorOptions } from '../http/field-errors';
import { respondIdempotently } from '../http/idempotency';
import { checkUrl } from './url';
import { caller } from '../http/request-context';
import {
  createWebhookEndpointBody,
  listEventsQuery,
  listWebhookDeliveriesQuery,
  listWebhookEndpointsQuery,
  redeliverEventBody,
  REPLAY_MAX_EVENTS,
  replayEventsBody,
  rotateCallbackSecretBody,
} from './schemas';
import { deliveryView, endpointView, eventView } from './views';

export interface WebhookRoutesDeps {
  db: Db;
  webhooks: WebhookSettings;
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
  /** DNS for the URL check; the system resolver unless a test gives one. */
  resolve?: Resolver;
}

const SCOPE = requireScope('webhooks:manage');

/** An unknown key is named with the allowed ones; where none is, the body to send is `{}`. */
const allowing = (...allowed: string[]): FieldErrorOptions => ({ allowed, noneAllowed: 'unknown field; send {}' });

/** Rows strictly after the cursor in (created_at desc, id desc) order; a page of them with the cursor after its last. */
const after = (cursor: string | undefined) => afterTimeId('createdAt', cursor);
const page = <Row extends { createdAt: Date; id: string }, View>(rows: Row[], limit: number, view: (row: Row) => View) =>
  listPage(rows, limit, view, (row) => timeIdCursor(row.createdAt, row.id));

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
    const errors = jsonObjectErrors(createWebhookEndpointBody, req.body, allowing('url', 'events', 'description'));
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
    const query = parseOr400(listWebhookEndpointsQuery, req.query, allowing('limit', 'cursor'));
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
    parseJsonObject(rotateCallbackSecretBody, req.body ?? {}, allowing());
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
    const query = parseOr400(listEventsQuery, req.query, allowing('type', 'created_gte', 'created_lt', 'limit', 'cursor'));
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
    const query = parseOr400(listWebhookDeliveriesQuery, req.query, allowing('state', 'endpoint_id', 'event_id', 'limit', 'cursor'));
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
    const body = parseJsonObject(redeliverEventBody, req.body ?? {}, allowing('endpoint_id'));
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
    const body = parseJsonObject(replayEventsBody, req.body, allowing('from', 'to', 'types', 'endpoint_id'));
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
