/**
 * Traces and JSON logs of the real processes (`api/server.ts` and `worker.ts`, as `npm start` runs them), exporting
 * over OTLP/HTTP to a collector this test runs: one payout's trace spans the API request, the Temporal client call, the
 * workflow, its activities, the database and the chain's RPC; an error answer carries its trace id; every log line is
 * JSON, names the payout, workflow, request and account it concerns and its trace, and holds no secret.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi, startWorker } from '../bench/engine-processes';
import type { ManagedProcess } from '../scripts/stack/process';
import { freePort } from '../scripts/stack/process';
import {
  api,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForMassPayout,
  waitForStatus,
  type Engine,
} from './support/harness';

jest.setTimeout(240_000);

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP trace receiver (JSON encoding, the exporter's default): what a collector would get. */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              const attributes = Object.fromEntries(
                (span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]),
              );
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind,
                attributes,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const { key, address: treasury } = newTreasury();
let engine: Engine;
let collector: Awaited<ReturnType<typeof startCollector>>;
let apiProcess: ManagedProcess;
let workerProcess: ManagedProcess;
let viaProcesses: Engine;
let runDir: string;

beforeAll(async () => {
  // The harness gives the database, the chain helpers and API keys; the payouts run in the two child processes, on
  // their own task queue and treasury.
  engine = await startEngine();
  collector = await startCollector();
  runDir = mkdtempSync(path.join(tmpdir(), 'tracing-'));
  await setEthBalance(engine, 'local', treasury, '10');
  await mintUsdc(engine, treasury, 1_000_000_000n);
  const port = await freePort();
  const env = {
    ...process.env,
    TEMPORAL_TASK_QUEUE: `tracing-${Date.now().toString(36)}`,
    TREASURY_PRIVATE_KEY: key,
    RATE_LIMIT_PER_MINUTE: '100000',
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    // Spans leave every 200 ms, not every 5 s: the test waits for them.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  [workerProcess, apiProcess] = await Promise.all([startWorker(env, runDir), startApi(env, runDir, port)]);
  viaProcesses = { ...engine, apiUrl: `http://127.0.0.1:${port}` };
});

afterAll(async () => {
  await Promise.all([apiProcess?.stop(), workerProcess?.stop()]);
  await collector?.close();
  await engine?.stop();
});

/** Waits until the spans of one trace satisfy `done`. */
async function traceOf(traceId: string, done: (spans: ExportedSpan[]) => boolean): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 30_000;
  let spans: ExportedSpan[] = [];
  while (Date.now() < deadline) {
    spans = collector.spans.filter((span) => span.traceId === traceId);
    if (done(spans)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return spans;
}

const logLines = (file: string) =>
  readFileSync(path.join(runDir, file), 'utf8')
    .split('\n')
    // spawnManaged's header line; a child's stray native line would fail the JSON check below.
    .filter((line) => line.trim() !== '' && !line.startsWith('--- '));

let payoutId: string;
let payoutTraceId: string;
let massPayoutId: string;
let massTraceId: string;
const account = `acct_trace_${Date.now().toString(36)}`;

it("a payout's trace runs from the API request through the workflow and its activities to the database and the chain", async () => {
  const policy = await api(viaProcesses, 'POST', '/v1/approval-policies', {
    body: { rules: { ETH: [{ approvals: 0 }], USDC: [{ approvals: 0 }] } },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'admin' },
  });
  expect(policy.status).toBe(201);
  const created = await api(viaProcesses, 'POST', '/v1/payouts', {
    body: { amount: '0.01', asset: 'ETH', network: 'local', destination: randomAddress(), purpose: 'tracing' },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'clerk' },
  });
  expect(created.status).toBe(201);
  payoutId = created.body.id;
  payoutTraceId = created.headers.get('x-trace-id')!;
  expect(payoutTraceId).toMatch(/^[0-9a-f]{32}$/);
  await waitForStatus(viaProcesses, payoutId, ['completed'], 120_000, { 'X-Account-Id': account });

  // The workflow's own spans reach the exporter once its run ends, after the activities'.
  const spans = await traceOf(payoutTraceId, (found) =>
    ['RunWorkflow:', 'RunActivity:', 'rpc ', 'pg.query'].every((prefix) =>
      found.some((s) => s.service === 'payout-engine-worker' && s.name.startsWith(prefix)),
    ),
  );
  const names = spans.map((span) => `${span.service}: ${span.name}`);
  // The API: the HTTP server span (kind 2 = SERVER), express's route, and the Temporal client's start.
  expect(spans.some((s) => s.service === 'payout-engine-api' && s.kind === 2)).toBe(true);
  expect(names).toContain('payout-engine-api: StartWorkflow:payoutWorkflow');
  // The worker: the workflow run and its activities, joined to the request's trace by Temporal's headers.
  expect(names).toContain('payout-engine-worker: RunWorkflow:payoutWorkflow');
  const activities = spans.filter((s) => s.service === 'payout-engine-worker' && s.name.startsWith('RunActivity:'));
  expect(activities.length).toBeGreaterThanOrEqual(3);
  // Inside the activities: the database (pg) and the chain (the RPC transport).
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const underActivity = (span: ExportedSpan) => {
    for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
      if (parent.name.startsWith('RunActivity:')) return true;
    }
    return false;
  };
  const database = spans.filter((s) => s.service === 'payout-engine-worker' && s.attributes['db.system'] === 'postgresql');
  expect(database.some(underActivity)).toBe(true);
  const rpc = spans.filter((s) => s.service === 'payout-engine-worker' && s.attributes['rpc.system'] === 'jsonrpc');
  expect(rpc.some(underActivity)).toBe(true);
  // What a span holds: the statement and the method, never a parameter (a signed transaction, a key).
  expect(JSON.stringify(spans)).not.toContain(key.slice(2));
});

