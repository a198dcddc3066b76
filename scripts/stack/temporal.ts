/**
 * The Temporal dev server (`temporal server start-dev`, SQLite-backed) with our
 * custom search attributes registered, for the dev stack and the test runner.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { assertPortFree, type ManagedProcess, sleep, spawnManaged, startupError, waitForPort } from './process';
import { ensureGoBinary } from './go-binary';
import { runCommand } from './run-command';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

type Log = (msg: string) => void;

/** Path of a `temporal` CLI: $TEMPORAL_BIN, then PATH, then our cache, else built once with `go install`. */
export function ensureTemporalBinary(log: Log): Promise<string> {
  return ensureGoBinary(
    {
      name: 'temporal',
      label: 'Temporal CLI',
      usedBy: 'npm start',
      module: TEMPORAL_CLI_MODULE,
      envVar: 'TEMPORAL_BIN',
      fromPath: true,
      alternatives: ['install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH'],
    },
    log,
  );
}

export interface StartTemporalOptions {
  binary: string;
  /** SQLite file; reused across restarts so workflows survive. */
  dbFile: string;
  port: number;
  uiPort: number;
  logFile: string;
  log: Log;
}

export interface TemporalServer {
  /** gRPC address for clients and workers, host:port. */
  address: string;
  uiUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

const NAMESPACE = 'default';
const READY_TIMEOUT_MS = 90_000;

export async function startTemporal(options: StartTemporalOptions): Promise<TemporalServer> {
  const { binary, dbFile, port, uiPort, logFile, log } = options;
  fs.mkdirSync(path.dirname(path.resolve(dbFile)), { recursive: true });
  const address = `127.0.0.1:${port}`;
  await assertPortFree('127.0.0.1', port, 'temporal');
  await assertPortFree('127.0.0.1', uiPort, 'temporal ui');
  assertDbFileUnused(dbFile);
  const started = Date.now();

  const flags: [string, string][] = [
    ['--db-filename', dbFile],
    ['--sqlite-pragma', 'journal_mode=WAL'],
    ['--port', String(port)],
    ['--ui-port', String(uiPort)],
    ['--ip', '127.0.0.1'],
    ['--namespace', NAMESPACE],
    ['--log-level', 'warn'],
    // Attributes registered after boot (see waitForNamespace) are then usable at once, not after a cache refresh.
    ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true'],
    ...Object.entries(SEARCH_ATTRIBUTES).map(([name, type]): [string, string] => ['--search-attribute', `${name}=${type}`]),
  ];
  const args = ['server', 'start-dev', ...flags.flat()];
  const child = spawnManaged('temporal', binary, args, { logFile });
  try {
    await waitForPort('127.0.0.1', port, { timeoutMs: READY_TIMEOUT_MS, process: child, logFile });
    await waitForNamespace(binary, address, child, logFile, started + READY_TIMEOUT_MS, log);
  } catch (error) {
    await child.stop();
    throw explainLockedDb(error as Error, dbFile);
  }
  log(`temporal ready at ${address} (ui http://127.0.0.1:${uiPort}) in ${Date.now() - started} ms`);
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, process: child, stop: child.stop };
}

/**
 * Two dev servers happily share one SQLite file (WAL) and then fight over its
 * shards, e.g. when `npm start` runs twice. Linux only (reads /proc); elsewhere skipped.
 */
function assertDbFileUnused(dbFile: string): void {
  const pid = devServerUsing(path.resolve(dbFile));
  if (pid !== undefined) {
    throw new Error(
      `A Temporal dev server (pid ${pid}) is already running on ${path.resolve(dbFile)}.\n` +
        `Next step: stop it (kill ${pid}) or use another db file.`,
    );
  }
}

