/**
 * Which API key the command uses: --key, else PAYOUT_API_KEY, else the key `npm start` keeps in
 * .data/dev-api-key. Without any, the answer says where to get one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEV_API_KEY_FILE = join(__dirname, '..', '..', '.data', 'dev-api-key');

export type KeySource = '--key' | 'PAYOUT_API_KEY' | '.data/dev-api-key';
export type ResolvedKey = { ok: true; key: string; source: KeySource } | { ok: false; message: string };

export const NO_KEY_MESSAGE = `no API key.
Next step: pass --key pek_…, or set PAYOUT_API_KEY, or run \`npm start\` (it saves a key for account acct_demo in
.data/dev-api-key). Make a key for another account with:
  npm run keys -- create --account <account> --actor <you> --scopes mass_payouts:create,payouts:read`;

export function resolveApiKey(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string | undefined = readIfExists,
  file: string = DEV_API_KEY_FILE,
): ResolvedKey {
  if (flag) return { ok: true, key: flag, source: '--key' };
  const fromEnv = env.PAYOUT_API_KEY?.trim();
  if (fromEnv) return { ok: true, key: fromEnv, source: 'PAYOUT_API_KEY' };
  const fromFile = readFile(file)?.trim();
  if (fromFile) return { ok: true, key: fromFile, source: '.data/dev-api-key' };
  return { ok: false, message: NO_KEY_MESSAGE };
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
