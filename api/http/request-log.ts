/**
 * One JSON log line per answered request: method, route template, status, duration, the request id, the caller's
 * account, actor and key id, the payout or mass payout it concerns (and its workflow id), and the trace.
 */
import type { RequestHandler, Response } from 'express';
import { massPayoutWorkflowId } from '../../domain/mass-payout';
import { payoutWorkflowId } from '../../domain/payout';
import { routeTemplate } from '../../lib/metrics/http-metrics';
import type { Logger } from '../../lib/telemetry/logger';
import { traceFields } from '../../lib/telemetry/trace-context';
import type { Caller } from './request-context';

/** The resource a route names: its `:id`, or the id a create answered with. */
function subjectFields(route: string, id: string | undefined): Record<string, string> {
  if (!id) return {};
  if (route.startsWith('/v1/mass-payouts')) return { mass_payout_id: id, workflow_id: massPayoutWorkflowId(id) };
  if (route.startsWith('/v1/payouts')) return { payout_id: id, workflow_id: payoutWorkflowId(id) };
  return {};
}

function callerFields(res: Response): Record<string, string> {
  const who = res.locals.caller as Caller | undefined;
  return who ? { account_id: who.accountId, actor: who.actor, key_id: who.keyId } : {};
}

export function requestLog(logger: Logger): RequestHandler {
  const http = logger.child({ component: 'http' });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Read now, inside the request's span: the 'finish' callback may run outside it.
    const trace = traceFields();
    let answeredId: string | undefined;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const id = (body as { id?: unknown } | null)?.id;
      if (typeof id === 'string') answeredId = id;
      return json(body);
    };
    res.on('finish', () => {
      const route = routeTemplate(req);
      const id = typeof req.params?.id === 'string' ? req.params.id : answeredId;
      http.info(
        {
          ...trace,
          request_id: String(res.getHeader('X-Request-Id') ?? ''),
          method: req.method,
          route,
          status: res.statusCode,
          duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ...callerFields(res),
          ...subjectFields(route, id),
        },
        `${req.method} ${route} ${res.statusCode}`,
      );
    });
    next();
  };
}
