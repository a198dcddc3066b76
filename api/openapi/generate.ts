/** Builds the OpenAPI 3.1 document from the operation declarations and their zod schemas. */
import { controlDecisionSchema } from '../payouts/schemas';
import { errorSchema, idempotencyKeyHeader, requestIdHeader } from '../http/schemas';
import { API_DESCRIPTION } from './description';
import { describeErrorCodes, errorCodesOf } from './error-codes';
import { ERROR_RESPONSES, exampleBody } from './errors';
import { componentRef, inlineSchema, parameter, parametersOf, toComponents, type JsonSchema } from './json-schema';
import { named, needsIdempotencyKey, openApiPath, type NamedSchema, type Operation, type SuccessResponse } from './operation';

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, JsonSchema> } & Record<string, unknown>;
};

const TAGS = [
  { name: 'Payouts', description: 'Single payouts: create, read, list.' },
  { name: 'Payout actions', description: 'Approve, reject, cancel, confirm a conversion: synchronous answers from the payout’s workflow.' },
  {
    name: 'Compliance',
    description: 'Sanctions screening: a payout held for compliance, the decision on it, and its audit log (docs/compliance.md).',
  },
  {
    name: 'Mass payouts',
    description: 'Up to 100,000 recipients in one request (JSON items or a CSV file), one approval, every item tracked.',
  },
  { name: 'Approval policies', description: 'Versioned approval rules per account and program.' },
  {
    name: 'Webhooks',
    description: 'Signed event deliveries: endpoints, the callback secret, events, dead letters, redelivery and replay (docs/webhooks.md).',
  },
  { name: 'Exports', description: 'Payouts for finance, streamed as CSV or JSON at any size.' },
  { name: 'Balances', description: 'The treasury as the double-entry ledger and the chain see it.' },
  {
    name: 'Reconciliation',
    description: 'The chain matched to payouts and the ledger: the reconciler’s lag, runs, and the exceptions finance owns and resolves.',
  },
  {
    name: 'Audit',
    description: 'Every control decision and every change to payees, limits and policies: who, when, what before and after.',
  },
  { name: 'Meta', description: 'The API itself.' },
];

const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

const isNamed = (body: SuccessResponse['body']): body is NamedSchema => body !== undefined && 'id' in body && 'schema' in body;

const headerRefs = (names: readonly string[]) =>
  Object.fromEntries(['X-Request-Id', 'X-Trace-Id', ...names].map((name) => [name, { $ref: `#/components/headers/${name}` }]));

function successResponse(operation: Operation, response: SuccessResponse) {
  const extra = [
    ...(operation.scope === 'public' ? [] : RATE_LIMIT_HEADERS),
    ...(needsIdempotencyKey(operation) ? ['Idempotent-Replayed'] : []),
  ];
  const schema = isNamed(response.body) ? { $ref: componentRef(response.body.id) } : response.body && inlineSchema(response.body, 'output');
  const alternatives = Object.entries(response.alternatives ?? {}).map(([mediaType, body]) => [
    mediaType,
    { schema: inlineSchema(body, 'output') },
  ]);
  return {
    description: response.description,
    headers: headerRefs(extra),
    ...(schema ? { content: { [response.mediaType ?? 'application/json']: { schema }, ...Object.fromEntries(alternatives) } } : {}),
  };
}

function describe(operation: Operation): string {
  const notes = [
    operation.description,
    operation.scope === 'public'
      ? 'No API key needed.'
      : operation.scope === 'any_key'
        ? 'Any valid API key; no scope needed.'
        : `Required scope: \`${operation.scope}\`.`,
    needsIdempotencyKey(operation) ? 'Requires an `Idempotency-Key` (see Idempotency).' : undefined,
    operation.scope === 'public' ? undefined : `Error codes: ${describeErrorCodes(errorCodesOf(operation))}.`,
  ];
  return notes.filter(Boolean).join('\n\n');
}

