/**
 * PostgreSQL without a PostgreSQL install: PGlite (Postgres compiled to WASM)
 * in this process, served over TCP by pglite-socket, so the API and the worker
 * (separate processes, each with a pg.Pool) connect with a normal postgres:// URL.
 *
 * Limits worth knowing: one backend session shared by all connections, so
 * transactions run one at a time (another connection's BEGIN waits until the
 * current transaction ends) and session settings (SET, named prepared
 * statements) are shared. Queries run on this process's event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SessionQueue } from './pglite-session-queue';
import { assertPortFree } from './process';

type Log = (msg: string) => void;

export interface StartEmbeddedPostgresOptions {
  /** PGlite data directory; persisted between runs. */
  dataDir: string;
  port: number;
  log: Log;
}

export interface EmbeddedPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres?sslmode=disable (PGlite has a single database). */
  url: string;
  stop(): Promise<void>;
}

/** Connections the server accepts; two pools of ~10 plus migrations and ad-hoc psql fit easily. */
const MAX_CONNECTIONS = 64;

export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { port, log } = options;
  const dataDir = path.resolve(options.dataDir);
  const started = Date.now();
  await assertPortFree('127.0.0.1', port, 'embedded postgres');
  fs.mkdirSync(dataDir, { recursive: true });

  // Loaded lazily: the WASM runtime is big and only needed when this backend is chosen.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');

  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: MAX_CONNECTIONS });
  installSessionQueue(server, db, log);
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.stop();
      await db.close();
    })());

  log(`embedded postgres (PGlite) ready at 127.0.0.1:${port} (${dataDir}) in ${Date.now() - started} ms`);
  // PGlite serves one database whatever name the client asks for; name the real one.
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`, stop };
}

/**
 * Swap the server's per-message queue for SessionQueue (see its header for
 * why). The field is private in pglite-socket 0.2.x, so check it is there and
 * fail loudly instead of silently running the unsafe multiplexer.
 */
function installSessionQueue(server: object, db: import('@electric-sql/pglite').PGlite, log: Log): void {
  const internals = server as { queryQueue?: { enqueue?: unknown } };
  if (typeof internals.queryQueue?.enqueue !== 'function') {
    throw new Error(
      'pglite-socket internals changed (PGLiteSocketServer.queryQueue not found), so the safe multi-connection ' +
        'queue cannot be installed. Next step: pin @electric-sql/pglite-socket to 0.2.17 or adapt scripts/stack/embedded-postgres.ts.',
    );
  }
  (internals as { queryQueue: unknown }).queryQueue = new SessionQueue(db, log);
}
