/**
 * Contract test of the OpenAPI document: it is valid OpenAPI 3.1, it lists exactly the routes the
 * app serves, what it says each route requires is what the route enforces, every example in it
 * validates (JSON Schema 2020-12 with ajv, and zod), and the response schemas fit what the API builds.
 * A route added without a declaration in its resource folder's operations.ts (e.g. api/payouts/operations.ts) fails here.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { version } from '../../package.json';
import type { ApprovalPolicy, Payout } from '../../generated/prisma/client';
import { SCOPES } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { policyView } from '../approval-policies/policies';
import { checkIdempotencyKey } from '../http/idempotency';
import { payoutView } from '../payouts/view';
import { approvalPolicySchema } from '../approval-policies/schemas';
import { ECHOED_REQUEST_ID, errorSchema, idempotencyKeyHeader, requestIdHeader } from '../http/schemas';
import { currencySchema } from '../meta/schemas';
import { payoutSchema } from '../payouts/schemas';
import { appWithoutDatabase } from '../../test/support/app-without-database';
import { ERROR_RESPONSES, exampleBody } from './errors';
import { jsonExamples, zodExamples, type ZodExample } from './examples';
import { appRoutes } from './express-routes';
import { generateOpenApiDocument } from './generate';
import type { JsonSchema } from './json-schema';
import { needsIdempotencyKey, openApiPath, type Operation } from './operation';
import { OPERATIONS } from './operations';
import { validateOpenApiDocument } from './validate-document';
import { serveDuringTests } from '../../test/support/serve-during-tests';

const document = generateOpenApiDocument(OPERATIONS, version);
const { app, keyWith } = appWithoutDatabase();
const registry = loadConfig({ DATABASE_URL: 'postgres://unused' }).registry;

const served = serveDuringTests(app);

/** ajv over the document's components: refs are made absolute so any schema in the document compiles on its own. */
const BASE = 'https://payout-engine.invalid/openapi.json';
function absoluteRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(absoluteRefs) as T;
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', `${BASE}#/$defs/`) : absoluteRefs(value),
    ]),
  ) as T;
}
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: BASE, $defs: absoluteRefs(document.components.schemas) });
function jsonSchemaErrors(schema: JsonSchema, value: unknown): string[] {
  const validate = ajv.compile(absoluteRefs(schema));
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
const component = (id: string): JsonSchema => ({ $ref: `#/components/schemas/${id}` });

/** Every example the zod schemas hold, found from the operations (so a new operation's examples are included). */
function operationZodExamples(operation: Operation): ZodExample[] {
  const label = `${operation.method.toUpperCase()} ${operation.path}`;
  const found: ZodExample[] = [];
  if (operation.params) zodExamples(operation.params, `${label} params`, found);
  if (operation.query) zodExamples(operation.query, `${label} query`, found);
  if (operation.body) zodExamples(operation.body.schema, `${label} body`, found);
  for (const [mediaType, body] of Object.entries(operation.alternativeBodies ?? {}))
    zodExamples(body.schema, `${label} ${mediaType} body`, found);
  for (const [status, response] of Object.entries(operation.responses)) {
    const schema = response.body && 'id' in response.body ? response.body.schema : response.body;
    if (schema instanceof z.ZodType) zodExamples(schema, `${label} ${status}`, found);
  }
  return found;
}
const zodSchemaExamples = [
  ...OPERATIONS.flatMap(operationZodExamples),
  ...zodExamples(errorSchema, 'Error'),
  ...zodExamples(idempotencyKeyHeader, 'Idempotency-Key'),
  ...zodExamples(requestIdHeader, 'X-Request-Id'),
];
const errorExamples = Object.values(ERROR_RESPONSES).flatMap((spec) => Object.values(spec.examples).map(exampleBody));

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = () => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined; // the docs page
    }
  };
  return { status: response.status, headers: response.headers, text, json };
}

