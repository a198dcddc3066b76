/**
 * The API's request metrics: count and latency by method, route template and status. The route is express's pattern
 * (`/v1/payouts/:id`), never the path, so a payout id never becomes a label.
 */
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Express's pattern of the route that answered (`/v1/payouts/:id`); 404s and refusals before routing share one. */
export const routeTemplate = (req: Request) => (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');

export function httpMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'payout_api_requests_total',
    help: 'API requests answered, by method, route template and HTTP status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'payout_api_request_duration_seconds',
    help: 'API request latency, from the first byte read to the response finished',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  return function observeRequests(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeTemplate(req);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      latency.observe({ method: req.method, route }, seconds);
    });
    next();
  };
}
