/** Webhook endpoints, events and deliveries as the API shows them (shapes in api/webhooks/schemas.ts). Never a secret. */
import type { OutboxEvent, WebhookDelivery, WebhookEndpoint } from '../../generated/prisma/client';

const iso = (value: Date | null) => value?.toISOString() ?? null;

export function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    status: endpoint.disabledAt ? ('disabled' as const) : ('enabled' as const),
    created_by: endpoint.createdBy,
    created_at: endpoint.createdAt.toISOString(),
    disabled_at: iso(endpoint.disabledAt),
  };
}

export function eventView(event: OutboxEvent) {
  return {
    id: event.id,
    object: 'event' as const,
    type: event.eventType,
    created_at: event.createdAt.toISOString(),
    data: event.payload as Record<string, unknown>,
  };
}

export function deliveryView(delivery: WebhookDelivery & { event: Pick<OutboxEvent, 'eventType'> }) {
  return {
    id: delivery.id,
    object: 'webhook_delivery' as const,
    event_id: delivery.eventId,
    event_type: delivery.event.eventType,
    destination: delivery.endpointId ? ('endpoint' as const) : ('callback_url' as const),
    endpoint_id: delivery.endpointId,
    url: delivery.url,
    state: delivery.state as 'pending' | 'delivered' | 'dead',
    attempts: delivery.attempts,
    next_attempt_at: delivery.state === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    expires_at: delivery.expiresAt.toISOString(),
    last_attempt_at: iso(delivery.lastAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    delivered_at: iso(delivery.deliveredAt),
    dead_at: iso(delivery.deadAt),
    replays: delivery.replays,
    created_at: delivery.createdAt.toISOString(),
  };
}
