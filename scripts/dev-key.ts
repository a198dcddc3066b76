/**
 * The `npm start` stack's own API key (account acct_demo, actor dev, all scopes), kept in
 * .data/dev-api-key so restarts reuse it. A development convenience: production keys come
 * from `npm run keys -- create`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createApiKey, SCOPES, verifyApiKey } from '../lib/api-keys';
import { createDb } from '../lib/db';

export async function ensureDevApiKey(databaseUrl: string, file: string): Promise<string> {
  const db = createDb(databaseUrl, { maxConnections: 1 });
  try {
    const saved = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (saved && (await verifyApiKey(db, saved)).ok) return saved;
    const key = await createApiKey(db, { accountId: 'acct_demo', actor: 'dev', scopes: SCOPES });
    writeFileSync(file, `${key.token}\n`, { mode: 0o600 });
    return key.token;
  } finally {
    await db.$disconnect();
  }
}