function operationObject(operation: Operation) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) responses[status] = successResponse(operation, response);
  const codes = errorCodesOf(operation);
  for (const status of Object.keys(codes)) responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[Number(status)]!.name}` };
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    description: describe(operation),
    tags: [operation.tag],
    ...(operation.scope === 'public' ? {} : { 'x-error-codes': codes }),
    security: operation.scope === 'public' ? [] : [{ apiKey: operation.scope === 'any_key' ? [] : [operation.scope] }],
    ...(operation.scope === 'public' || operation.scope === 'any_key' ? {} : { 'x-required-scope': operation.scope }),
    parameters: [
      ...(operation.params ? parametersOf(operation.params, 'path') : []),
      ...(operation.query ? parametersOf(operation.query, 'query') : []),
      ...(needsIdempotencyKey(operation) ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
      { $ref: '#/components/parameters/RequestId' },
    ],
    ...(operation.body
      ? {
          requestBody: {
            required: !operation.optionalBody,
            content: {
              'application/json': {
                // An optional body may also be sent as JSON null: such routes read `req.body ?? {}`.
                schema: operation.optionalBody
                  ? { anyOf: [{ $ref: componentRef(operation.body.id) }, { type: 'null' }] }
                  : { $ref: componentRef(operation.body.id) },
              },
              ...Object.fromEntries(
                Object.entries(operation.alternativeBodies ?? {}).map(([mediaType, body]) => [
                  mediaType,
                  { schema: { $ref: componentRef(body.id) } },
                ]),
              ),
            },
          },
        }
      : {}),
    responses,
  };
}

/** Request and response schemas come from different sides of zod (input vs output): a name may not mean both. */
function mergeComponents(requests: Record<string, JsonSchema>, responses: Record<string, JsonSchema>): Record<string, JsonSchema> {
  for (const id of Object.keys(requests)) {
    if (id in responses && JSON.stringify(requests[id]) !== JSON.stringify(responses[id])) {
      throw new Error(`component ${id} differs between requests and responses; give them different names`);
    }
  }
  return Object.fromEntries(Object.entries({ ...requests, ...responses }).sort(([a], [b]) => a.localeCompare(b)));
}

function errorResponseComponents() {
  return Object.fromEntries(
    Object.values(ERROR_RESPONSES).map((spec) => [
      spec.name,
      {
        description: spec.description,
        headers: headerRefs(spec.headers ?? []),
        content: {
          'application/json': {
            schema: { $ref: componentRef('Error') },
            examples: Object.fromEntries(Object.entries(spec.examples).map(([code, error]) => [code, { value: exampleBody(error) }])),
          },
        },
      },
    ]),
  );
}

const integerHeader = (description: string, required = false) => ({ description, required, schema: { type: 'integer', minimum: 0 } });

const HEADERS = {
  'X-Request-Id': {
    description:
      'The request id (yours if you sent a valid one); also in `error.request_id`, except in an idempotent replay (`Idempotent-Replayed: true`), whose body names the request that executed.',
    required: true,
    schema: { type: 'string' },
  },
  'X-Trace-Id': {
    description:
      'The OpenTelemetry trace id of this request, when the engine exports traces (OTEL_EXPORTER_OTLP_ENDPOINT); also in `error.trace_id`.',
    schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  },
  'RateLimit-Limit': integerHeader('Requests this API key may make per minute.'),
  'RateLimit-Remaining': integerHeader('Requests left in this minute.'),
  'RateLimit-Reset': integerHeader('Seconds until the window resets.'),
  'RateLimit-Policy': { description: 'The limit and window, e.g. `600;w=60`.', schema: { type: 'string' } },
  'Retry-After': integerHeader('Seconds to wait before retrying.', true),
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'WWW-Authenticate': { description: 'The Bearer challenge (RFC 6750).', schema: { type: 'string' } },
};

export function generateOpenApiDocument(operations: readonly Operation[], version: string): OpenApiDocument {
  const requestSchemas = operations.flatMap((operation) => [
    ...(operation.body ? [operation.body] : []),
    ...Object.values(operation.alternativeBodies ?? {}),
  ]);
  const responseSchemas = [
    named('Error', errorSchema),
    // Shared by the payout and the mass payout.
    named('ControlDecision', controlDecisionSchema),
    ...operations.flatMap((operation) =>
      Object.values(operation.responses).flatMap((response) => (isNamed(response.body) ? [response.body] : [])),
    ),
  ];
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of operations) {
    const path = (paths[openApiPath(operation.path)] ??= {});
    if (path[operation.method]) throw new Error(`${operation.method.toUpperCase()} ${operation.path} is declared twice`);
    path[operation.method] = operationObject(operation);
  }
  return {
    openapi: '3.1.1',
    info: { title: 'Payout engine API', version, description: API_DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/', description: 'This server' }],
    security: [{ apiKey: [] }],
    tags: TAGS,
    paths,
    components: {
      schemas: mergeComponents(toComponents(requestSchemas, 'input'), toComponents(responseSchemas, 'output')),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'pek_<id>_<secret>',
          description: 'An API key of one account with scopes; each operation lists the scope it needs.',
        },
      },
      parameters: {
        IdempotencyKey: parameter('Idempotency-Key', 'header', inlineSchema(idempotencyKeyHeader, 'input'), true),
        RequestId: parameter('X-Request-Id', 'header', inlineSchema(requestIdHeader, 'input'), false),
      },
      headers: HEADERS,
      responses: errorResponseComponents(),
    },
  };
}
