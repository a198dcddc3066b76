/**
 * A real PostgreSQL server on a private data dir and port (no system service,
 * no Docker), for the dev stack and the test runner. The in-process PGlite
 * alternative lives in embedded-postgres.ts and is re-exported here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRoot, lookupUser, type OsUser, prepareDirFor } from './os-user';
import { DATABASE_NAME, ensureDatabase, waitForPostgres } from './postgres-database';
import { assertPortFree, indent, spawnManaged, waitForPort } from './process';
import { runCommand } from './run-command';
import { isExecutable, which } from './which';

export { startEmbeddedPostgres, type StartEmbeddedPostgresOptions } from './embedded-postgres';

type Log = (msg: string) => void;

const REQUIRED = ['initdb', 'pg_ctl', 'postgres'] as const;
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** Bin dir holding initdb, pg_ctl and postgres; installs the distro package when root and missing. */
export async function ensurePostgresBinaries(log: Log): Promise<string> {
  const found = findPostgresBinDir();
  if (found) return found;

  if (isRoot() && which('apt-get')) {
    log('PostgreSQL server binaries not found; installing the postgresql package with apt-get (one time)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    log('apt-get update ...');
    const update = await runCommand('apt-get', ['update'], { env });
    if (update.code !== 0) throw aptError('apt-get update', update.output);
    log('apt-get install -y postgresql ...');
    const install = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env });
    if (install.code !== 0) throw aptError('apt-get install -y postgresql', install.output);
    const installed = findPostgresBinDir();
    if (installed) {
      log(`PostgreSQL installed: ${installed}`);
      return installed;
    }
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or on PATH.\n' +
      'Next step: install them (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql@16` ' +
      'and add its bin dir to PATH), or run the tests against the embedded database.',
  );
}

function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const versions = fs
      .readdirSync(DEBIAN_ROOT)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a)); // newest major first
    candidates.push(...versions.map((v) => path.join(DEBIAN_ROOT, v, 'bin')));
  } catch {
    // not a Debian layout
  }
  const initdb = which('initdb');
  if (initdb) candidates.push(path.dirname(fs.realpathSync(initdb)));
  return candidates.find((dir) => REQUIRED.every((name) => isExecutable(path.join(dir, name))));
}

function aptError(step: string, output: string): Error {
  const tail = output.trim().split('\n').slice(-20).join('\n');
  return new Error(
    `${step} failed:\n${indent(tail)}\nNext step: fix the apt error above (network, locks), or install PostgreSQL yourself.`,
  );
}

export interface StartPostgresOptions {
  /** Cluster directory; reused if it already holds a cluster, initialised if empty. */
  dataDir: string;
  port: number;
  logFile: string;
  log: Log;
  /** Skip durability (fsync etc.): fine for throwaway test clusters, never for data you keep. */
  fast?: boolean;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/payouts */
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
/** Unix socket paths are limited to ~107 bytes; beyond that the socket goes to /tmp. */
const MAX_SOCKET_DIR_LENGTH = 80;

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const { port, logFile, log, fast = false } = options;
  const dataDir = path.resolve(options.dataDir);
  const started = Date.now();
  const binDir = await ensurePostgresBinaries(log);
  await assertPortFree('127.0.0.1', port, 'postgres');

  const runAs = isRoot() ? postgresUser() : undefined;
  if (runAs) prepareDirFor(dataDir, runAs, log);
  else fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initCluster(binDir, dataDir, runAs, logFile, log, fast);
  }

  const socketDir = dataDir.length <= MAX_SOCKET_DIR_LENGTH ? dataDir : '/tmp';
  const settings = ['listen_addresses=127.0.0.1', 'max_connections=200'];
  if (fast) settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, ...settings.flatMap((setting) => ['-c', setting])];
  // Run the postgres binary itself (not pg_ctl or runuser) so the managed pid is the postmaster.
  // SIGINT is its "fast shutdown": SIGTERM would wait for every client to disconnect.
  const child = spawnManaged('postgres', path.join(binDir, 'postgres'), args, {
    logFile,
    uid: runAs?.uid,
    gid: runAs?.gid,
    stopSignal: 'SIGINT',
    env: { ...process.env, LC_ALL: 'C' },
  });

  const serverUrl = `postgres://postgres@127.0.0.1:${port}`;
  try {
    const deadline = started + READY_TIMEOUT_MS;
    await waitForPort('127.0.0.1', port, { timeoutMs: READY_TIMEOUT_MS, process: child, logFile });
    await waitForPostgres(`${serverUrl}/postgres`, { deadline, process: child, logFile });
    await ensureDatabase(`${serverUrl}/postgres`, DATABASE_NAME);
  } catch (error) {
    await child.stop();
    throw error;
  }
  log(`postgres ready at 127.0.0.1:${port} (${dataDir}${fast ? ', fast mode' : ''}) in ${Date.now() - started} ms`);
  return { url: `${serverUrl}/${DATABASE_NAME}`, stop: child.stop };
}

function postgresUser(): OsUser {
  const user = lookupUser('postgres');
  if (!user) {
    throw new Error(
      'Running as root, but PostgreSQL refuses to run as root and there is no `postgres` OS user to run it as.\n' +
        'Next step: `useradd --system --home-dir /var/lib/postgresql postgres` (the postgresql package creates it), or run as a normal user.',
    );
  }
  return user;
}

/** Trust auth on 127.0.0.1 only: a throwaway local cluster, never reachable from outside. */
async function initCluster(
  binDir: string,
  dataDir: string,
  runAs: OsUser | undefined,
  logFile: string,
  log: Log,
  fast: boolean,
): Promise<void> {
  log(`initdb ${dataDir}`);
  const result = await runCommand(
    path.join(binDir, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--encoding=UTF8', '--no-locale', ...(fast ? ['--no-sync'] : [])],
    { uid: runAs?.uid, gid: runAs?.gid, env: { ...process.env, LC_ALL: 'C' }, cwd: dataDir },
  );
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.appendFileSync(logFile, `\n--- ${new Date().toISOString()} initdb ${dataDir}\n${result.output}`);
  if (result.code !== 0) {
    const tail = result.output.trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `initdb ${dataDir} failed (exit ${String(result.code)}):\n${indent(tail)}\n` +
        `Next step: if ${dataDir} holds something else or a half-made cluster, delete it (dev data only) and retry.`,
    );
  }
}