it("a mass payout's trace runs into its workflow, its chunks and their deliveries", async () => {
  const created = await api(viaProcesses, 'POST', '/v1/mass-payouts', {
    body: {
      network: 'local',
      asset: 'USDC',
      purpose: 'tracing batch',
      items: [1, 2, 3].map(() => ({ address: randomAddress(), amount: '1.5' })),
    },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'clerk' },
  });
  expect(created.status).toBe(201);
  massPayoutId = created.body.id;
  massTraceId = created.headers.get('x-trace-id')!;
  const done = await waitForMassPayout(viaProcesses, massPayoutId, { headers: { 'X-Account-Id': account } });
  expect(done.status).toBe('completed');
  const spans = await traceOf(massTraceId, (found) =>
    ['RunWorkflow:massPayoutWorkflow', 'RunWorkflow:massPayoutChunkWorkflow', 'rpc eth_sendRawTransaction'].every((name) =>
      found.some((s) => s.name === name),
    ),
  );
  const names = new Set(spans.map((span) => span.name));
  expect(names).toContain('StartWorkflow:massPayoutWorkflow');
  expect(names).toContain('RunWorkflow:massPayoutWorkflow');
  expect(names).toContain('RunWorkflow:massPayoutChunkWorkflow');
  expect(names).toContain('rpc eth_sendRawTransaction');
});

it('an error answer carries its trace id next to the request id', async () => {
  const refused = await api(viaProcesses, 'POST', '/v1/payouts', {
    body: { amount: '-1', asset: 'ETH', network: 'local', destination: 'nope' },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'clerk' },
  });
  expect(refused.status).toBe(400);
  expect(refused.body.error.request_id).toBe(refused.headers.get('x-request-id'));
  expect(refused.body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(refused.body.error.trace_id).toBe(refused.headers.get('x-trace-id'));
  const spans = await traceOf(refused.body.error.trace_id, (found) => found.some((s) => s.service === 'payout-engine-api'));
  expect(spans.length).toBeGreaterThan(0);
});

it('every log line is JSON, names what it concerns and its trace, and holds no secret', async () => {
  const api = logLines('api.log').map((line) => JSON.parse(line));
  const worker = logLines('worker.log').map((line) => JSON.parse(line));
  expect(api.every((entry) => entry.service === 'api' && typeof entry.level === 'string' && typeof entry.time === 'string')).toBe(true);
  expect(worker.every((entry) => entry.service === 'worker')).toBe(true);
  // The create request's line: request id, account, actor, the payout, its workflow and the trace.
  const createLine = api.find((entry) => entry.route === '/v1/payouts' && entry.method === 'POST' && entry.status === 201);
  expect(createLine).toMatchObject({
    component: 'http',
    account_id: account,
    actor: 'clerk',
    payout_id: payoutId,
    workflow_id: `payout-${payoutId}`,
    trace_id: payoutTraceId,
  });
  expect(createLine.request_id).toMatch(/^req_/);
  // A later read of it names it too.
  expect(api.some((entry) => entry.route === '/v1/payouts/:id' && entry.payout_id === payoutId)).toBe(true);
  // The worker's lines about the payout: each status change, written by its activity, with the payout, the account,
  // the workflow and the trace the activity joined.
  const statusLines = worker.filter((entry) => entry.payout_id === payoutId && entry.status);
  expect(statusLines.map((entry) => entry.status)).toEqual(expect.arrayContaining(['processing', 'completed']));
  for (const entry of statusLines) {
    expect(entry).toMatchObject({ account_id: account, workflow_id: `payout-${payoutId}`, trace_id: payoutTraceId });
  }
  // The batch's lines: the create request, and each status change with the batch, the account and its trace.
  expect(api.find((entry) => entry.route === '/v1/mass-payouts' && entry.status === 201)).toMatchObject({
    mass_payout_id: massPayoutId,
    workflow_id: `mass-payout-${massPayoutId}`,
    account_id: account,
  });
  const massLines = worker.filter((entry) => entry.mass_payout_id === massPayoutId && entry.status);
  expect(massLines.map((entry) => entry.status)).toContain('completed');
  for (const entry of massLines) expect(entry).toMatchObject({ account_id: account, trace_id: massTraceId });
  // No secret in any line: the treasury key (with or without 0x) and the API keys the test used.
  const text = [...logLines('api.log'), ...logLines('worker.log')].join('\n').toLowerCase();
  expect(text).not.toContain(key.slice(2).toLowerCase());
  const token = (await engine.keyFor(account, 'clerk')).toLowerCase();
  expect(text).not.toContain(token);
});
