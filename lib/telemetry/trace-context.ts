/** The span in progress, read for logs and error bodies (only the OpenTelemetry API: no SDK is loaded by this). */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/** The trace id of the span in progress (a request, an activity), for logs and error bodies; undefined without one. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** Log fields that tie a line to its trace. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