function devServerUsing(target: string): string | undefined {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  return pids.find((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const index = argv.findIndex((arg) => arg === '--db-filename' || arg === '-f');
      const file = argv.includes('start-dev') && index >= 0 ? argv[index + 1] : undefined;
      return file !== undefined && path.resolve(fs.readlinkSync(`/proc/${pid}/cwd`), file) === target;
    } catch {
      return false; // exited meanwhile, or not ours to read
    }
  });
}

/** SQLite allows one server per file; the usual culprit is a leftover dev server from an earlier run. */
function explainLockedDb(error: Error, dbFile: string): Error {
  if (!/database is locked|SQLITE_BUSY/.test(error.message)) return error;
  return new Error(
    `${error.message}\nAnother Temporal server is still using ${dbFile}. ` +
      `Next step: stop it (\`ps aux | grep '${path.basename(dbFile)}'\`, then kill that pid) and start again.`,
  );
}

/**
 * The gRPC port opens before the namespace and search attributes are usable.
 * Also: on an existing dbFile, start-dev silently skips --search-attribute, so
 * attributes added to SEARCH_ATTRIBUTES since the db was created are registered here.
 */
async function waitForNamespace(
  binary: string,
  address: string,
  child: ManagedProcess,
  logFile: string,
  deadline: number,
  log: Log,
): Promise<void> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  let lastProblem = '';
  for (;;) {
    if (exited) throw startupError('temporal exited while starting up', logFile);
    if (Date.now() > deadline) {
      throw startupError(`temporal namespace "${NAMESPACE}" not usable in time: ${lastProblem}`, logFile);
    }
    const listed = await listCustomAttributes(binary, address);
    if (typeof listed === 'string') {
      lastProblem = listed;
      await sleep(250);
      continue;
    }
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in listed));
    assertTypesMatch(listed);
    if (missing.length === 0) return;
    log(`temporal: registering search attributes ${missing.map(([name]) => name).join(', ')}`);
    lastProblem = await createAttributes(binary, address, missing);
    if (lastProblem) await sleep(250);
  }
}

/** Custom attributes as name -> server type (e.g. INDEXED_VALUE_TYPE_KEYWORD), or the failure text. */
async function listCustomAttributes(binary: string, address: string): Promise<Record<string, string> | string> {
  const result = await runCommand(binary, ['operator', 'search-attribute', 'list', ...cliTarget(address), '--output', 'json'], {
    timeoutMs: 10_000,
  });
  if (result.code !== 0) return result.output.trim().split('\n').slice(-3).join(' ');
  try {
    const parsed = JSON.parse(result.output) as { customAttributes?: Record<string, string> };
    return parsed.customAttributes ?? {};
  } catch {
    return `unexpected output from search-attribute list: ${result.output.slice(0, 200)}`;
  }
}

/** An attribute registered with another type cannot be changed in place; say how to recover. */
function assertTypesMatch(listed: Record<string, string>): void {
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    const actual = listed[name];
    if (actual === undefined) continue;
    const expected = 'INDEXED_VALUE_TYPE_' + type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    if (actual !== expected) {
      throw new Error(
        `Temporal search attribute ${name} is ${actual} in the existing database but domain/search-attributes.ts says ${type}.\n` +
          'Next step: stop the stack and delete the Temporal db file (dev data only) so it is recreated.',
      );
    }
  }
}

async function createAttributes(binary: string, address: string, missing: [string, string][]): Promise<string> {
  for (const [name, type] of missing) {
    const result = await runCommand(
      binary,
      ['operator', 'search-attribute', 'create', ...cliTarget(address), '--name', name, '--type', type],
      { timeoutMs: 10_000 },
    );
    if (result.code !== 0) return `creating search attribute ${name}: ${result.output.trim()}`;
  }
  return '';
}

/** Point the CLI at our server only; a developer's temporal.toml or TEMPORAL_* env must not redirect it. */
function cliTarget(address: string): string[] {
  return ['--address', address, '--namespace', NAMESPACE, '--disable-config-file', '--disable-config-env'];
}
