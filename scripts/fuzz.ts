/**
 * `npm run fuzz`: fuzzes the API from its own OpenAPI document with schemathesis. Starts the
 * servers `npm test` uses and the engine in-process (API + worker), creates an API key with every
 * scope, runs schemathesis against /openapi.json, prints how many requests were sent and how many
 * got a 5xx. Exits non-zero on any 5xx or failed check.
 * Options (environment): FUZZ_MAX_EXAMPLES (per operation and phase, default 100), FUZZ_SEED,
 * FUZZ_WORKERS (default 2).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../test/support/harness';
import { countingProxy, type CountingProxy } from './fuzz/counting-proxy';
import { ensureSchemathesis } from './fuzz/schemathesis';
import { startTestServers, type TestServers } from './stack/test-servers';

const root = join(__dirname, '..');
const log = (message: string) => console.log(`[fuzz] ${message}`);

/**
 * The checks that judge single requests. Left out: positive_data_acceptance (a schema-valid body
 * still meets the registry's checks: an unknown asset is a 400 by design) and the stateful ones
 * (the document declares no links).
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'missing_required_header',
  'ignored_auth',
  'unsupported_method',
];

function runSchemathesis(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cli, args, { env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  mkdirSync(join(root, '.data'), { recursive: true });
  const runDir = mkdtempSync(join(root, '.data', 'fuzz-run-'));
  let servers: TestServers | undefined;
  let engine: Engine | undefined;
  let proxy: CountingProxy | undefined;
  let keepLogs = true;
  const stop = async () => {
    await proxy?.close().catch(() => undefined);
    await engine?.stop().catch(() => undefined);
    await servers?.stop();
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const { startEngine } = await import('../test/support/harness');
    const { createApiKey, SCOPES } = await import('../lib/api-keys');
    const cli = await ensureSchemathesis(log);
    servers = await startTestServers({ runDir, log });
    const overrides = Object.fromEntries(Object.entries(servers.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    engine = await startEngine(overrides);
    // A limit far above what the fuzzer sends: rate limiting has its own tests, and 429s would hide the routes.
    const key = await createApiKey(engine.db, { accountId: 'acct_fuzz', actor: 'fuzzer', scopes: SCOPES, rateLimitPerMinute: 10_000_000 });
    proxy = await countingProxy(engine.apiUrl);
    log(`API at ${engine.apiUrl}, counted through ${proxy.url}`);

    const args = [
      '--config-file',
      join(__dirname, 'fuzz', 'schemathesis.toml'),
      'run',
      `${proxy.url}/openapi.json`,
      '--checks',
      CHECKS.join(','),
      '--workers',
      process.env.FUZZ_WORKERS ?? '2',
      '--max-examples',
      process.env.FUZZ_MAX_EXAMPLES ?? '100',
      '--request-timeout',
      '30',
      '--report',
      'junit',
      '--report-dir',
      join(runDir, 'schemathesis'),
      ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
    ];
    const code = await runSchemathesis(cli, args, {
      ...process.env,
      SCHEMATHESIS_HOOKS: join(__dirname, 'fuzz', 'hooks.py'),
      PAYOUT_FUZZ_API_KEY: key.token,
    });
    const { requests, byStatus } = proxy.counts();
    const serverErrors = Object.entries(byStatus)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);
    log(`responses by status: ${JSON.stringify(byStatus)}`);
    console.log(`fuzz: ${requests} requests, ${serverErrors} 5xx, schemathesis exit code ${code}`);
    keepLogs = code !== 0 || serverErrors > 0;
    if (keepLogs) log(`server logs and the schemathesis report are kept in ${runDir}`);
    return serverErrors === 0 && code === 0 ? 0 : 1;
  } catch (error) {
    console.error(`[fuzz] could not run: ${error instanceof Error ? error.message : String(error)}`);
    log(`server logs are kept in ${runDir}`);
    return 1;
  } finally {
    await stop();
    if (!keepLogs) rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
