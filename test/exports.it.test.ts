/**
 * GET /v1/exports/payouts: 100,000 payouts streamed as CSV with flat memory, the JSON form
 * validated row by row, failed and canceled payouts included, CSV escaping, accounts isolated.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payoutExportRowSchema, PAYOUT_EXPORT_COLUMNS } from '../api/exports/schemas';
import { startApiProcess } from './support/chaos';
import { api, startEngine, type Engine } from './support/harness';
import { parseCsv } from './support/csv';

let engine: Engine;
const account = `acct_export_${Date.now().toString(36)}`;
const ROWS = 100_000;
const HEAP_LIMIT_MB = 96;
let head = '';

/** The process and its descendants (tsx runs the server in a child node process). */
function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children.flatMap(processTree)];
}

/** Resident memory now and at its peak (VmHWM) of the largest process in the tree, from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const read = (one: number) => {
    const status = readFileSync(`/proc/${one}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  };
  const all = processTree(pid).map(read);
  return { rssMb: Math.max(...all.map((m) => m.rssMb)), peakRssMb: Math.max(...all.map((m) => m.peakRssMb)) };
}

beforeAll(async () => {
  engine = await startEngine();
  // Seeded in SQL: creating 100,000 payouts through workflows would test the workflows, not the export.
  await engine.db.$executeRaw`
    INSERT INTO payouts (id, account_id, external_id, idempotency_key, workflow_id, amount, asset, network, destination, purpose,
                         created_by, status, status_seq, failure_code, failure_reason, tx_hash, block_number, confirmations,
                         gas_used, network_fee, created_at, status_changed_at, completed_at)
    SELECT 'po_exp_' || ${account} || '_' || lpad(i::text, 6, '0'), ${account}, 'ext-' || i, 'key-' || i, 'payout-exp-' || i,
           (i * 1000)::numeric, 'USDC', 'local', '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
           CASE WHEN i = 2 THEN '=HYPERLINK("http://evil")' ELSE 'payroll ' || i END,
           'clerk',
           CASE WHEN i % 10 = 0 THEN 'failed' WHEN i % 10 = 1 THEN 'canceled' ELSE 'completed' END, 3,
           CASE WHEN i % 10 = 0 THEN 'simulation_reverted' END,
           CASE WHEN i % 10 = 0 THEN 'token said "blocked", refused' || chr(10) || 'second line' END,
           CASE WHEN i % 10 > 1 THEN '0x' || lpad(to_hex(i), 64, '0') END,
           CASE WHEN i % 10 > 1 THEN i END, CASE WHEN i % 10 > 1 THEN 2 END,
           CASE WHEN i % 10 > 1 THEN 50000 END, CASE WHEN i % 10 > 1 THEN 50000000000000 END,
           timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' + i * interval '1 second',
           CASE WHEN i % 10 > 1 THEN timestamp '2026-01-01' + i * interval '1 second' END
    FROM generate_series(1, ${ROWS}) AS i`;
}, 120_000);

afterAll(async () => {
  if (!engine) return;
  await engine.db.$executeRaw`DELETE FROM payouts WHERE account_id = ${account}`;
  await engine.stop();
});

it('streams 100,000 payouts as CSV with flat memory, failed and canceled included', async () => {
  const token = await engine.keyFor(account, 'finance', ['exports:read']);
  // The API as its own process with a small heap: an export held in memory (about 32 MB of text,
  // several times that as objects) would not fit, and its peak RSS is the memory number we report.
  const apiProcess = await startApiProcess({
    env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}` },
    cwd: join(__dirname, '..'),
    logFile: join(process.env.TEST_RUN_DIR ?? tmpdir(), 'export-api.log'),
    log: () => undefined,
  });
  try {
    const rssBefore = memoryOf(apiProcess.process.pid!).rssMb;
    const started = Date.now();
    const response = await fetch(`${apiProcess.url}/v1/exports/payouts`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="payouts-acct_export_/);

    // Read incrementally: keep only the first rows and count the rest, as a consumer of any size would.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let lineBreaks = 0;
    let rssAtTenth = 0;
    let chunks = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.length;
      const text = decoder.decode(value, { stream: true });
      if (head.length < 4_000) head += text;
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineBreaks++;
      if (rssAtTenth === 0 && lineBreaks >= ROWS / 10) rssAtTenth = memoryOf(apiProcess.process.pid!).rssMb;
    }
    const { peakRssMb, rssMb: rssAtEnd } = memoryOf(apiProcess.process.pid!);
    console.log(
      `export: ${ROWS} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB CSV in ${Date.now() - started} ms, ${chunks} chunks; ` +
        `API process RSS ${rssBefore.toFixed(0)} MB before, ${rssAtTenth.toFixed(0)} MB after 10% of the rows, ` +
        `${rssAtEnd.toFixed(0)} MB at the end, peak ${peakRssMb.toFixed(0)} MB (old-space limit ${HEAP_LIMIT_MB} MB)`,
    );
    // Header + one CRLF per row + the embedded line break in every 10th row's failure reason.
    expect(lineBreaks).toBe(1 + ROWS + ROWS / 10);
    expect(chunks).toBeGreaterThan(50);
    expect(apiProcess.exited()).toBe(false);
    // Flat: the last 90% of the rows add no more than a margin to what the first 10% needed.
    expect(rssAtEnd).toBeLessThan(rssAtTenth + 40);
  } finally {
    await apiProcess.stop();
  }

  const rows = parseCsv(head.slice(0, head.lastIndexOf('\r\npo_exp_') + 2));
  expect(rows[0]).toEqual(PAYOUT_EXPORT_COLUMNS);
  const byColumn = (row: string[]) => Object.fromEntries(PAYOUT_EXPORT_COLUMNS.map((column, i) => [column, row[i]]));
  const first = byColumn(rows[1]!);
  expect(first).toMatchObject({ payout_id: `po_exp_${account}_000001`, status: 'canceled', amount: '0.001', amount_units: '1000' });
  expect(byColumn(rows[2]!)).toMatchObject({ purpose: `'=HYPERLINK("http://evil")`, status: 'completed', network_fee: '0.00005' });
  expect(byColumn(rows[3]!)).toMatchObject({ fiat_amount: '', fiat_currency: '' }); // seeded without a rate: none is made up
});

it('exports JSON rows that match the documented schema, filtered by status and time', async () => {
  const token = await engine.keyFor(account, 'finance', ['exports:read']);
  const query = 'format=json&status=failed,canceled&created_from=2026-01-01T00:00:01Z&created_to=2026-01-01T00:00:31Z';
  const response = await api(engine, 'GET', `/v1/exports/payouts?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.body.object).toBe('list');
  // Seconds 1..30: i % 10 in {0, 1} -> 1, 10, 11, 20, 21, 30 (created_to is exclusive: 31 is out).
  expect(response.body.data.map((row: { payout_id: string }) => Number(row.payout_id.slice(-6)))).toEqual([1, 10, 11, 20, 21, 30]);
  for (const row of response.body.data) expect(payoutExportRowSchema.parse(row)).toEqual(row);
  expect(response.body.data[1]).toMatchObject({ status: 'failed', failure_code: 'simulation_reverted', tx_hash: null });
});

it('carries the fiat equivalent captured when the payout was created', async () => {
  const usdc = await api(engine, 'POST', '/v1/payouts', {
    headers: { 'X-Account-Id': `${account}_fiat` },
    body: { amount: '12.34', asset: 'USDC', network: 'local', destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', purpose: 'fiat' },
  });
  const eth = await api(engine, 'POST', '/v1/payouts', {
    headers: { 'X-Account-Id': `${account}_fiat` },
    body: {
      amount: '0.000001',
      asset: 'ETH',
      network: 'local',
      destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      purpose: 'fiat',
    },
  });
  const eur = await api(engine, 'POST', '/v1/payouts', {
    headers: { 'X-Account-Id': `${account}_fiat` },
    body: {
      amount: '10',
      currency: 'EUR',
      asset: 'USDC',
      network: 'local',
      destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      purpose: 'fiat',
    },
  });
  expect([usdc.status, eth.status, eur.status]).toEqual([201, 201, 201]);
  const fiatKey = await engine.keyFor(`${account}_fiat`, 'finance', ['exports:read']);
  const exported = await api(engine, 'GET', '/v1/exports/payouts?format=json', { headers: { Authorization: `Bearer ${fiatKey}` } });
  const byId = Object.fromEntries(exported.body.data.map((row: { payout_id: string }) => [row.payout_id, row]));
  // Rates from config/rates.json: USDC 1 USD, ETH 3000 USD (0.000001 ETH = 0.003 USD -> 0.00 half-even), EUR as requested.
  expect(byId[usdc.body.id]).toMatchObject({ fiat_amount: '12.34', fiat_currency: 'USD', fiat_rate: '1' });
  expect(byId[eth.body.id]).toMatchObject({ fiat_amount: '0', fiat_currency: 'USD', fiat_rate: '3000' });
  expect(byId[eur.body.id]).toMatchObject({ fiat_amount: '10', fiat_currency: 'EUR', fiat_rate: null });
});

it('needs exports:read, validates the query, and never shows another account', async () => {
  const noScope = await engine.keyFor(account, 'clerk', ['payouts:read']);
  const refused = await api(engine, 'GET', '/v1/exports/payouts', { headers: { Authorization: `Bearer ${noScope}` } });
  expect(refused.status).toBe(403);
  const bad = await api(engine, 'GET', '/v1/exports/payouts?format=xml&status=paid&created_from=yesterday', {
    headers: { 'X-Account-Id': account },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['created_from', 'format', 'status.0']);
  const other = await api(engine, 'GET', '/v1/exports/payouts?format=json', { headers: { 'X-Account-Id': `${account}_other` } });
  expect(other.body.data).toEqual([]);
});
