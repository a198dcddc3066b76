/**
 * The real app (real routes, auth, scope and Idempotency-Key checks) over a stand-in database
 * that knows only API keys and rate-limit counters. Enough for the contract test to see what
 * each route requires before it reaches a handler; any other query fails loudly.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../lib/config';
import type { Db } from '../../lib/db';
import { rateProviderFromFile } from '../../lib/rates';
import type { Scope } from '../../lib/api-keys';
import { createApp } from '../../api/http/app';

interface KeyRow {
  id: string;
  accountId: string;
  actor: string;
  secretHash: string;
  scopes: Scope[];
  rateLimitPerMinute: number | null;
  revokedAt: Date | null;
}

export interface AppWithoutDatabase {
  app: Express;
  /** A token for a key with exactly these scopes. */
  keyWith(scopes: readonly Scope[]): string;
}

const unavailable = (name: string) => () => {
  throw new Error(`${name}: the contract test has no database; this request should have been answered before any query`);
};

function stubDb(keys: Map<string, KeyRow>): Db {
  const tables: Record<string, object> = {
    apiKey: {
      findUnique: async ({ where }: { where: { id: string } }) => keys.get(where.id) ?? null,
      updateMany: async () => ({ count: 1 }),
    },
    rateLimitWindow: { deleteMany: async () => ({ count: 0 }) },
  };
  const methods: Record<string, unknown> = { $queryRaw: async () => [{ count: 1 }] };
  return new Proxy({} as Db, {
    get: (_target, property: string) =>
      methods[property] ?? tables[property] ?? new Proxy({}, { get: (_table, method: string) => unavailable(`db.${property}.${method}`) }),
  });
}

export function appWithoutDatabase(): AppWithoutDatabase {
  const keys = new Map<string, KeyRow>();
  const config = loadConfig({ DATABASE_URL: 'postgres://no-database-in-this-test' });
  const temporal = new Proxy({} as Client, {
    get: (_target, property: string) => new Proxy({}, { get: (_inner, method: string) => unavailable(`temporal.${property}.${method}`) }),
  });
  const app = createApp({
    db: stubDb(keys),
    temporal,
    config,
    rates: rateProviderFromFile(config.conversion.ratesFile),
    log: () => undefined,
  });
  return {
    app,
    keyWith(scopes) {
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      keys.set(id, {
        id,
        accountId: 'acct_contract',
        actor: 'contract-test',
        secretHash: createHash('sha256').update(secret).digest('hex'),
        scopes: [...scopes],
        rateLimitPerMinute: null,
        revokedAt: null,
      });
      return `pek_${id}_${secret}`;
    },
  };
}
