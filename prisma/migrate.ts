/**
 * Applies prisma/migrations to a PostgreSQL database without Prisma's native schema engine.
 *
 * It keeps Prisma's own bookkeeping, so a team can switch to `prisma migrate deploy` later
 * and Prisma will see the same history:
 * - `_prisma_migrations` with Prisma's columns, one row per applied directory, holding the
 *   sha256 of its migration.sql;
 * - Prisma's advisory lock key, so this runner, a second copy of it (API and worker starting
 *   together) and `prisma migrate deploy` never migrate at the same time. The lock belongs to
 *   the session: point DATABASE_URL at the server, not at a transaction-mode pooler.
 *
 * Each pending directory runs in name order inside its own transaction together with its
 * `_prisma_migrations` row, so a failing migration leaves nothing behind. It refuses to run when
 * the recorded history and the files disagree: an applied migration.sql was edited, an applied
 * migration is missing here, or an earlier run (e.g. `prisma migrate deploy`) left a failed one.
 *
 * Usage: DATABASE_URL=postgres://... npm run db:migrate
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface MigrateOptions {
  /** Receives short progress lines; silent when omitted. */
  log?: (msg: string) => void;
  /** Defaults to the migrations folder next to this file. */
  migrationsDir?: string;
  /** How long to wait for another runner holding the lock; default 5 minutes. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations the database already had. */
  alreadyApplied: string[];
}

/** A refusal or failure a person has to act on; the message says what to do. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export const DEFAULT_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** The key `prisma migrate` locks on PostgreSQL, so Prisma's runner and this one exclude each other. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;
const DEFAULT_LOCK_TIMEOUT_MS = 5 * 60_000;
const LOCK_POLL_MS = 250;

/** Prisma's table, column for column (schema engine, PostgreSQL flavour). */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface LocalMigration {
  name: string;
  script: string;
  checksum: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export function checksumOf(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/** Same rule as Prisma: a script matches if it does with its line endings as they are, as LF, or as CRLF. */
function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\r?\n/g, '\r\n')];
  return variants.some((variant) => checksumOf(variant) === checksum);
}

/** Migration directories (each with a migration.sql) in name order, like Prisma reads them. */
export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  let entries;
  try {
    entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  } catch (err) {
    throw new MigrationError(`cannot read the migrations folder ${migrationsDir}: ${(err as Error).message}`);
  }
  const names = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql');
    let script: string;
    try {
      script = await fs.readFile(file, 'utf8');
    } catch {
      throw new MigrationError(`migration ${name} has no migration.sql (${file}); add it or remove the folder`);
    }
    migrations.push({ name, script, checksum: checksumOf(script) });
  }
  return migrations;
}

export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const local = await readMigrations(migrationsDir);

  const client = new Client({ connectionString: databaseUrl });
  // A dropped connection would otherwise be an unhandled 'error' event; the failing query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new MigrationError(`cannot connect to ${describeTarget(databaseUrl)}: ${(err as Error).message}`);
  }
  let locked = false;
  try {
    await acquireLock(client, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, log);
    locked = true;
    await client.query(CREATE_MIGRATIONS_TABLE);

    const { rows } = await client.query<MigrationRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at, logs
         FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
    );
    // Rolled-back rows are history only: Prisma applies such a migration again.
    const live = rows.filter((row) => row.rolled_back_at === null);

    const failed = live.find((row) => row.finished_at === null);
    if (failed) {
      const logs = failed.logs ? `\nIts log:\n${failed.logs.trim()}` : '';
      throw new MigrationError(
        `migration ${failed.migration_name} failed in an earlier run and was not finished, so nothing more is applied.${logs}\n` +
          `Check what part of it reached the database and finish or undo that by hand, then mark it rolled back:\n` +
          `  UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}' AND finished_at IS NULL;\n` +
          `(or \`npx prisma migrate resolve --rolled-back ${failed.migration_name}\`) and run the migrations again.`,
      );
    }

    const localByName = new Map(local.map((migration) => [migration.name, migration]));
    const appliedNames = new Set<string>();
    for (const row of live) {
      const file = localByName.get(row.migration_name);
      if (!file) {
        throw new MigrationError(
          `migration ${row.migration_name} is applied to this database but missing from ${migrationsDir}. ` +
            `Restore that folder (check out the branch or release that added it); ` +
            `never delete a migration that has run somewhere.`,
        );
      }
      if (!scriptMatchesChecksum(file.script, row.checksum)) {
        throw new MigrationError(
          `migration ${row.migration_name} was changed after it was applied to this database ` +
            `(checksum of ${path.join(migrationsDir, row.migration_name, 'migration.sql')} is ${file.checksum}, ` +
            `the database recorded ${row.checksum}). Put the file back as it was (e.g. git checkout) ` +
            `and make the change in a new migration folder instead.`,
        );
      }
      appliedNames.add(row.migration_name);
    }

    const alreadyApplied = local.filter((migration) => appliedNames.has(migration.name)).map((m) => m.name);
    const pending = local.filter((migration) => !appliedNames.has(migration.name));
    if (pending.length === 0) {
      log(`database is up to date (${alreadyApplied.length} migration${alreadyApplied.length === 1 ? '' : 's'} applied earlier)`);
      return { applied: [], alreadyApplied };
    }

    const applied: string[] = [];
    for (const migration of pending) {
      log(`applying ${migration.name}`);
      const started = Date.now();
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`applied ${migration.name} in ${Date.now() - started} ms`);
    }
    return { applied, alreadyApplied };
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}

async function acquireLock(client: Client, timeoutMs: number, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_ADVISORY_LOCK_KEY]);
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        `another migration run has held the migration lock for over ${Math.round(timeoutMs / 1000)} s; ` +
          `wait for it to finish, or find the session holding it with ` +
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ${PRISMA_ADVISORY_LOCK_KEY}`,
      );
    }
    if (!told) {
      log('another migration run is in progress; waiting for it');
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/** Runs one migration and records it in the same transaction: all of it lands, or none of it. */
async function applyOne(client: Client, migration: LocalMigration): Promise<void> {
  await client.query('BEGIN');
  try {
    if (migration.script.trim() !== '') await client.query(migration.script);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw new MigrationError(
      `migration ${migration.name} failed and was rolled back, so none of it was applied: ${(err as Error).message}. ` +
        `Fix its migration.sql and run the migrations again.`,
    );
  }
}

/** "database payouts on localhost:5432", never the password. */
function describeTarget(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)';
    return `database ${database} on ${url.host || 'localhost'}`;
  } catch {
    return 'the database in DATABASE_URL';
  }
}

if (require.main === module) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error(
      'DATABASE_URL is not set. Set it to the PostgreSQL connection string, e.g.\n' +
        '  DATABASE_URL=postgres://user:password@localhost:5432/payouts npm run db:migrate',
    );
    process.exit(1);
  }
  console.log(`migrating ${describeTarget(databaseUrl)}`);
  migrate(databaseUrl, { log: (msg) => console.log(msg) })
    .then(({ applied }) => {
      if (applied.length > 0) console.log(`done: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}`);
    })
    .catch((err: unknown) => {
      console.error(err instanceof MigrationError ? err.message : err);
      process.exit(1);
    });
}