/** A concrete URL for a declared path: each `:param` filled with a value that passes its schema. */
const urlOf = (operation: Operation) => operation.path.replace(/:([A-Za-z0-9_]+)/g, 'po_contract_test');
const label = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;
const authenticated = OPERATIONS.filter((operation) => operation.scope !== 'public');
const scoped = authenticated.filter((operation) => operation.scope !== 'any_key');
/** A key without the operation's scope (every other one); for `any_key` operations, a key with one unrelated scope. */
const keyWithout = (operation: Operation) =>
  keyWith(operation.scope === 'any_key' ? ['exports:read'] : SCOPES.filter((scope) => scope !== operation.scope));

describe('the OpenAPI document', () => {
  test('is valid OpenAPI 3.1 (checked against the specification’s schemas)', () => {
    const result = validateOpenApiDocument(document);
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ valid: true, version: '3.1' });
  });

  test('lists exactly the routes the app serves', () => {
    const served = appRoutes(app).map((route) => `${route.method.toUpperCase()} ${openApiPath(route.path)}`);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(10);
    expect(new Set(served).size).toBe(served.length);
    // A route missing here needs a declaration in its resource folder's operations.ts (next to its others).
    const undocumented = served.filter((route) => !documented.includes(route));
    const notServed = documented.filter((route) => !served.includes(route));
    expect({ undocumented, notServed }).toEqual({ undocumented: [], notServed: [] });
  });

  test('declares one path parameter for each :name in a path, and no other', () => {
    for (const operation of OPERATIONS) {
      const inPath = [...operation.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]);
      expect({ route: label(operation), params: Object.keys(operation.params?.shape ?? {}) }).toEqual({
        route: label(operation),
        params: inPath,
      });
    }
  });

  test('every example in it validates against its JSON Schema (ajv, draft 2020-12)', () => {
    const examples = jsonExamples(document);
    expect(examples.length).toBeGreaterThan(30);
    const failures = examples.map((example) => ({ where: example.where, errors: jsonSchemaErrors(example.schema, example.value) }));
    expect(failures.filter((failure) => failure.errors.length)).toEqual([]);
  });

  test('every example validates against its zod schema', () => {
    const failures = zodSchemaExamples
      .map((example) => ({ where: example.where, result: example.schema.safeParse(example.value) }))
      .filter(({ result }) => !result.success)
      .map(({ where, result }) => ({ where, issues: result.error?.issues }));
    expect(failures).toEqual([]);
    expect(errorExamples.filter((body) => !errorSchema.safeParse(body).success)).toEqual([]);
  });

  test('holds exactly the examples of the zod schemas (none lost or added on the way)', () => {
    const inDocument = new Set(jsonExamples(document).map((example) => JSON.stringify(example.value)));
    const inZod = new Set([...zodSchemaExamples.map((example) => example.value), ...errorExamples].map((value) => JSON.stringify(value)));
    expect([...inDocument].sort()).toEqual([...inZod].sort());
  });

  test('names the required scope in the security requirement of every /v1 operation', () => {
    for (const operation of scoped) {
      const documented = document.paths[openApiPath(operation.path)]![operation.method]!;
      expect(documented.security).toEqual([{ apiKey: [operation.scope] }]);
      expect(SCOPES).toContain(operation.scope);
    }
  });

  test('is served at /openapi.json, and the docs page renders it with assets served locally', async () => {
    const served = await call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.json()).toEqual(JSON.parse(JSON.stringify(document)));

    const page = await call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="(docs\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(3);
    for (const asset of assets) expect((await call('GET', `/${asset}`)).status).toBe(200);
    expect(page.text).toContain("url: 'openapi.json'");
    expect((await call('GET', '/docs/assets/package.json')).status).toBe(404);
  });
});

