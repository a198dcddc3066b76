/**
 * Benchmark: how long does accepting a mass payout file take? Parses and validates generated valid CSV files
 * (domain/mass-payout-csv.ts) and the same items as JSON (domain/mass-payout-items.ts) of 10,000 and 100,000 rows,
 * and prints ms and rows/s per run. Pure CPU: needs nothing running.
 *
 *   npx tsx bench/csv-validate.ts
 *
 * Knobs (env): BENCH_ROWS [10000,100000], BENCH_RUNS [3] (the best and the median are printed; the first run
 * includes JIT warm-up).
 */
import { randomBytes } from 'node:crypto';
import { checksumLowerHex } from '../domain/eip55';
import { validateCsv } from '../domain/mass-payout-csv';
import { validateItems, type ValidateItemsOptions } from '../domain/mass-payout-items';

const ROWS = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OPTIONS: ValidateItemsOptions = { asset: { symbol: 'USDC', decimals: 6 }, maxItems: 1_000_000 };

interface Row {
  address: string;
  amount: string;
  reference: string;
  memo: string;
}

/** Realistic rows: distinct recipients, half checksummed and half lowercase, and a memo that needs quoting now and then. */
function generateRows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => {
    // Generation only; domain/eip55.test.ts checks checksumLowerHex against viem.
    const hex = randomBytes(20).toString('hex');
    return {
      address: i % 2 ? checksumLowerHex(hex) : `0x${hex}`,
      amount: `${1 + (i % 5000)}.${String(i % 1_000_000).padStart(6, '0')}`,
      reference: `payroll-2026-11/${i}`,
      memo: i % 10 === 0 ? `"November salary, ""team ${i % 7}"""` : `November salary ${i}`,
    };
  });
}

function toCsv(rows: Row[]): Buffer {
  const lines = rows.map((row) => `${row.address},${row.amount},${row.reference},${row.memo}`);
  return Buffer.from(`\uFEFFaddress,amount,reference,memo\r\n${lines.join('\r\n')}\r\n`, 'utf8');
}

function toJson(rows: Row[]): unknown[] {
  // What express.json() would hand the route: parsed from text, memos unquoted.
  const items = rows.map((row) => ({ ...row, memo: row.memo.startsWith('"') ? row.memo.slice(1, -1).replaceAll('""', '"') : row.memo }));
  return JSON.parse(JSON.stringify(items)) as unknown[];
}

function time(run: () => { ok: boolean }): number {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!result.ok)
    throw new Error(`a generated file was refused: ${JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return ms;
}

function summarize(label: string, rows: number, bytes: number | null, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const best = sorted[0]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const size = bytes === null ? '' : ` ${(bytes / 1e6).toFixed(1)} MB`;
  console.log(
    `${label.padEnd(5)} ${rows.toLocaleString('en-US').padStart(9)} rows${size.padEnd(8)}  best ${best.toFixed(0).padStart(5)} ms ` +
      `(${Math.round(rows / (best / 1000)).toLocaleString('en-US')} rows/s)  median ${median.toFixed(0).padStart(5)} ms  runs: ${samples.map((ms) => ms.toFixed(0)).join(', ')}`,
  );
}

function main(): void {
  console.log(`node ${process.version}, ${RUNS} runs per row, each on fresh addresses (no checksum cache helps)`);
  for (const count of ROWS) {
    const csvSamples: number[] = [];
    const jsonSamples: number[] = [];
    let bytes = 0;
    for (let run = 0; run < RUNS; run++) {
      const rows = generateRows(count);
      const csv = toCsv(rows);
      bytes = csv.length;
      csvSamples.push(time(() => validateCsv(csv, OPTIONS)));
      const json = toJson(rows);
      jsonSamples.push(time(() => validateItems(json, OPTIONS)));
    }
    summarize('csv', count, bytes, csvSamples);
    summarize('json', count, null, jsonSamples);
  }
}

main();
