/**
 * API keys: `pek_<id>_<secret>`. The id finds the row; only SHA-256(secret) is stored, so a
 * database dump never yields a usable key. The secret has 256 bits of entropy, which is why a
 * plain hash (not a password KDF) is enough.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './db';

export const SCOPES = [
  'payouts:create',
  'payouts:read',
  'payouts:approve',
  'payouts:cancel',
  'mass_payouts:create',
  'exports:read',
  'webhooks:manage',
  // Not in the original list: who may change the approval rules is itself a control.
  'approval_policies:manage',
  // Reading reconciliation is finance's exports:read; starting runs and owning/resolving exceptions is a control of its own.
  'reconciliation:manage',
  // Releasing or refusing a payout on compliance hold (a sanctions hit): a person of compliance, no one else.
  'compliance:manage',
  // Reading the audit log (every control decision and policy change).
  'audit:read',
] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

const TOKEN_PATTERN = /^pek_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const ACTOR_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

export interface ApiKeyPrincipal {
  keyId: string;
  accountId: string;
  actor: string;
  scopes: Scope[];
  rateLimitPerMinute: number | null;
}

export interface CreatedApiKey extends ApiKeyPrincipal {
  /** Shown once; never stored. */
  token: string;
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function createApiKey(
  db: Db,
  input: { accountId: string; actor: string; scopes: readonly string[]; rateLimitPerMinute?: number },
): Promise<CreatedApiKey> {
  const problems: string[] = [];
  if (!ACTOR_PATTERN.test(input.accountId)) problems.push('account must be 1-64 letters, digits or _.:@-');
  if (!ACTOR_PATTERN.test(input.actor)) problems.push('actor must be 1-64 letters, digits or _.:@-');
  const unknown = input.scopes.filter((scope) => !isScope(scope));
  if (unknown.length) problems.push(`unknown scope(s) ${unknown.join(', ')}; allowed: ${SCOPES.join(', ')}`);
  if (input.scopes.length === 0) problems.push(`at least one scope is required; allowed: ${SCOPES.join(', ')}`);
  if (input.rateLimitPerMinute !== undefined && !(Number.isInteger(input.rateLimitPerMinute) && input.rateLimitPerMinute > 0)) {
    problems.push('rate limit must be a positive integer (requests per minute)');
  }
  if (problems.length) throw new Error(problems.join('; '));

  const keyId = randomBytes(10).toString('hex').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  const scopes = [...new Set(input.scopes)] as Scope[];
  await db.apiKey.create({
    data: {
      id: keyId,
      accountId: input.accountId,
      actor: input.actor,
      secretHash: hashSecret(secret),
      scopes,
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    },
  });
  return {
    keyId,
    accountId: input.accountId,
    actor: input.actor,
    scopes,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    token: `pek_${keyId}_${secret}`,
  };
}

/** Revokes a key; true when it existed and was active. Takes effect on the next request. */
export async function revokeApiKey(db: Db, keyId: string): Promise<boolean> {
  const { count } = await db.apiKey.updateMany({ where: { id: keyId, revokedAt: null }, data: { revokedAt: new Date() } });
  return count === 1;
}

export async function listApiKeys(db: Db, accountId?: string) {
  return db.apiKey.findMany({
    where: accountId ? { accountId } : {},
    orderBy: { createdAt: 'asc' },
    select: {
      id: true,
      accountId: true,
      actor: true,
      scopes: true,
      rateLimitPerMinute: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
    },
  });
}

export type VerifyResult = { ok: true; principal: ApiKeyPrincipal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' };

export async function verifyApiKey(db: Db, token: string): Promise<VerifyResult> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, keyId, secret] = match;
  const row = await db.apiKey.findUnique({ where: { id: keyId } });
  // Compare even when the row is missing, so timing does not tell which key ids exist.
  const expected = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex');
  const matches = timingSafeEqual(expected, Buffer.from(hashSecret(secret!), 'hex'));
  if (!row || !matches) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  return {
    ok: true,
    principal: {
      keyId: row.id,
      accountId: row.accountId,
      actor: row.actor,
      scopes: row.scopes.filter(isScope),
      rateLimitPerMinute: row.rateLimitPerMinute,
    },
  };
}