describe('what the document says a route requires is what the route enforces', () => {
  test.each(scoped.map((operation) => [label(operation), operation] as const))(
    '%s refuses a key without its documented scope',
    async (_label, operation) => {
      const key = keyWithout(operation);
      const response = await call(operation.method.toUpperCase(), urlOf(operation), {
        Authorization: `Bearer ${key}`,
        'Idempotency-Key': `contract-${Math.random()}`,
      });
      expect(response.status).toBe(403);
      expect(response.json().error).toMatchObject({
        code: 'missing_scope',
        fields: [{ field: 'Authorization', message: `needs scope ${operation.scope}` }],
      });
      expect(jsonSchemaErrors(component('Error'), response.json())).toEqual([]);
    },
  );

  test.each(OPERATIONS.map((operation) => [label(operation), operation] as const))(
    '%s needs an Idempotency-Key exactly when the document says so',
    async (_label, operation) => {
      const documented = document.paths[openApiPath(operation.path)]![operation.method]!.parameters as { $ref?: string }[];
      expect(documented.some((parameter) => parameter.$ref === '#/components/parameters/IdempotencyKey')).toBe(
        needsIdempotencyKey(operation),
      );
      // Without a key of the route's scope the answer comes before any handler, so no database is needed.
      const response = await call(operation.method.toUpperCase(), urlOf(operation), { Authorization: `Bearer ${keyWithout(operation)}` });
      if (needsIdempotencyKey(operation)) expect(response.json().error.code).toBe('idempotency_key_missing');
      else expect(response.json()?.error?.code).not.toBe('idempotency_key_missing');
    },
  );

  test.each(authenticated.map((operation) => [label(operation), operation] as const))(
    '%s refuses a request without a key (401)',
    async (_label, operation) => {
      const response = await call(operation.method.toUpperCase(), urlOf(operation));
      expect(response.status).toBe(401);
      expect(response.json().error.code).toBe('api_key_missing');
      expect(jsonSchemaErrors(component('Error'), response.json())).toEqual([]);
    },
  );

  test('operations documented as needing any key but no scope answer a key with an unrelated scope', async () => {
    const anyKey = OPERATIONS.filter((operation) => operation.scope === 'any_key');
    for (const operation of anyKey) {
      const response = await call('GET', urlOf(operation), { Authorization: `Bearer ${keyWithout(operation)}` });
      expect({ route: label(operation), status: response.status }).toEqual({ route: label(operation), status: 200 });
      const documented = document.paths[openApiPath(operation.path)]![operation.method]!.responses as Record<string, { content?: object }>;
      const schema = (documented['200']!.content as Record<string, { schema: JsonSchema }>)['application/json']!.schema;
      expect(jsonSchemaErrors(schema, response.json())).toEqual([]);
    }
  });

  test('public operations answer without a key', async () => {
    for (const operation of OPERATIONS.filter((candidate) => candidate.scope === 'public')) {
      expect({ route: label(operation), status: (await call('GET', urlOf(operation))).status }).toEqual({
        route: label(operation),
        status: 200,
      });
    }
    expect(jsonSchemaErrors(component('Health'), (await call('GET', '/health')).json())).toEqual([]);
  });

  test('the Idempotency-Key schema accepts exactly the keys api/http/idempotency.ts accepts', () => {
    const candidates = ['a', 'x'.repeat(255), 'x'.repeat(256), '', 'has space', 'tab\t', 'ünïcode', '3f1c2a9e-7b7d-4c1e', '!~"#', '\u007f'];
    for (const key of candidates) {
      const accepted = (() => {
        try {
          checkIdempotencyKey(key);
          return true;
        } catch {
          return false;
        }
      })();
      expect({ key, documented: idempotencyKeyHeader.safeParse(key).success }).toEqual({ key, documented: accepted });
    }
  });

  test('X-Request-Id is never refused, and echoed exactly when it matches the documented pattern', async () => {
    for (const id of ['req_1', 'a'.repeat(64), 'a'.repeat(65), 'with space', 'ok.id:1@host-x', 'semi;colon', '']) {
      const response = await call('GET', '/health', { 'X-Request-Id': id });
      expect(requestIdHeader.safeParse(id).success).toBe(true);
      expect({ id, status: response.status, echoed: response.headers.get('x-request-id') === id }).toEqual({
        id,
        status: 200,
        echoed: ECHOED_REQUEST_ID.test(id),
      });
    }
  });
});

const decimal = (value: string) => ({ toFixed: () => value }) as unknown as Payout['amount'];

