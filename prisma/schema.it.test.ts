/**
 * prisma/schema.prisma and prisma/migrations agree, and prisma/migrate.ts is safe to run.
 *
 * Needs DATABASE_URL pointing at a PostgreSQL server whose role can CREATE DATABASE. Every test
 * works in its own freshly created database, and all of them are dropped at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { checksumOf, DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from './migrate';
import { checkSchema, compareSchema, type DbSchema, expectedSchema, readDatabaseSchema } from './schema-check';

const ADMIN_URL = process.env.DATABASE_URL;
if (!ADMIN_URL) {
  throw new Error('DATABASE_URL is not set: point it at a PostgreSQL server whose role can CREATE DATABASE (scripts/test.ts does this)');
}

const PRISMA_SCHEMA = readFileSync(path.join(__dirname, 'schema.prisma'), 'utf8');
const INIT = '20261121000000_init';

const createdDatabases: string[] = [];
const tempDirs: string[] = [];

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database on the same server; returns its URL. */
async function createDatabase(label: string): Promise<string> {
  const name = `schema_it_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(ADMIN_URL!, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  createdDatabases.push(name);
  const url = new URL(ADMIN_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A copy of prisma/migrations the test may edit. */
async function copyOfMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'payout-migrations-'));
  tempDirs.push(dir);
  await fs.cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

let localNames: string[] = [];

beforeAll(async () => {
  localNames = (await readMigrations(DEFAULT_MIGRATIONS_DIR)).map((m) => m.name);
});

afterAll(async () => {
  await withClient(ADMIN_URL!, async (admin) => {
    for (const name of createdDatabases) {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
  for (const dir of tempDirs) await fs.rm(dir, { recursive: true, force: true });
});

describe('migrations against schema.prisma', () => {
  let url: string;
  let snapshot: DbSchema;

  beforeAll(async () => {
    url = await createDatabase('main');
  });

  test('migrate applies every migration, in name order, to a fresh database', async () => {
    const logs: string[] = [];
    const result = await migrate(url, { log: (msg) => logs.push(msg) });

    expect(localNames[0]).toBe(INIT);
    expect(result).toEqual({ applied: localNames, alreadyApplied: [] });
    expect(logs).toContain(`applying ${INIT}`);

    await withClient(url, async (db) => {
      const { rows } = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      const files = await readMigrations(DEFAULT_MIGRATIONS_DIR);
      expect(rows.map((r) => r.migration_name)).toEqual(localNames);
      for (const [i, row] of rows.entries()) {
        const script = await fs.readFile(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'), 'utf8');
        expect(row.checksum).toBe(checksumOf(script));
        expect(row.checksum).toBe(files[i]!.checksum);
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.applied_steps_count).toBe(1);
      }
      snapshot = await readDatabaseSchema(db);
    });
  });

  test('the migrated database matches schema.prisma: tables, columns, types, nullability, keys, indexes', () => {
    const expected = expectedSchema(PRISMA_SCHEMA);
    // Not vacuous: every model became a table, and the tables carry what the schema declares.
    expect(expected.tables.map((t) => t.name).sort()).toEqual(
      snapshot.tables
        .map((t) => t.name)
        .filter((name) => name !== '_prisma_migrations')
        .sort(),
    );
    expect(expected.tables.length).toBeGreaterThanOrEqual(7);
    expect(expected.tables.flatMap((t) => t.indexes).length).toBeGreaterThanOrEqual(9);

    expect(checkSchema(PRISMA_SCHEMA, snapshot)).toEqual([]);
  });

  test('_prisma_migrations has the columns Prisma expects, so `prisma migrate deploy` can take over', () => {
    const table = snapshot.tables.find((t) => t.name === '_prisma_migrations');
    expect(table?.columns.map(({ name, type, nullable }) => ({ name, type, nullable }))).toEqual([
      { name: 'id', type: 'character varying(36)', nullable: false },
      { name: 'checksum', type: 'character varying(64)', nullable: false },
      { name: 'finished_at', type: 'timestamp with time zone', nullable: true },
      { name: 'migration_name', type: 'character varying(255)', nullable: false },
      { name: 'logs', type: 'text', nullable: true },
      { name: 'rolled_back_at', type: 'timestamp with time zone', nullable: true },
      { name: 'started_at', type: 'timestamp with time zone', nullable: false },
      { name: 'applied_steps_count', type: 'integer', nullable: false },
    ]);
    expect(table?.indexes.find((i) => i.primary)?.columns).toEqual(['id']);
  });

  test('a second run applies nothing', async () => {
    const logs: string[] = [];
    const result = await migrate(url, { log: (msg) => logs.push(msg) });
    expect(result).toEqual({ applied: [], alreadyApplied: localNames });
    expect(logs.join('\n')).toMatch(/up to date/);
  });

  test('the check names each difference precisely (it is not vacuous)', async () => {
    // A database that drifted: change it inside a transaction, read it, roll it back.
    const drifted = await withClient(url, async (db) => {
      await db.query('BEGIN');
      try {
        await db.query('ALTER TABLE "payouts" DROP CONSTRAINT "payouts_amount_check"');
        await db.query('ALTER TABLE "payouts" ALTER COLUMN "amount" TYPE NUMERIC(40,0)');
        await db.query('ALTER TABLE "payouts" ALTER COLUMN "failure_code" SET NOT NULL');
        await db.query('ALTER TABLE "payouts" ALTER COLUMN "status_seq" SET DEFAULT 1');
        await db.query('ALTER TABLE "payouts" ADD COLUMN "memo" TEXT');
        await db.query('DROP INDEX "payouts_account_id_created_at_id_idx"');
        await db.query('CREATE INDEX "payouts_tx_hash_idx" ON "payouts"("tx_hash")');
        await db.query('ALTER TABLE "payout_events" DROP CONSTRAINT "payout_events_payout_id_fkey"');
        await db.query(
          'ALTER TABLE "payout_events" ADD CONSTRAINT "payout_events_payout_id_fkey" FOREIGN KEY ("payout_id") REFERENCES "payouts"("id") ON DELETE CASCADE ON UPDATE CASCADE',
        );
        await db.query('ALTER TABLE "wallet_nonces" DROP CONSTRAINT "wallet_nonces_pkey"');
        await db.query('ALTER TABLE "wallet_nonces" ADD CONSTRAINT "wallet_nonces_pkey" PRIMARY KEY ("address", "network")');
        // A table nothing references (outbox_events now has webhook_deliveries pointing at it).
        await db.query('DROP TABLE "fund_reservations"');
        await db.query('CREATE TABLE "stray" ("id" INTEGER)');
        return await readDatabaseSchema(db);
      } finally {
        await db.query('ROLLBACK');
      }
    });
    expect(checkSchema(PRISMA_SCHEMA, drifted).sort()).toEqual(
      [
        'payouts.amount: schema says numeric(78,0), database has numeric(40,0)',
        'payouts.failure_code: schema says nullable, database has NOT NULL',
        'payouts.status_seq: schema says default 0, database has default 1',
        'payouts.memo: column is in the database but not in model Payout',
        'payouts: index (account_id, created_at, id) is missing (expected as payouts_account_id_created_at_id_idx)',
        'payouts: index payouts_tx_hash_idx on (tx_hash) is in the database but not in schema.prisma',
        'payout_events: foreign key payout_events_payout_id_fkey: schema says ON DELETE RESTRICT, database has ON DELETE CASCADE',
        'wallet_nonces: schema says primary key (network, address), database has (address, network)',
        'fund_reservations: table is missing (model FundReservation)',
        'stray: table is in the database but no model in schema.prisma maps to it',
      ].sort(),
    );

    // A schema.prisma that drifted, against the real migrated database. Patterns allow for `prisma format` realigning columns.
    const edit = (pattern: RegExp, replacement: string): string => {
      expect(PRISMA_SCHEMA).toMatch(pattern);
      return PRISMA_SCHEMA.replace(pattern, replacement);
    };
    expect(checkSchema(edit(/(?<=@map\("external_id"\)\s+@db\.VarChar\()50(?=\))/, '64'), snapshot)).toEqual([
      'payouts.external_id: schema says character varying(64), database has character varying(50)',
    ]);
    expect(checkSchema(edit(/(?<=\n\s*amount\s+Decimal\s+@db\.Decimal\()78, 0(?=\))/, '40, 0'), snapshot)).toEqual([
      'payouts.amount: schema says numeric(40,0), database has numeric(78,0)',
    ]);
    expect(checkSchema(edit(/(\n\s*confirmations\s+Int)\?/, '$1'), snapshot)).toEqual([
      'payouts.confirmations: schema says NOT NULL, database has nullable',
    ]);
    expect(checkSchema(edit(/\n\s*@@index\(\[accountId, createdAt, id\]\)/, ''), snapshot)).toEqual([
      'payouts: index payouts_account_id_created_at_id_idx on (account_id, created_at, id) is in the database but not in schema.prisma',
    ]);
    expect(checkSchema(edit(/@@unique\((\[payoutId, seq\])\)/, '@@index($1)'), snapshot)).toEqual([
      'payout_events: index (payout_id, seq): schema says not unique, database has unique',
    ]);
    expect(checkSchema(edit(/(\n\s*)(completedAt\s+DateTime\?)/, '$1memo String?$1$2'), snapshot)).toEqual([
      'payouts.memo: column is missing (field Payout.memo)',
    ]);
    expect(checkSchema(edit(/(\n\s*txHash\s+String\s+)@unique /, '$1'), snapshot)).toEqual([
      'chain_transactions: unique index chain_transactions_tx_hash_key on (tx_hash) is in the database but not in schema.prisma',
    ]);
    // compareSchema is pure: the same inputs give the same answer, with nothing read again.
    expect(compareSchema(expectedSchema(PRISMA_SCHEMA), snapshot)).toEqual([]);
  });
});

describe('migrate refuses an inconsistent history', () => {
  test('an applied migration whose migration.sql changed', async () => {
    const url = await createDatabase('checksum');
    const dir = await copyOfMigrations();
    await migrate(url, { migrationsDir: dir });

    const file = path.join(dir, INIT, 'migration.sql');
    await fs.appendFile(file, '\n-- an innocent-looking edit\n');
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`migration ${INIT} was changed after it was applied .*new migration folder`, 's'),
    );

    // Line endings alone do not count as a change (git may convert them), like Prisma.
    const original = await fs.readFile(path.join(DEFAULT_MIGRATIONS_DIR, INIT, 'migration.sql'), 'utf8');
    await fs.writeFile(file, original.replace(/\n/g, '\r\n'));
    await expect(migrate(url, { migrationsDir: dir })).resolves.toEqual({ applied: [], alreadyApplied: localNames });
  });

  test('an applied migration that is missing locally', async () => {
    const url = await createDatabase('missing');
    const dir = await copyOfMigrations();
    await migrate(url, { migrationsDir: dir });
    const last = localNames[localNames.length - 1]!;
    await fs.rm(path.join(dir, last), { recursive: true });
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(
      `migration ${last} is applied to this database but missing from ${dir}`,
    );
  });

  test('a migration that failed in an earlier run, until it is marked rolled back', async () => {
    const url = await createDatabase('failed');
    await migrate(url);
    await withClient(url, (db) =>
      db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ($1, $2, '29990101000000_half_done', 'ERROR: boom', now(), 0)`,
        [randomUUID(), 'f'.repeat(64)],
      ),
    );
    await expect(migrate(url)).rejects.toThrow(
      /migration 29990101000000_half_done failed in an earlier run.*ERROR: boom.*rolled_back_at = now\(\)/s,
    );

    await withClient(url, (db) =>
      db.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '29990101000000_half_done'`),
    );
    await expect(migrate(url)).resolves.toEqual({ applied: [], alreadyApplied: localNames });
  });

  test('a failing migration leaves nothing behind and is not recorded', async () => {
    const url = await createDatabase('broken');
    const dir = await copyOfMigrations();
    await fs.mkdir(path.join(dir, '29990101000000_broken'));
    await fs.writeFile(
      path.join(dir, '29990101000000_broken', 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT 1 / 0;\n',
    );

    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(
      /migration 29990101000000_broken failed and was rolled back.*division by zero/s,
    );
    await withClient(url, async (db) => {
      const { rows: tables } = await db.query(`SELECT 1 FROM pg_class WHERE relname = 'half_done'`);
      expect(tables).toHaveLength(0);
      const { rows } = await db.query<{ migration_name: string }>(
        'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(localNames);
    });

    // Fixed, it applies on the next run.
    await fs.writeFile(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\n');
    await expect(migrate(url, { migrationsDir: dir })).resolves.toEqual({ applied: ['29990101000000_broken'], alreadyApplied: localNames });
  });
});

test('runners started together (API and worker) apply each migration exactly once', async () => {
  const url = await createDatabase('concurrent');
  const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
  const applied = results.flatMap((r) => r.applied);
  expect(applied).toEqual(localNames);
  expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
  for (const r of results) expect([...r.applied, ...r.alreadyApplied]).toEqual(localNames);
});
