/**
 * API keys from the command line (`npm run keys -- <command>`):
 *   create --account <id> --actor <name> --scopes payouts:create,payouts:read[,…] [--rate-limit <per minute>]
 *   list [--account <id>]
 *   revoke <key id>
 * The token is printed once at creation; only its hash is stored.
 * Uses DATABASE_URL, or the database of the running `npm start` stack (.data/stack.env).
 */
import { parseArgs } from 'node:util';
import { createApiKey, listApiKeys, revokeApiKey, SCOPES } from '../lib/api-keys';
import { createDb } from '../lib/db';
import { readStackEnv } from './stack/data-dir';

const USAGE = `usage:
  npm run keys -- create --account <id> --actor <name> --scopes <scope,scope|all> [--rate-limit <per minute>]
  npm run keys -- list [--account <id>]
  npm run keys -- revoke <key id>
scopes: ${SCOPES.join(', ')}`;

function databaseUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const fromStack = readStackEnv().DATABASE_URL;
  if (fromStack) return fromStack;
  throw new Error('DATABASE_URL is not set and no `npm start` stack is running; set DATABASE_URL=postgres://…');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { account: { type: 'string' }, actor: { type: 'string' }, scopes: { type: 'string' }, 'rate-limit': { type: 'string' } },
  });
  const [command, ...rest] = positionals;
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const db = createDb(databaseUrl(), { maxConnections: 1 });
  try {
    if (command === 'create') {
      if (!values.account || !values.actor || !values.scopes) {
        console.error(`create needs --account, --actor and --scopes\n${USAGE}`);
        return 2;
      }
      const scopes = values.scopes === 'all' ? [...SCOPES] : values.scopes.split(',').map((scope) => scope.trim());
      const rateLimit = values['rate-limit'];
      const key = await createApiKey(db, {
        accountId: values.account,
        actor: values.actor,
        scopes,
        ...(rateLimit !== undefined ? { rateLimitPerMinute: /^[0-9]+$/.test(rateLimit) ? Number(rateLimit) : NaN } : {}),
      });
      console.log(`created key ${key.keyId} for account ${key.accountId}, actor ${key.actor}, scopes ${key.scopes.join(',')}`);
      console.log(`token (shown once, store it now): ${key.token}`);
      return 0;
    }
    if (command === 'list') {
      const keys = await listApiKeys(db, values.account);
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
        console.log(
          `${key.id}  ${key.accountId}  ${key.actor}  ${state}  last used ${key.lastUsedAt?.toISOString() ?? 'never'}  ${key.scopes.join(',')}`,
        );
      }
      if (keys.length === 0) console.log('no keys');
      return 0;
    }
    const keyId = rest[0];
    if (!keyId) {
      console.error(`revoke needs a key id\n${USAGE}`);
      return 2;
    }
    if (!(await revokeApiKey(db, keyId))) {
      console.error(`no active key ${keyId}; \`npm run keys -- list\` shows the keys`);
      return 1;
    }
    console.log(`revoked ${keyId}; requests with it now get 401`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
