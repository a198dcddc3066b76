/**
 * `npm test`: starts the real servers the tests need (PostgreSQL, the Temporal dev
 * server, three anvil chains, local-kms), runs every jest test against them, stops them, and prints
 * one summary line. Extra arguments go to jest: `npm test -- api/`.
 * DATABASE_URL, when set, is used instead of a throwaway PostgreSQL cluster.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServers } from './stack/test-servers';

const root = join(__dirname, '..');
const log = (message: string) => console.log(`[test] ${message}`);

interface Stoppable {
  stop(): Promise<void>;
}

interface JestSummary {
  passed: number;
  failed: number;
  skipped: number;
}

function runJest(args: string[], env: NodeJS.ProcessEnv, resultFile: string): Promise<{ code: number; summary: JestSummary }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...args, '--json', `--outputFile=${resultFile}`], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    child.on('exit', (code) => {
      let summary: JestSummary = { passed: 0, failed: 0, skipped: 0 };
      try {
        const result = JSON.parse(readFileSync(resultFile, 'utf8'));
        summary = { passed: result.numPassedTests, failed: result.numFailedTests, skipped: result.numPendingTests + result.numTodoTests };
      } catch {
        summary.failed = 1; // jest died before writing results
      }
      resolve({ code: code ?? 1, summary });
    });
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const jestArgs = process.argv.slice(2);
  const running: Stoppable[] = [];
  // A Ctrl-C reaches us twice (from the terminal and through scripts/run.js): stop once.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const server of running.reverse()) await server.stop().catch(() => undefined);
    })());
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)));

  mkdirSync(join(root, '.data'), { recursive: true });
  const runDir = mkdtempSync(join(root, '.data', 'test-run-'));
  let keepLogs = false;
  try {
    const servers = await startTestServers({ runDir, log });
    running.push(servers);
    log(`servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const env = servers.env;
    const unit = await runJest(['--selectProjects', 'unit', '--passWithNoTests', ...jestArgs], env, join(runDir, 'unit.json'));
    // Integration tests share one treasury wallet and chain, so they run one file at a time.
    const integration = await runJest(
      ['--selectProjects', 'integration', '--runInBand', '--testTimeout=180000', '--passWithNoTests', ...jestArgs],
      env,
      join(runDir, 'integration.json'),
    );

    const passed = unit.summary.passed + integration.summary.passed;
    const failed = unit.summary.failed + integration.summary.failed;
    const skipped = unit.summary.skipped + integration.summary.skipped;
    log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    const ok = unit.code === 0 && integration.code === 0;
    if (!ok) {
      keepLogs = true;
      log(`server logs kept in ${runDir}`);
    }
    return ok ? 0 : 1;
  } catch (error) {
    console.error(`[test] could not run the tests: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`[test] server logs are kept in ${runDir}`);
    keepLogs = true;
    return 1;
  } finally {
    await stopAll();
    if (!keepLogs && !process.env.KEEP_TEST_DATA) rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
