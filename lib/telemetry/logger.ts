/**
 * Structured logs: one JSON object per line (pino), on stdout. Every line names its service and, where it concerns one,
 * the payout, mass payout, workflow, request and account (`payout_id`, `mass_payout_id`, `workflow_id`, `request_id`,
 * `account_id`), and the trace (`trace_id`, `span_id`) when tracing is on, so a line, a trace and a Temporal history
 * lead to each other. LOG_LEVEL sets the level (default info).
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { massChunkPattern, MASS_PAYOUT_WORKFLOW_PREFIX } from '../../domain/mass-payout';
import { PAYOUT_WORKFLOW_PREFIX } from '../../domain/payout';
import { traceFields } from './trace-context';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log, wherever a caller puts them (an error's request, a config object). The keys are
 * referenced by variable name in the configuration, never by value, but a line must not depend on every caller knowing.
 */
const SECRET_KEYS = [
  'privateKey',
  'private_key',
  'password',
  'secret',
  'secretAccessKey',
  'sessionToken',
  'authorization',
  'Authorization',
  'apiKey',
  'api_key',
];
const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`), 'headers.authorization', '*.headers.authorization'];

export function createLogger(service: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The span in progress (a request, an activity, a workflow task) ties the line to its trace.
    mixin: () => traceFields(),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The ids a Temporal workflow id carries: `payout-<id>`, `mass-payout-<id>`, `mass-payout-<id>-chunk-<n>`. */
export function workflowFields(workflowId: string | undefined): Record<string, string | number> {
  if (!workflowId) return {};
  const chunk = massChunkPattern.exec(workflowId);
  if (chunk) return { workflow_id: workflowId, mass_payout_id: chunk[1]!, chunk: Number(chunk[2]) };
  if (workflowId.startsWith(MASS_PAYOUT_WORKFLOW_PREFIX)) {
    return { workflow_id: workflowId, mass_payout_id: workflowId.slice(MASS_PAYOUT_WORKFLOW_PREFIX.length) };
  }
  if (workflowId.startsWith(PAYOUT_WORKFLOW_PREFIX)) {
    return { workflow_id: workflowId, payout_id: workflowId.slice(PAYOUT_WORKFLOW_PREFIX.length) };
  }
  return { workflow_id: workflowId };
}

/** The ids a delivery's key carries: a payout's id, or `<mass payout id>:chunk:<n>` / `:item:<n>` / `:allowance`. */
export function deliveryFields(deliveryId: string): Record<string, string> {
  const mass = /^(.+):(?:chunk:\d+|item:\d+|allowance)$/.exec(deliveryId);
  return mass ? { delivery_id: deliveryId, mass_payout_id: mass[1]! } : { delivery_id: deliveryId, payout_id: deliveryId };
}

const PINO_LEVEL: Record<LogLevel, pino.Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's logger (the Runtime's: workflow `log`, activity `log`, the SDK's own lines) writing to pino, with the
 * workflow id unfolded into the payout's or mass payout's id.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const { workflowId, runId, ...rest } = meta as { workflowId?: string; runId?: string } & Record<string, unknown>;
    logger[PINO_LEVEL[level]]({ ...rest, ...workflowFields(workflowId), ...(runId ? { run_id: runId } : {}) }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * The `(message, error?, fields?)` callback the engine's loops take (webhook dispatcher, wallet owners, metrics),
 * written to a component's child logger: a line with an error is an error, one without is information.
 */
export type LogFn = (message: string, error?: unknown, fields?: Record<string, unknown>) => void;

export function logFn(logger: Logger, component: string): LogFn {
  const child = logger.child({ component });
  return (message, error, fields = {}) => {
    if (error === undefined || error === '') child.info(fields, message);
    else child.error({ ...fields, err: error }, message);
  };
}
