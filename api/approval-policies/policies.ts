/** Approval policy lookup and versioned creation. */
import { DEFAULT_APPROVAL_RULES, type ApprovalPolicyVersion, type ApprovalRules } from '../../domain/approval-policy';
import { newId } from '../../domain/ids';
import type { ApprovalPolicy } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { recordAudit } from '../../lib/audit/audit-log';

export function policyVersion(row: ApprovalPolicy): ApprovalPolicyVersion {
  return {
    id: row.id,
    accountId: row.accountId,
    program: row.program || null,
    version: row.version,
    rules: row.rules as unknown as ApprovalRules,
  };
}

/** The policy that judges a payout: the program's latest version, else the account's, else the built-in default (version 0). */
export async function currentPolicy(db: Db, accountId: string, program: string): Promise<ApprovalPolicyVersion> {
  const programs = program ? [program, ''] : [''];
  for (const candidate of programs) {
    const row = await db.approvalPolicy.findFirst({ where: { accountId, program: candidate }, orderBy: { version: 'desc' } });
    if (row) return policyVersion(row);
  }
  return { id: 'default', accountId, program: null, version: 0, rules: DEFAULT_APPROVAL_RULES };
}

/** Adds the next version; the unique (account, program, version) key makes concurrent writers retry. */
export async function createPolicyVersion(
  db: Db,
  accountId: string,
  program: string,
  rules: ApprovalRules,
  createdBy: string,
  requestId?: string,
): Promise<ApprovalPolicy> {
  for (let attempt = 0; ; attempt++) {
    const latest = await db.approvalPolicy.findFirst({ where: { accountId, program }, orderBy: { version: 'desc' } });
    try {
      return await db.$transaction(async (tx) => {
        const created = await tx.approvalPolicy.create({
          data: { id: newId('ap'), accountId, program, version: (latest?.version ?? 0) + 1, rules: rules as object, createdBy },
        });
        await recordAudit(tx, {
          accountId,
          actor: createdBy,
          action: 'approval_policy.created',
          subject: { type: 'approval_policy', id: program || '(account)' },
          before: latest ? policyView(latest) : null,
          after: policyView(created),
          requestId: requestId ?? null,
        });
        return created;
      });
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

export function policyView(row: ApprovalPolicy) {
  return {
    id: row.id,
    object: 'approval_policy',
    account_id: row.accountId,
    program: row.program || null,
    version: row.version,
    rules: row.rules,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
}
