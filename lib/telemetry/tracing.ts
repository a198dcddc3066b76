/**
 * OpenTelemetry traces, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * is set; otherwise nothing is installed and every span is the API's no-op. A trace runs from the API request (http,
 * express) through the Temporal client call, the workflow and its activities (Temporal's interceptors) to the database
 * (pg) and the chain (the RPC transport in lib/chain.ts).
 *
 * The instrumentations patch `http`, `express` and `pg` as they are required, so the entry points import
 * lib/telemetry/start-api.ts or start-worker.ts before anything else.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type TracedService = 'api' | 'worker';

export interface Tracing {
  service: TracedService;
  /** What Temporal's OpenTelemetryPlugin needs to export the workflows' spans through the same pipeline. */
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends the spans still buffered; call it on the way out. */
  shutdown(): Promise<void>;
}

export const tracingEnabled = (env: NodeJS.ProcessEnv) =>
  env.OTEL_SDK_DISABLED !== 'true' && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);

/** The service name in every span: OTEL_SERVICE_NAME when set, else payout-engine-<api|worker>. */
export const serviceName = (service: TracedService, env: NodeJS.ProcessEnv) => env.OTEL_SERVICE_NAME || `payout-engine-${service}`;

export function startTracing(service: TracedService, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!tracingEnabled(env)) return undefined;
  const resource = new Resource({ 'service.name': serviceName(service, env), 'service.namespace': 'payout-engine' });
  // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables; the batch
  // processor its delay and sizes from OTEL_BSP_*.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Health checks and scrapes would be most of the spans and say nothing about a payout.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/health' || req.url === '/metrics' }),
      new ExpressInstrumentation(),
      // Statement text only: Prisma binds every value as a parameter, so no amount, address or key reaches a span.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  return { service, resource, spanProcessor, shutdown: () => provider.shutdown() };
}
