/**
 * Readiness and the `payouts` database, checked with the same `pg` client the
 * engine uses: an open port is not enough (the server may still be starting up
 * or recovering, "57P03 the database system is starting up").
 */
import { Client } from 'pg';
import { type ManagedProcess, sleep, startupError } from './process';

export const DATABASE_NAME = 'payouts';

export interface WaitForPostgresOptions {
  deadline: number;
  process?: ManagedProcess;
  logFile?: string;
}

export async function waitForPostgres(url: string, options: WaitForPostgresOptions): Promise<void> {
  let exited = false;
  void options.process?.exited.then(() => (exited = true));
  let last: string;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      last = (error as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
    if (exited) throw startupError(`postgres exited while starting up (${last})`, options.logFile);
    if (Date.now() > options.deadline) throw startupError(`postgres not accepting queries: ${last}`, options.logFile);
    await sleep(100);
  }
}

/** CREATE DATABASE has no IF NOT EXISTS; check the catalog first. `adminUrl` points at the `postgres` db. */
export async function ensureDatabase(adminUrl: string, name: string = DATABASE_NAME): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