function payoutRow(overrides: Partial<Payout> = {}): Payout {
  const at = new Date('2026-11-21T10:00:00.000Z');
  return {
    id: 'po_01jd5x3k7q8w2m4n6p9r0s1t2v',
    accountId: 'acct_demo',
    externalId: null,
    idempotencyKey: 'k1',
    workflowId: 'payout-po_01jd5x3k7q8w2m4n6p9r0s1t2v',
    controls: [],
    amount: decimal('25500000'),
    asset: 'USDC',
    network: 'local',
    destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    purpose: 'Invoice',
    createdBy: 'api',
    program: '',
    status: 'in_progress',
    statusChangedAt: at,
    statusSeq: 1,
    approvalsRequired: 0,
    approvedBy: [],
    approvalPolicyId: null,
    approvalPolicyVersion: 0,
    inputAmount: null,
    inputCurrency: null,
    debitAmount: null,
    debitAsset: null,
    rateInputToSending: null,
    rateSendingToDebit: null,
    rateSource: null,
    serviceFee: null,
    conversionFee: null,
    quoteExpiresAt: null,
    attention: null,
    failureCode: null,
    failureReason: null,
    txHash: null,
    blockNumber: null,
    confirmations: null,
    gasUsed: null,
    networkFee: null,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    callbackUrl: null,
    fiatAmount: null,
    fiatCurrency: null,
    fiatRate: null,
    fiatRateAsOf: null,
    ...overrides,
  };
}

describe('the response schemas fit what the API builds', () => {
  const payouts: Record<string, Payout> = {
    'a bare payout (older row, no quote fields)': payoutRow(),
    'a converted, approved, completed payout': payoutRow({
      status: 'completed',
      program: 'creators',
      externalId: 'inv-1',
      approvalsRequired: 1,
      approvedBy: ['alice'],
      approvalPolicyId: 'ap_1',
      approvalPolicyVersion: 3,
      amount: decimal('36000000000000000'),
      asset: 'ETH',
      inputAmount: decimal('10000'),
      inputCurrency: 'EUR',
      debitAmount: decimal('108540000'),
      debitAsset: 'USDC',
      rateInputToSending: '0.00036',
      rateSendingToDebit: '3000',
      rateSource: 'static',
      serviceFee: decimal('0'),
      conversionFee: decimal('540000'),
      quoteExpiresAt: new Date('2026-11-21T10:01:00.000Z'),
      txHash: '0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060',
      blockNumber: 1042n,
      confirmations: 2,
      gasUsed: decimal('21000'),
      networkFee: decimal('42000000000000'),
      completedAt: new Date('2026-11-21T10:00:14.000Z'),
    }),
    'a failed payout waiting for funds before': payoutRow({
      status: 'failed',
      failureCode: 'funding_timeout',
      failureReason: 'no funds in 24 h',
    }),
    'a payout waiting for funds': payoutRow({ attention: 'insufficient_funds' }),
  };

  test.each(Object.entries(payouts))('payoutView of %s', (_name, row) => {
    const view = JSON.parse(JSON.stringify(payoutView(row, registry)));
    expect(payoutSchema.safeParse(view).error?.issues).toBeUndefined();
    expect(jsonSchemaErrors(component('Payout'), view)).toEqual([]);
  });

  test('policyView', () => {
    const row: ApprovalPolicy = {
      id: 'ap_1',
      accountId: 'acct_demo',
      program: '',
      version: 1,
      rules: { USDC: [{ below: '1000', approvals: 0 }, { approvals: 1 }] },
      createdBy: 'admin',
      createdAt: new Date('2026-11-21T09:00:00.000Z'),
    };
    const view = JSON.parse(JSON.stringify(policyView(row)));
    expect(approvalPolicySchema.safeParse(view).error?.issues).toBeUndefined();
    expect(jsonSchemaErrors(component('ApprovalPolicy'), view)).toEqual([]);
  });

  test('the currency registry', () => {
    const currencies = registry.currencies();
    expect(currencies.length).toBeGreaterThan(1);
    for (const currency of currencies) expect(currencySchema.safeParse(currency).error?.issues).toBeUndefined();
    expect(jsonSchemaErrors(component('CurrencyList'), { object: 'list', data: currencies })).toEqual([]);
  });
});
